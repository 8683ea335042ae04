import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';

describe('safetensors writer', () => {
	it('writes the standard layout byte for byte (hand-computed header)', () => {
		const bytes = writeSafetensors([
			{ name: 'b', shape: [2], data: new Float32Array([1, -2]) },
			{ name: 'a', shape: [1, 1], data: new Float32Array([0.5]) },
		]);
		const json =
			'{"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
		const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
		expect(padded.length % 8).toBe(0);
		const view = new DataView(bytes.buffer);
		expect(Number(view.getBigUint64(0, true))).toBe(padded.length);
		expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
		const data = new Float32Array(bytes.slice(8 + padded.length).buffer);
		expect(Array.from(data)).toEqual([0.5, 1, -2]);
		expect(bytes.length).toBe(8 + padded.length + 12);
	});

	it('round-trips tensors and metadata, and names the tensor on a shape mismatch', () => {
		const t = { name: 'model.x.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
		const back = readSafetensors(writeSafetensors([t], { format: 'pt' }));
		expect(back.metadata).toEqual({ format: 'pt' });
		expect(back.tensors[0].name).toBe('model.x.weight');
		expect(Array.from(back.tensors[0].data)).toEqual([1, 2, 3, 4, 5, 6]);
		expect(() => writeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(3) }])).toThrow(
			/tensor w has shape \[4\]/,
		);
	});
});

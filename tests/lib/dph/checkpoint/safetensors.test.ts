import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	benchCheckpointLoad,
	formatCheckpointBench,
	writeRandomF16Checkpoint,
} from '../../../../src/cli/bench/checkpoint-harness';
import { checkpointBenchConfig } from '../../../../src/lib/dph/bench/checkpoint';
import { f16ToF32, f32ToF16 } from '../../../../src/lib/dph/checkpoint/dtype';
import {
	type ByteSource,
	type Dtype,
	openSafetensors,
	planSafetensors,
	readSafetensors,
	SafetensorsError,
	type TensorEntry,
	writeSafetensors,
} from '../../../../src/lib/dph/checkpoint/safetensors';
import { blobSource, bytesSource } from '../../../../src/lib/dph/checkpoint/source';
import { parameterShapes } from '../../../../src/lib/dph/model/lswt';
import { mulberry32 } from '../../../../src/lib/dph/random';
import { fileSource } from '../../../../src/node/file-source';

const pad8 = (json: string) => json + ' '.repeat((8 - (json.length % 8)) % 8);
const headerOf = (bytes: Uint8Array) => {
	const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
	return new TextDecoder().decode(bytes.subarray(8, 8 + n));
};

describe('safetensors writer', () => {
	it('writes the standard layout byte for byte (hand-computed header)', () => {
		const bytes = writeSafetensors([
			{ name: 'b', shape: [2], data: new Float32Array([1, -2]) },
			{ name: 'a', shape: [1, 1], data: new Float32Array([0.5]) },
		]);
		const json =
			'{"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
		const padded = pad8(json);
		expect(padded.length % 8).toBe(0);
		const view = new DataView(bytes.buffer);
		expect(Number(view.getBigUint64(0, true))).toBe(padded.length);
		expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
		const data = new Float32Array(bytes.slice(8 + padded.length).buffer);
		expect(Array.from(data)).toEqual([0.5, 1, -2]);
		expect(bytes.length).toBe(8 + padded.length + 12);
	});

	it('matches the reference writer: metadata first, descending dtype (F32, BF16, F16) then name, space padding', () => {
		const bytes = writeSafetensors(
			[
				{ name: 'z.half', shape: [3], dtype: 'F16', data: Float32Array.from([1, -2, 0.5]) },
				{ name: 'b', shape: [1], dtype: 'BF16', data: Float32Array.from([3]) },
				{ name: 'a', shape: [], data: Float32Array.from([7]) },
			],
			{ format: 'pt' },
		);
		// 1.0 = 0x3c00, -2 = 0xc000, 0.5 = 0x3800 in F16; 3 = 0x4040 in BF16; 7 = 0x40e00000 in F32.
		const json =
			'{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
			'"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"z.half":{"dtype":"F16","shape":[3],"data_offsets":[6,12]}}';
		const expected = new Uint8Array([
			...[pad8(json).length, 0, 0, 0, 0, 0, 0, 0],
			...new TextEncoder().encode(pad8(json)),
			...[0x00, 0x00, 0xe0, 0x40],
			...[0x40, 0x40],
			...[0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38],
		]);
		expect([json.length, pad8(json).length]).toEqual([197, 200]);
		expect(Array.from(bytes)).toEqual(Array.from(expected));
	});

	it('matches the crate for a single tensor needing no padding and for an empty file', () => {
		const one = writeSafetensors([{ name: 'attn.0', shape: [1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }]);
		const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
		expect(json.length).toBe(64);
		expect(one[0]).toBe(64);
		expect(headerOf(one)).toBe(json);
		expect(Array.from(writeSafetensors([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
		expect(headerOf(writeSafetensors([], { framework: 'pt' }))).toBe('{"__metadata__":{"framework":"pt"}}     ');
	});

	it('sorts names by code point (UTF-8 byte order), escapes them as serde_json does, and lays out contiguously', () => {
		const layout = planSafetensors([
			{ name: '\u{1F600}', shape: [1], dtype: 'F32' },
			{ name: '\uFF21', shape: [1], dtype: 'F32' },
			{ name: 'q"\n', shape: [2, 0], dtype: 'F32' },
		]);
		expect(layout.order.map((t) => t.name)).toEqual(['q"\n', '\uFF21', '\u{1F600}']);
		expect(layout.order.map((t) => [t.begin, t.end])).toEqual([
			[0, 0],
			[0, 4],
			[4, 8],
		]);
		expect(headerOf(layout.head)).toContain('"q\\"\\n":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]}');
		expect(layout.size).toBe(layout.head.byteLength + 8);
	});

	it('refuses bad input, naming the tensor', () => {
		expect(() => writeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(3) }])).toThrow(
			/tensor w has shape \[4\]/,
		);
		const t = { name: 'w', shape: [1], data: new Float32Array(1) };
		expect(() => writeSafetensors([t, t])).toThrow(/tensor w appears twice/);
		expect(() => writeSafetensors([{ ...t, name: '__metadata__' }])).toThrow(/cannot be a tensor name/);
		expect(() => writeSafetensors([{ ...t, shape: [-1] }])).toThrow(/invalid shape/);
	});
});

/** Test tensors: exactly representable values, values that must round, and F16 specials. */
function sampleTensors(dtype: Dtype): TensorEntry[] {
	const rand = mulberry32(3);
	const random = Float32Array.from({ length: 6 * 7 }, () => Math.fround((rand() - 0.5) * 8));
	const exact = Float32Array.from([0, -0, 1, -2, 0.5, 0.25, 1024, -0.125]);
	const tensors: TensorEntry[] = [
		{ name: 'model.exact', shape: [2, 4], data: exact, dtype },
		{ name: 'model.random', shape: [6, 7], data: random, dtype },
		{ name: 'model.scalar', shape: [], data: Float32Array.from([3]), dtype },
		{ name: 'model.empty', shape: [0, 5], data: new Float32Array(0), dtype },
	];
	if (dtype === 'F16') {
		const specials = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 2 ** -24, 3 * 2 ** -24, 65504];
		tensors.push({ name: 'model.specials', shape: [specials.length], data: Float32Array.from(specials), dtype });
	}
	return tensors;
}

/** What the reader should return: F16 via the decoded half of each value's F16 bits (rounding checked in dtype tests). */
function expected(t: TensorEntry): number[] {
	if (t.dtype === 'F32' || !t.dtype) return Array.from(t.data);
	if (t.dtype === 'BF16') {
		// Round-to-nearest-even on the top 16 bits, computed with integer arithmetic on the float32 bits.
		const bits = new Uint32Array(Float32Array.from(t.data).buffer);
		return Array.from(bits, (b) => {
			const low = b & 0xffff;
			let top = b >>> 16;
			if (low > 0x8000 || (low === 0x8000 && top & 1)) top++;
			return new Float32Array(new Uint32Array([top << 16]).buffer)[0];
		});
	}
	// F16: exact values are representable; others must equal the nearest half, which lies within half an ulp.
	return Array.from(t.data);
}

function checkValues(t: TensorEntry, got: Float32Array) {
	expect(got).toBeInstanceOf(Float32Array);
	expect(got.byteOffset % 4).toBe(0);
	expect(got.length).toBe(t.data.length);
	const want = expected(t);
	for (let i = 0; i < want.length; i++) {
		const w = want[i];
		if (Number.isNaN(w)) expect(Number.isNaN(got[i])).toBe(true);
		else if (t.dtype === 'F16' && Number.isFinite(w) && w !== 0) {
			// The nearest half is within 2^-11 relative (2^-25 absolute for subnormals) and is itself a half.
			expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(Math.max(Math.abs(w) * 2 ** -11, 2 ** -25));
			expect(f16ToF32(f32ToF16(got.subarray(i, i + 1)))[0]).toBe(got[i]);
		} else expect(Object.is(got[i], w), `${t.name}[${i}]: ${got[i]} vs ${w}`).toBe(true);
	}
}

describe('safetensors reader: round trips', () => {
	let dir = '';
	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'dph-st-'));
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	const sources: [string, (bytes: Uint8Array<ArrayBuffer>, name: string) => Promise<ByteSource>][] = [
		['bytesSource', async (b, name) => bytesSource(b, name)],
		['blobSource', async (b, name) => blobSource(new Blob([b]), name)],
		[
			'fileSource',
			async (b, name) => {
				const path = join(dir, name);
				await writeFile(path, b);
				return fileSource(path);
			},
		],
	];

	for (const dtype of ['F32', 'F16', 'BF16'] as const) {
		for (const [kind, make] of sources) {
			it(`${dtype} through ${kind}`, async () => {
				const tensors = sampleTensors(dtype);
				const bytes = writeSafetensors(tensors, { format: 'pt', note: 'round trip' });
				const f = await openSafetensors(await make(bytes, `${dtype}-${kind}.safetensors`));
				expect(f.source.name).toBe(`${dtype}-${kind}.safetensors`);
				expect(f.metadata).toEqual({ format: 'pt', note: 'round trip' });
				expect(f.headerLength % 8).toBe(0);
				expect(f.tensors.map((t) => t.name)).toEqual([...tensors.map((t) => t.name)].sort());
				for (const t of tensors) {
					const info = f.tensor(t.name)!;
					expect(info).toMatchObject({ dtype, shape: t.shape, byteLength: t.data.length * (dtype === 'F32' ? 4 : 2) });
					checkValues(t, await f.read(t.name));
				}
				const streamed = new Map<string, Float32Array>();
				for await (const { info, data } of f.entries()) streamed.set(info.name, data);
				for (const t of tensors) checkValues(t, streamed.get(t.name)!);
				// The synchronous in-memory reader agrees.
				const whole = readSafetensors(bytes);
				for (const t of whole.tensors) expect(Array.from(t.data)).toEqual(Array.from(streamed.get(t.name)!));
			});
		}
	}

	it('F16 keeps ±Inf, NaN and subnormals; rounding picks the nearest half', async () => {
		const f = await openSafetensors(bytesSource(writeSafetensors(sampleTensors('F16'))));
		const s = await f.read('model.specials');
		expect(Array.from(s.subarray(0, 2))).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
		expect(Number.isNaN(s[2])).toBe(true);
		expect(Array.from(s.subarray(3))).toEqual([2 ** -24, 3 * 2 ** -24, 65504]);
		// 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa, 1; 1 + 3·2^-11 goes up to 1 + 2^-9.
		const r = await openSafetensors(
			bytesSource(
				writeSafetensors([
					{ name: 'r', shape: [3], dtype: 'F16', data: Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000]) },
				]),
			),
		);
		expect(Array.from(await r.read('r'))).toEqual([1, 1 + 2 ** -9, Number.POSITIVE_INFINITY]);
	});

	it('re-writing what was read reproduces the file byte for byte', () => {
		const bytes = writeSafetensors(sampleTensors('BF16'), { format: 'pt' });
		const back = readSafetensors(bytes);
		expect(Array.from(writeSafetensors(back.tensors, back.metadata))).toEqual(Array.from(bytes));
	});

	it('names a missing tensor', async () => {
		const f = await openSafetensors(bytesSource(writeSafetensors(sampleTensors('F32')), 'm.safetensors'));
		await expect(f.read('nope')).rejects.toThrow(/m\.safetensors: no tensor is named "nope"/);
		expect(f.tensor('nope')).toBeUndefined();
	});

	it('reports a source failure as a SafetensorsError naming the file and tensor', async () => {
		const bytes = writeSafetensors(sampleTensors('F32'));
		const inner = bytesSource(bytes, 'flaky.safetensors');
		let calls = 0;
		const flaky: ByteSource = {
			...inner,
			read: (o, l) => (++calls > 2 ? Promise.reject(new Error('disk on fire')) : inner.read(o, l)),
		};
		const f = await openSafetensors(flaky);
		const err = await f.read('model.exact').catch((e) => e);
		expect(err).toBeInstanceOf(SafetensorsError);
		expect(err.message).toBe('flaky.safetensors: tensor "model.exact": could not read its bytes: disk on fire');
		const short: ByteSource = {
			...inner,
			read: async (o, l) => (await inner.read(o, l)).subarray(0, Math.max(0, l - 1)),
		};
		await expect(openSafetensors(short)).rejects.toThrow(/returned 7 bytes instead of 8/);
	});
});

describe('safetensors reader: streaming', () => {
	it('reads the prefix, the header, then each tensor once; no read is larger than the largest tensor', async () => {
		const tensors: TensorEntry[] = [
			{ name: 'big', shape: [64, 32], dtype: 'F16', data: new Float32Array(2048).fill(1) },
			{ name: 'mid', shape: [1000], dtype: 'F32', data: new Float32Array(1000).fill(2) },
			{ name: 'small', shape: [1500], dtype: 'BF16', data: new Float32Array(1500).fill(3) },
		];
		const bytes = writeSafetensors(tensors);
		const inner = bytesSource(bytes, 'rec.safetensors');
		const reads: [number, number][] = [];
		const recording: ByteSource = {
			...inner,
			read: (offset, length) => {
				reads.push([offset, length]);
				return inner.read(offset, length);
			},
		};
		const f = await openSafetensors(recording);
		expect(reads).toEqual([
			[0, 8],
			[8, f.headerLength],
		]);
		reads.length = 0;
		const progress: [number, number][] = [];
		const names: string[] = [];
		for await (const { info, data } of f.entries((d, t) => progress.push([d, t]))) {
			names.push(info.name);
			expect(data.length).toBe(info.shape.reduce((a, b) => a * b, 1));
		}
		// File order: F32 first, then BF16, then F16 (the reference writer's layout).
		expect(names).toEqual(['mid', 'small', 'big']);
		expect(reads).toEqual(f.tensors.map((t) => [t.offset, t.byteLength]));
		const largest = Math.max(...f.tensors.map((t) => t.byteLength));
		expect(Math.max(...reads.map(([, l]) => l))).toBe(largest);
		expect(largest).toBeLessThan(bytes.byteLength / 2);
		expect(progress[0]).toEqual([8 + f.headerLength, bytes.byteLength]);
		expect(progress.at(-1)).toEqual([bytes.byteLength, bytes.byteLength]);
		// read(name) reads just that tensor.
		reads.length = 0;
		await f.read('small');
		expect(reads).toEqual([[f.tensor('small')!.offset, 3000]]);
	});

	it('with a file source, reads 16-bit tensors through one reused buffer and float32 ones straight into the output', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'dph-st-into-'));
		try {
			const tensors: TensorEntry[] = [
				{ name: 'h1', shape: [10], dtype: 'F16', data: new Float32Array(10).fill(0.5) },
				{ name: 'h2', shape: [40], dtype: 'BF16', data: new Float32Array(40).fill(-1) },
				{ name: 'f', shape: [6], data: new Float32Array(6).fill(2) },
			];
			const path = join(dir, 'into.safetensors');
			await writeFile(path, writeSafetensors(tensors));
			const inner = await fileSource(path);
			const targets: { offset: number; target: Uint8Array }[] = [];
			let reads = 0;
			const recording: ByteSource = {
				...inner,
				read: (o, l) => {
					reads++;
					return inner.read(o, l);
				},
				readInto: (offset, target) => {
					targets.push({ offset, target });
					return inner.readInto!(offset, target);
				},
			};
			const f = await openSafetensors(recording);
			expect(reads).toBe(2);
			const out = new Map<string, Float32Array>();
			for await (const { info, data } of f.entries()) out.set(info.name, data);
			expect(reads).toBe(2);
			expect(targets.map((t) => t.offset)).toEqual(f.tensors.map((t) => t.offset));
			expect(targets.map((t) => t.target.byteLength)).toEqual(f.tensors.map((t) => t.byteLength));
			// f (F32) is read into its own output; h2 (BF16, 80 bytes) and h1 (F16, 20 bytes) share one 80-byte buffer.
			expect(targets[0].target.buffer).toBe(out.get('f')!.buffer);
			expect(targets[1].target.buffer).toBe(targets[2].target.buffer);
			expect(targets[1].target.buffer.byteLength).toBe(80);
			expect(Array.from(out.get('h1')!)).toEqual(new Array(10).fill(0.5));
			expect(Array.from(out.get('h2')!)).toEqual(new Array(40).fill(-1));
			expect(Array.from(out.get('f')!)).toEqual(new Array(6).fill(2));
			// Outputs do not share the scratch buffer.
			expect(out.get('h1')!.buffer).not.toBe(targets[2].target.buffer);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('checkpoint-load benchmark', () => {
	it('writes a random F16 checkpoint with the model shapes, streams it back, and cleans up', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'dph-bench-test-'));
		try {
			const r = await benchCheckpointLoad({ dir, config: 'nano', keep: true });
			const shapes = parameterShapes(checkpointBenchConfig('nano').config);
			expect(r.tensors).toBe(shapes.length);
			expect(r.parameters).toBe(shapes.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0));
			expect(r.fp32Bytes).toBe(4 * r.parameters);
			expect(r.fileBytes).toBeGreaterThan(2 * r.parameters);
			expect(r.mbPerS).toBeGreaterThan(0);
			expect(r.peakRss).toBeGreaterThanOrEqual(r.baselineRss);
			expect(formatCheckpointBench(r)).toMatch(/checkpoint load \(nano, .* MB\/s .* peak RSS/);
			expect(await readdir(dir)).toEqual([]);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	it('generates finite, normal F16 weights in the planned layout', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'dph-bench-gen-'));
		try {
			const path = join(dir, 'm.safetensors');
			const config = checkpointBenchConfig('nano').config;
			const size = await writeRandomF16Checkpoint(path, config, 3);
			const f = await openSafetensors(await fileSource(path));
			expect(f.source.size).toBe(size);
			expect(f.metadata).toEqual({ format: 'pt' });
			const shapes = new Map(parameterShapes(config));
			for await (const { info, data } of f.entries()) {
				expect(info.dtype).toBe('F16');
				expect(info.shape).toEqual(shapes.get(info.name));
				const a = data.map(Math.abs);
				expect(a.every((x) => x >= 2 ** -12 && x < 2 ** -3)).toBe(true);
			}
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

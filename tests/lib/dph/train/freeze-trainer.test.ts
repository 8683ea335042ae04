import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const yesNo = Array.from({ length: 64 }, (_, i) =>
	JSON.stringify({ prompt: `q${i % 23}`, chosen: 'yes', rejected: 'no' }),
).join('\n');

/** The exported safetensors as name → raw bytes of the tensor, so "unchanged" means bit-identical. */
async function exportedBytes(t: DPHTrainer): Promise<Map<string, Buffer>> {
	const st = readSafetensors((await t.export())['model.safetensors']);
	return new Map(
		st.tensors.map((x) => {
			const d = x.data as Float32Array;
			return [x.name, Buffer.from(d.buffer, d.byteOffset, d.byteLength)];
		}),
	);
}

/** Train a few steps (cDPO on, so the reference model is in play) and split the tensors into unchanged / changed. */
async function run(freeze: Record<string, unknown>) {
	const t = new DPHTrainer(
		tf,
		resolveTrainConfig({
			steps: 4,
			batchSize: 4,
			evalEvery: 2,
			data: { task: 'jsonl', jsonl: yesNo },
			optim: { lr: 3e-3, warmupSteps: 1 },
			...freeze,
		}),
	);
	const before = await exportedBytes(t);
	for (let i = 0; i < 4; i++) await t.step();
	const after = await exportedBytes(t);
	const frozenNames = t.frozenNames;
	t.dispose();
	// Sorted: safetensors orders tensors by name, not in model order.
	const unchanged = [...before.keys()].sort().filter((k) => before.get(k)?.equals(after.get(k) as Buffer));
	const changed = [...before.keys()].filter((k) => !unchanged.includes(k));
	return { unchanged, changed, frozenNames };
}

const isHead = (n: string) => n.startsWith('pooler_pipeline.') || n.startsWith('reward_heads.');

describe('DPHTrainer freezing: frozen tensors are bit-identical in the exported checkpoint', () => {
	it('heads: every non-head tensor unchanged, every head tensor changed', async () => {
		const r = await run({ trainable: 'heads' });
		expect(r.changed.length).toBeGreaterThan(0);
		expect(r.changed.every(isHead)).toBe(true);
		expect(r.unchanged.filter(isHead)).toEqual([]);
		expect([...r.frozenNames].sort()).toEqual(r.unchanged);
	}, 120_000);

	it('no-backbone: every model.blocks.* tensor unchanged; the embeddings, norms and head projection train', async () => {
		const r = await run({ trainable: 'no-backbone' });
		expect(r.unchanged.length).toBe(32);
		expect(r.unchanged.every((n) => n.startsWith('model.blocks.'))).toBe(true);
		expect(r.changed).toContain('model.input_embedding.embedding.weight');
		expect(r.changed).toContain('head_proj.weight');
		expect(r.changed).toContain('model.output_norm.weight');
		expect(r.changed.some((n) => n.startsWith('model.blocks.'))).toBe(false);
		expect([...r.frozenNames].sort()).toEqual(r.unchanged);
	}, 120_000);

	it("frozen ['att.']: exactly the attention projections unchanged", async () => {
		const r = await run({ frozen: ['att.'] });
		expect(r.unchanged).toEqual([...r.frozenNames].sort());
		expect(r.unchanged).toHaveLength(16);
		expect(r.unchanged.every((n) => /^model\.blocks\.\d\.att\.proj_[qkvo]\./.test(n))).toBe(true);
		expect(r.changed).toContain('model.blocks.0.att_norm.weight');
	}, 120_000);
});

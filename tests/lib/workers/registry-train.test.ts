/**
 * The worker's train job from a checkpoint (issue 15.9): the page hands over the shipped demo's files, the job
 * loads them in the worker (here in-process, cpu backend) and trains from them with the chosen freezing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/lib/dph/backend';
import { readSafetensors } from '../../../src/lib/dph/checkpoint/safetensors';
import type { JobContext } from '../../../src/lib/workers/job-specs';
import { loadJobRegistry } from '../../../src/lib/workers/registry';

const demo = join('static', 'checkpoints', 'nano-echo-sepdph');
const demoFiles = () => readdirSync(demo).map((f) => new File([readFileSync(join(demo, f))], f));
const ctx: JobContext<'train'> = {
	signal: new AbortController().signal,
	progress: () => {},
	paused: async () => {},
};

beforeAll(async () => {
	await initBackend({ prefer: 'cpu' });
});

describe('the train job from a checkpoint', () => {
	it('trains the demo’s heads only: the result names the start, every other tensor is the demo’s bit for bit', async () => {
		const jobs = await loadJobRegistry();
		const before = tf.memory().numTensors;
		const r = await jobs.train(
			{
				config: {
					from: 'nano-echo-sepdph',
					trainable: 'heads',
					steps: 2,
					optim: { warmupSteps: 0 },
					batchSize: 4,
					evalEvery: 2,
					data: { task: 'arithmetic', trainPairs: 16, validationPairs: 8 },
				},
				preset: 'sepdph-demo',
				start: { kind: 'files', files: demoFiles(), name: 'nano-echo-sepdph' },
			},
			ctx,
		);
		expect(tf.memory().numTensors).toBe(before);
		expect(r).toMatchObject({ from: 'nano-echo-sepdph', trainable: 'heads', steps: 2, error: null });
		expect(r.files?.['config.json']).toBe(readFileSync(join(demo, 'config.json'), 'utf8'));
		const src = new Map(readSafetensors(readFileSync(join(demo, 'model.safetensors'))).tensors.map((t) => [t.name, t]));
		const out = readSafetensors(r.files?.['model.safetensors'] ?? new Uint8Array()).tensors;
		const head = (n: string) => n.startsWith('pooler_pipeline.') || n.startsWith('reward_heads.');
		const same = (a: Float32Array, b: Float32Array) =>
			Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
		expect(out.filter((t) => !head(t.name))).toHaveLength(r.frozenTensors);
		const orig = (name: string) => src.get(name)?.data ?? new Float32Array();
		expect(out.map((t) => t.name).sort()).toEqual([...src.keys()].sort());
		for (const t of out.filter((x) => !head(x.name))) expect(same(t.data, orig(t.name)), t.name).toBe(true);
		expect(out.some((t) => head(t.name) && !same(t.data, orig(t.name)))).toBe(true);
	}, 60_000);

	it('a start without config.from, and an unknown preset, are refused before anything loads', async () => {
		const jobs = await loadJobRegistry();
		await expect(
			jobs.train(
				{ config: { steps: 2, optim: { warmupSteps: 0 } }, start: { kind: 'files', files: demoFiles() } },
				ctx,
			),
		).rejects.toThrow(/needs config\.from/);
		await expect(jobs.train({ config: { steps: 2, optim: { warmupSteps: 0 } }, preset: 'nope' }, ctx)).rejects.toThrow(
			/preset "nope" is not one of/,
		);
	});
});

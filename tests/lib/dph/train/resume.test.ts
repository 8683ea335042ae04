/**
 * Issue 15.7: a run resumed from its own checkpoint files (bytes, not objects) continues step for step: on the cpu
 * backend, 20 steps + resume + 20 steps give the same per-step losses and bit-identical weights as 40 straight
 * steps, under the warm-up + cosine schedule, dropout, prior regularization and several epochs of data order.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointFolder } from '../../../../src/lib/dph/checkpoint/folder';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { bytesSource } from '../../../../src/lib/dph/checkpoint/source';
import { resolveTrainConfig, type TrainConfig, TrainConfigError } from '../../../../src/lib/dph/train/config';
import { sha256Hex } from '../../../../src/lib/dph/train/provenance';
import {
	checkResumeConfig,
	ResumeError,
	type ResumePoint,
	readResume,
	resumeFiles,
} from '../../../../src/lib/dph/train/resume';
import { DPHTrainer, type StepMetrics } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

// 8 pairs, one a step: 40 steps cross five epochs and the resume point, step 20, is mid-epoch. Short sequences keep the 60 steps on the cpu backend to seconds.
const cfg = resolveTrainConfig({
	steps: 40,
	batchSize: 1,
	evalEvery: 100,
	data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
	optim: { warmupSteps: 5 },
});

function memoryFolder(files: object): CheckpointFolder {
	return {
		name: 'mem',
		async file(n) {
			const f = (files as Record<string, string | Uint8Array | undefined>)[n];
			if (f === undefined) return null;
			return bytesSource(typeof f === 'string' ? new TextEncoder().encode(f) : f, n);
		},
	};
}

async function folderOf(t: DPHTrainer, c: TrainConfig, dtype?: 'F16') {
	const files = await t.export(dtype);
	const masters = dtype ? await t.weights() : null;
	return memoryFolder({ ...files, ...(await resumeFiles(await t.trainingState(), c, masters)) });
}

const pick = (m: StepMetrics) => [m.step, m.loss, m.lr, m.gradNorm, m.dphLoss, m.dpoLoss, m.rewardChosen];

describe('resume (issue 15.7)', () => {
	it('20 steps + resume from the files + 20 steps = 40 straight steps, bit for bit', async () => {
		const before = tf.memory().numTensors;
		// The straight run's first 20 steps are the first run: its state at step 20 is saved, then it goes on.
		const straight = new DPHTrainer(tf, cfg);
		const a: number[][] = [];
		for (let i = 0; i < 20; i++) a.push(pick(await straight.step()));
		const folder = await folderOf(straight, cfg);
		for (let i = 0; i < 20; i++) a.push(pick(await straight.step()));
		const want = await straight.export();
		straight.dispose();

		const point = await readResume(folder);
		expect(point.state.step).toBe(20);
		expect(point.state.data).toEqual({ epoch: 3, cursor: 4, trainPairs: 8 });
		await checkResumeConfig(point, cfg);
		const second = new DPHTrainer(tf, cfg);
		second.restore(point.state, point.weights);
		const b = a.slice(0, 20);
		for (let i = 0; i < 20; i++) b.push(pick(await second.step()));
		const got = await second.export();
		second.dispose();

		expect(b).toEqual(a);
		expect(Buffer.from(got['model.safetensors']).equals(Buffer.from(want['model.safetensors']))).toBe(true);
		// The state is not trivially empty: moments and θ0 (prior regularization) were saved and used.
		expect(point.state.optimizer.params.length).toBeGreaterThan(10);
		expect(point.state.optimizer.params.some((p) => p.originalParam)).toBe(true);
		expect(tf.memory().numTensors).toBe(before);
	}, 180_000);

	it('without the optimizer state the continuation differs (the state is what makes it exact)', async () => {
		const t = new DPHTrainer(tf, cfg);
		await t.step();
		const point = await readResume(await folderOf(t, cfg));
		await t.step();
		const want = (await t.export())['model.safetensors'];
		t.dispose();
		const continued = async (state: typeof point.state) => {
			const r = new DPHTrainer(tf, cfg);
			r.restore(state, point.weights);
			await r.step();
			const w = (await r.export())['model.safetensors'];
			r.dispose();
			return Buffer.from(w);
		};
		expect((await continued(point.state)).equals(want)).toBe(true);
		const noMoments = { ...point.state, optimizer: { ...point.state.optimizer, params: [] } };
		expect((await continued(noMoments)).equals(want)).toBe(false);
	}, 60_000);

	it('an F16 export keeps float32 master weights in optimizer.safetensors, so resuming is still exact', async () => {
		const t = new DPHTrainer(tf, cfg);
		for (let i = 0; i < 2; i++) await t.step();
		const folder = await folderOf(t, cfg, 'F16');
		const model = await folder.file('model.safetensors');
		const parsed = readSafetensors(await model!.read(0, model!.size));
		expect(new Set(parsed.tensors.map((x) => x.dtype))).toEqual(new Set(['F16']));
		const point = await readResume(folder);
		for (const w of await t.weights()) expect(point.weights.get(w.name), w.name).toEqual(w.data);
		t.dispose();
	}, 60_000);

	it('a config that differs in a field that matters is an error naming it; steps may grow', async () => {
		const t = new DPHTrainer(tf, cfg);
		await t.step();
		const point: ResumePoint = await readResume(await folderOf(t, cfg));
		t.dispose();
		const bad = async (over: Record<string, unknown>) => {
			const e = await checkResumeConfig(point, resolveTrainConfig({ ...cfg, ...over })).catch((x) => x);
			expect(e).toBeInstanceOf(TrainConfigError);
			return e as TrainConfigError;
		};
		await checkResumeConfig(point, resolveTrainConfig({ ...cfg, steps: 400, evalEvery: 7, exportDtype: 'bf16' }));
		expect((await bad({ batchSize: 8 })).message).toMatch(/^batchSize is 8 here but 1 in the run being resumed/);
		expect((await bad({ objective: { ...cfg.objective, beta: 0.5 } })).field).toBe('objective.beta');
		expect((await bad({ model: { ...cfg.model, preset: 'tiny' } })).field).toBe('model.preset');
		expect((await bad({ data: { ...cfg.data, task: 'copy' } })).field).toBe('data.task');
		// Not through resolveTrainConfig, whose warm-up rule would reject steps 1 first.
		const short = await checkResumeConfig(point, { ...cfg, steps: 1 }).catch((x) => x);
		expect(short.field).toBe('steps');
		expect(short.message).toMatch(/steps \(1\) must be more than the step the checkpoint holds \(1\)/);
		const jsonl = '{"prompt":"a","chosen":"b","rejected":"c"}';
		const e = await bad({ data: { ...cfg.data, task: 'jsonl', jsonl } });
		expect(e.field).toBe('data.task');
		// Same config but for the JSONL text: named as data.jsonl, by hash.
		const withJsonl = { ...point, config: { ...point.config, data: { ...point.config.data, task: 'jsonl' as const } } };
		const e2 = await checkResumeConfig(
			withJsonl,
			resolveTrainConfig({ ...cfg, data: { ...cfg.data, task: 'jsonl', jsonl } }),
		).catch((x) => x);
		expect(e2.field).toBe('data.jsonl');
		expect(e2.message).toContain(await sha256Hex(new TextEncoder().encode(jsonl)));
	}, 60_000);

	it('refuses a folder without resume state, and an edited trainer_state.json', async () => {
		const t = new DPHTrainer(tf, cfg);
		await t.step();
		const files = await t.export();
		const extra = await resumeFiles(await t.trainingState(), cfg, null);
		t.dispose();
		await expect(readResume(memoryFolder(files), 'A')).rejects.toThrow(/resume "A": it has no trainer_state.json/);
		const edited = extra['trainer_state.json'].replace('"lr": 0.005', '"lr": 0.05');
		expect(edited).not.toBe(extra['trainer_state.json']);
		await expect(readResume(memoryFolder({ ...files, ...extra, 'trainer_state.json': edited }))).rejects.toThrow(
			ResumeError,
		);
		await expect(
			readResume(memoryFolder({ ...files, 'trainer_state.json': extra['trainer_state.json'] })),
		).rejects.toThrow(/no optimizer.safetensors/);
	}, 60_000);
});

/**
 * Issue 15.6: the paper's presets (field by field against §4.5 and Table 6), pooler dropout as a training setting
 * that overrides a loaded checkpoint's reward_dropout, and onNonFinite 'skip' (GradScaler) against 'stop'.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesFolder } from '../../../../src/lib/dph/checkpoint/folder';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, TRAIN_PRESETS } from '../../../../src/lib/dph/train/config';
import { lrSchedule } from '../../../../src/lib/dph/train/optim';
import { loadStart } from '../../../../src/lib/dph/train/start';
import { DPHTrainer, TrainingDivergedError } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

describe('paper presets', () => {
	it('paper-alignment is §4.5, and resolves as a config', () => {
		const c = resolveTrainConfig({}, TRAIN_PRESETS['paper-alignment']());
		const sched = lrSchedule({
			lrMax: c.optim.lr,
			warmupSteps: c.optim.warmupSteps,
			totalSteps: c.steps,
			minRatio: c.optim.minLrRatio,
		});
		// Peak 3e-6 at the end of 200 warm-up steps, cosine down to 3e-7 at the last of 23040.
		expect(sched(200)).toBeCloseTo(3e-6, 12);
		expect(sched(100)).toBeLessThan(3e-6);
		expect(sched(c.steps)).toBeCloseTo(3e-7, 12);
		expect(c.objective).toMatchObject({
			dph: 'sepdph',
			beta: 0.6,
			dpoEps: 0.25,
			dphEps: 0.1,
			dpoWeight: 1,
			dphWeight: 1,
		});
		expect(c.optim).toMatchObject({
			weightDecay: 0.5,
			decayInit: true,
			dphWeightDecay: 0.5,
			dphDecayInit: true,
			maxGradNorm: 1,
		});
		expect(c.batchSize * c.accumulate).toBe(64);
		expect(c.accumulate).toBeGreaterThan(1);
		expect([c.poolerDropout, c.model.pooler, c.data.overlong, c.trainable]).toEqual([
			0.1,
			'swiglu_bert',
			'drop',
			'all',
		]);
	});

	it('paper-frozen-heads is the same setup with the heads alone and no dropout', () => {
		const a = TRAIN_PRESETS['paper-alignment']();
		const f = resolveTrainConfig({}, TRAIN_PRESETS['paper-frozen-heads']());
		expect([f.trainable, f.poolerDropout, f.objective.dpoWeight]).toEqual(['heads', 0, 0]);
		expect({ ...f, trainable: a.trainable, poolerDropout: a.poolerDropout, objective: a.objective }).toEqual(a);
	});

	it('a short run keeps a proportionate warm-up (withScaledWarmup applies to these presets too)', () => {
		const base = TRAIN_PRESETS['paper-alignment'](DEFAULT_TRAIN_CONFIG);
		expect(() => resolveTrainConfig({ steps: 50 }, base)).toThrow(/warmupSteps \(200\)/);
	});
});

describe('poolerDropout', () => {
	it('overrides the loaded checkpoint’s reward_dropout (the paper trains with 0.1 whatever the SFT model says)', async () => {
		const src = new DPHTrainer(
			tf,
			resolveTrainConfig({
				model: { dropout: 0.05 },
				steps: 1,
				optim: { warmupSteps: 0 },
				data: { trainPairs: 8, validationPairs: 4 },
			}),
		);
		const files = await src.export();
		src.dispose();
		const open = async () =>
			filesFolder(
				Object.entries(files).map(([name, body]) => new File([body], name)),
				'mem',
			);
		for (const [poolerDropout, want] of [
			[undefined, 0.05],
			[0.1, 0.1],
			[0, 0],
		] as const) {
			const start = await loadStart(tf, open, 'mem');
			const cfg = resolveTrainConfig({
				from: 'mem',
				poolerDropout,
				steps: 1,
				optim: { warmupSteps: 0 },
				data: { trainPairs: 8, validationPairs: 4 },
			});
			const t = new DPHTrainer(tf, cfg, start);
			expect(t.modelConfig.reward_dropout).toBe(want);
			t.dispose();
		}
	});
});

describe('onNonFinite', () => {
	// One batch is the whole training set, no dropout and a constant lr: a step's update depends only on the weights
	// and the optimizer state, not on which step number it is or which batch it draws.
	const cfg = (onNonFinite: 'stop' | 'skip') =>
		resolveTrainConfig({
			onNonFinite,
			steps: 4,
			batchSize: 4,
			model: { dropout: 0 },
			objective: { dpoWeight: 0 },
			data: { trainPairs: 4, validationPairs: 4 },
			optim: { warmupSteps: 0, minLrRatio: 1 },
		});
	const poison = (t: DPHTrainer) => {
		const v = t.params['reward_heads.reward.weight'];
		const saved = v.clone();
		const nan = tf.fill(v.shape, Number.NaN);
		v.assign(nan);
		nan.dispose();
		return () => {
			v.assign(saved);
			saved.dispose();
		};
	};
	const values = (t: DPHTrainer) => new Map(Object.entries(t.params).map(([k, v]) => [k, Array.from(v.dataSync())]));

	it('skip: a NaN step changes no weight and no optimizer state, is counted, and training goes on', async () => {
		// The twin first (two trainers from one seed would register the same variable names at once).
		const twin = new DPHTrainer(tf, cfg('skip'));
		await twin.step();
		await twin.step();
		const wv = values(twin);
		twin.dispose();
		const t = new DPHTrainer(tf, cfg('skip'));
		try {
			await t.step();
			const restore = poison(t);
			const before = values(t);
			const m = await t.step();
			expect(m.skipped).toBe(true);
			expect(t.skippedSteps).toBe(1);
			expect(t.stepCount).toBe(2);
			const after = values(t);
			for (const [k, v] of before) expect(after.get(k), k).toEqual(v);
			restore();
			// Had the skip touched LaProp's moments or step count, this update would differ from the twin's second.
			const m3 = await t.step();
			expect(m3.skipped).toBeUndefined();
			const tv = values(t);
			for (const [k, v] of wv) {
				const got = tv.get(k) ?? [];
				expect(Math.max(...v.map((x, i) => Math.abs(x - got[i]))), k).toBeLessThan(1e-6);
			}
			// …and it did change the weights (the comparison above is not vacuous).
			expect(tv.get('model.blocks.0.att.proj_q.weight')).not.toEqual(after.get('model.blocks.0.att.proj_q.weight'));
		} finally {
			t.dispose();
		}
	});

	it('stop (the default): the same step throws TrainingDivergedError and rolls back', async () => {
		expect(DEFAULT_TRAIN_CONFIG.onNonFinite).toBe('stop');
		const t = new DPHTrainer(tf, cfg('stop'));
		try {
			await t.step();
			poison(t);
			await expect(t.step()).rejects.toBeInstanceOf(TrainingDivergedError);
			expect(t.skippedSteps).toBe(0);
		} finally {
			t.dispose();
		}
	});
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { trainLoop } from '../../../../src/lib/dph/train/loop';
import { DPHTrainer, type EvalMetrics, TrainingDivergedError } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

/** Nano model on a handful of pairs: a step takes a fraction of a second on the cpu backend. */
const tiny = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 5,
		batchSize: 2,
		evalEvery: 2,
		optim: { warmupSteps: 0 },
		data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
		...extra,
	});

async function withTrainer<T>(cfg: ReturnType<typeof tiny>, fn: (t: DPHTrainer) => Promise<T>): Promise<T> {
	const before = tf.memory().numTensors;
	const t = new DPHTrainer(tf, cfg);
	try {
		return await fn(t);
	} finally {
		t.dispose();
		expect(tf.memory().numTensors).toBe(before);
	}
}

/** A pause the test holds and releases; `waiting()` resolves when the loop next waits on it. */
function pauser() {
	let gate: { promise: Promise<void>; resume: () => void } | null = null;
	let onWait: (() => void) | null = null;
	return {
		pause() {
			let resume = () => {};
			const promise = new Promise<void>((r) => {
				resume = r;
			});
			gate = { promise, resume };
		},
		resume() {
			const g = gate;
			gate = null;
			g?.resume();
		},
		waiting: () =>
			new Promise<void>((r) => {
				onWait = r;
			}),
		wait: () => {
			if (!gate) return Promise.resolve();
			onWait?.();
			onWait = null;
			return gate.promise;
		},
	};
}

describe('trainLoop', () => {
	it('runs every step; validation every evalEvery steps and after the last, each after its step', async () => {
		await withTrainer(tiny(), async (t) => {
			const events: string[] = [];
			const evals: EvalMetrics[] = [];
			const out = await trainLoop(t, {
				onStep: (m) => {
					events.push(`step ${m.step}`);
				},
				onEval: (e, m) => {
					expect(e.step).toBe(m.step);
					events.push(`eval ${e.step}`);
					evals.push(e);
				},
			});
			expect(events).toEqual(['step 1', 'step 2', 'eval 2', 'step 3', 'step 4', 'eval 4', 'step 5', 'eval 5']);
			expect(out).toEqual({ validation: evals.at(-1), stopped: false, diverged: null });
			expect(t.stepCount).toBe(5);
		});
	}, 60_000);

	it('stops between steps on the signal: the step in progress and its validation finish; an aborted signal runs none', async () => {
		await withTrainer(tiny(), async (t) => {
			const ctl = new AbortController();
			const evals: number[] = [];
			const out = await trainLoop(t, {
				signal: ctl.signal,
				onStep: (m) => {
					if (m.step === 2) ctl.abort();
				},
				onEval: (e) => {
					evals.push(e.step);
				},
			});
			expect(out.stopped).toBe(true);
			expect(out.diverged).toBeNull();
			expect(t.stepCount).toBe(2);
			expect(evals).toEqual([2]);
			expect(out.validation?.step).toBe(2);
			// Running on with the same signal does nothing more.
			expect(await trainLoop(t, { signal: ctl.signal })).toMatchObject({ stopped: true });
			expect(t.stepCount).toBe(2);
		});
	}, 60_000);

	it('waits while paused and resumes where it was; a stop during a pause runs no further step', async () => {
		await withTrainer(tiny(), async (t) => {
			const p = pauser();
			const ctl = new AbortController();
			const steps: number[] = [];
			const running = trainLoop(t, {
				signal: ctl.signal,
				paused: p.wait,
				onStep: (m) => {
					steps.push(m.step);
					if (m.step === 1 || m.step === 3) p.pause();
				},
			});
			await p.waiting();
			await new Promise((r) => setTimeout(r, 200));
			expect(steps).toEqual([1]);
			p.resume();
			await p.waiting();
			expect(steps).toEqual([1, 2, 3]);
			// The worker's stop: abort, then release the pause.
			ctl.abort();
			p.resume();
			expect(await running).toMatchObject({ stopped: true, diverged: null });
			expect(t.stepCount).toBe(3);
		});
	}, 60_000);

	it('divergence ends the loop without throwing; validation is of the rolled-back weights, fresh', async () => {
		const cfg = tiny({ optim: { warmupSteps: 0, weightDecay: 1e30, decayInit: false, dphWeightDecay: 1e30 } });
		await withTrainer(cfg, async (t) => {
			const evals: number[] = [];
			const out = await trainLoop(t, { onEval: (e) => void evals.push(e.step) });
			expect(out.diverged).toBeInstanceOf(TrainingDivergedError);
			expect(out.diverged).toMatchObject({ step: 1, quantity: 'the weight norm after the update', rolledBackTo: 0 });
			expect(out.stopped).toBe(false);
			// Not a scheduled validation, so no onEval; but the outcome holds the metrics of the weights there are now.
			expect(evals).toEqual([]);
			expect(out.validation?.step).toBe(0);
			expect(t.weightsStep).toBe(0);
			expect(out.validation).toEqual(await t.evaluate());
		});
		await withTrainer(cfg, async (t) => {
			const out = await trainLoop(t, { revalidate: false });
			expect(out.diverged?.rolledBackTo).toBe(0);
			expect(out.validation).toBeNull();
		});
	}, 60_000);

	it('no weights ever good: diverged with rolledBackTo null and no validation; other errors propagate', async () => {
		await withTrainer(tiny(), async (t) => {
			const v = t.params['model.output_norm.weight'];
			const nan = tf.fill(v.shape, Number.NaN);
			v.assign(nan);
			nan.dispose();
			const out = await trainLoop(t);
			expect(out.diverged).toMatchObject({ step: 1, quantity: 'the loss', rolledBackTo: null });
			expect(out.validation).toBeNull();
		});
		await withTrainer(tiny(), async (t) => {
			await expect(
				trainLoop(t, {
					onStep: () => {
						throw new Error('the page went away');
					},
				}),
			).rejects.toThrow('the page went away');
			expect(t.stepCount).toBe(1);
		});
	}, 60_000);
});

import { describe, expect, it } from 'vitest';
import {
	DEFAULT_TRAIN_CONFIG,
	resolveTrainConfig,
	TrainConfigError,
	withScaledWarmup,
} from '../../../../src/lib/dph/train/config';

function configError(raw: unknown): TrainConfigError {
	try {
		resolveTrainConfig(raw);
	} catch (e) {
		if (e instanceof TrainConfigError) return e;
		throw e;
	}
	throw new Error(`no error for ${JSON.stringify(raw)}`);
}

describe('training config messages', () => {
	it('names non-finite values as such (JSON.stringify would print them as null)', () => {
		const e = configError({ optim: { weightDecay: Number.POSITIVE_INFINITY } });
		expect(e.field).toBe('optim.weightDecay');
		expect(e.message).toBe('optim.weightDecay = Infinity is invalid: valid weightDecay ≥ 0');
		expect(configError({ objective: { beta: Number.NaN } }).message).toMatch(/^objective\.beta = NaN is invalid/);
	});

	it('reports a bad steps as steps, before the warm-up that must be shorter than it', () => {
		const e = configError({ steps: -1 });
		expect(e.field).toBe('steps');
		expect(e.message).toMatch(/^steps = -1 is invalid/);
	});

	it('takes from/refFrom as checkpoint names; refFrom needs from', () => {
		expect(resolveTrainConfig({ from: 'runs/a', refFrom: 'runs/b' })).toMatchObject({
			from: 'runs/a',
			refFrom: 'runs/b',
		});
		expect(resolveTrainConfig({}).from).toBeUndefined();
		expect(configError({ from: '' }).field).toBe('from');
		expect(configError({ from: 3 }).message).toMatch(/from must name a checkpoint folder/);
		expect(configError({ refFrom: 'runs/b' }).message).toMatch(/refFrom needs from/);
	});

	it('refuses data.jsonl for a task that would ignore it, and data.jsonlPath outside the CLI', () => {
		const e = configError({ data: { task: 'arithmetic', jsonl: '{}' } });
		expect(e.field).toBe('data.jsonl');
		expect(e.message).toMatch(/data\.task is "arithmetic".*set data\.task to "jsonl"/);
		const p = configError({ data: { task: 'jsonl', jsonlPath: 'x.jsonl' } });
		expect(p.field).toBe('data.jsonlPath');
		expect(p.message).toMatch(/only the dph CLI reads.*data\.jsonl/);
		expect(resolveTrainConfig({ data: { task: 'jsonl', jsonl: '' } }).data.task).toBe('jsonl');
	});
});

describe('withScaledWarmup', () => {
	it('gives a run that sets steps but no warm-up a tenth of its steps, at most the base warm-up', () => {
		const w = (raw: Record<string, unknown>) => resolveTrainConfig(withScaledWarmup(raw)).optim.warmupSteps;
		expect(w({ steps: 5 })).toBe(0);
		expect(w({ steps: 19 })).toBe(1);
		expect(w({ steps: 150 })).toBe(15);
		expect(w({ steps: 5000 })).toBe(DEFAULT_TRAIN_CONFIG.optim.warmupSteps);
		expect(w({ steps: 50, optim: { lr: 0.01 } })).toBe(5);
		// An explicit warm-up, no steps, or invalid input is left alone (validation reports the latter).
		expect(w({ steps: 50, optim: { warmupSteps: 3 } })).toBe(3);
		expect(w({})).toBe(20);
		const bad = { steps: -1 };
		expect(withScaledWarmup(bad)).toBe(bad);
		const notObj = { steps: 10, optim: 3 };
		expect(withScaledWarmup(notObj)).toBe(notObj);
	});
});

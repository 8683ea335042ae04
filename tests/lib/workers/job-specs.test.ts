import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG } from '../../../src/lib/dph/train/config';
import { jobTotal } from '../../../src/lib/workers/job-specs';

describe('jobTotal: the `step` count at which a job is done, for progress bars', () => {
	it('train: the steps of the config the worker resolves, the default (150) when omitted', () => {
		expect(DEFAULT_TRAIN_CONFIG.steps).toBe(150);
		expect(jobTotal('train', { config: {} })).toBe(DEFAULT_TRAIN_CONFIG.steps);
		expect(jobTotal('train', { config: { evalEvery: 10 } })).toBe(150);
		expect(jobTotal('train', { config: { steps: 40, optim: { warmupSteps: 4 } } })).toBe(40);
		// A config the worker will refuse has no total; the job reports the error.
		expect(jobTotal('train', { config: { steps: -1 } })).toBe(0);
	});

	it('sweep: runs × steps; an invalid spec gives 0', () => {
		const base = { steps: 30, optim: { warmupSteps: 3 } };
		expect(jobTotal('sweep', { spec: { name: 's', base, grid: { seed: [1, 2, 3] } } })).toBe(90);
		expect(jobTotal('sweep', { spec: { name: 's', grid: { seed: [1, 2] } } })).toBe(2 * DEFAULT_TRAIN_CONFIG.steps);
		expect(jobTotal('sweep', { spec: 'not a spec' })).toBe(0);
	});

	it('selftest: its steps; score: its items; checkpoint: none (bytes are reported with their own total)', () => {
		expect(jobTotal('selftest', { steps: 40 })).toBe(40);
		expect(jobTotal('score', { id: 1, items: [{ messages: [], candidates: ['x', 'y'] }] })).toBe(1);
		expect(jobTotal('checkpoint', { source: { kind: 'url', url: '/x' } })).toBe(0);
	});
});

/**
 * Jobs the compute worker can run, by kind. The page imports only the types; the worker imports the registry.
 * Later work (training, sweeps, margin simulations) adds kinds here.
 */
import type { BackendName } from '../dph/backend';
import type { SelfTestResult, SelfTestStep } from '../dph/selftest';

export interface JobSpecs {
	selftest: {
		params: { steps: number; backend?: BackendName; seed?: number; batch?: number };
		progress: SelfTestStep;
		result: SelfTestResult;
	};
}

export type JobKind = keyof JobSpecs;
export const JOB_KINDS: readonly JobKind[] = ['selftest'];

export interface JobContext<K extends JobKind> {
	signal: AbortSignal;
	progress(p: JobSpecs[K]['progress']): void;
}

/** How far a job is, for progress bars: every progress message carries `step` out of `params.steps`. */
export function jobTotal<K extends JobKind>(kind: K, params: JobSpecs[K]['params']): number {
	switch (kind) {
		case 'selftest':
			return params.steps;
	}
	return 0;
}

export type JobRegistry = {
	[K in JobKind]: (params: JobSpecs[K]['params'], ctx: JobContext<K>) => Promise<JobSpecs[K]['result']>;
};

/** Loaded inside the worker only, so the page bundle never pulls tfjs in through here. */
export async function loadJobRegistry(): Promise<JobRegistry> {
	const { runSelfTest } = await import('../dph/selftest');
	return {
		selftest: (params, ctx) => runSelfTest({ ...params, signal: ctx.signal, onStep: (s) => ctx.progress(s) }),
	};
}

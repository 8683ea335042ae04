/**
 * The Sweeps page's runs on several compute workers at once: each worker gets one run at a time (the `sweep` job
 * with `runs: [index]`), in run order as workers free up. Every job writes its run to the sweep's IndexedDB store
 * (one transaction per append, so workers cannot lose each other's runs) and the page shows results sorted by run,
 * so the table is the one a single worker gives: each run is computed from its own seeded config on the same backend.
 */
import type { BackendName } from '$lib/dph/backend';
import type { RunResult } from '$lib/dph/sweep/results';
import type { SweepProgress } from '$lib/dph/sweep/runner';
import type { ComputeWorker, RunHandle } from '$lib/workers/compute-client';
import type { SweepJobResult } from '$lib/workers/job-specs';

/** Workers for a sweep by default: the cores, at most 4 (each holds its own tfjs); 1 on a GPU, which they would share. */
export function defaultWorkers(cores: number | undefined, backend: BackendName | undefined): number {
	if (backend === 'webgpu') return 1;
	return Math.max(1, Math.min(cores || 1, 4));
}

export interface PoolHandle {
	/** Resolves when every worker is done or stopped; rejects with the first failure (the others are stopped). */
	done: Promise<{ stopped: boolean }>;
	stop(): void;
	pause(paused: boolean): void;
}

export function runOnWorkers(opts: {
	workers: readonly ComputeWorker[];
	spec: unknown;
	backend: BackendName;
	/** Indices of the runs to do, in order. */
	runs: readonly number[];
	/** A worker's run in progress; null when it has none. */
	onProgress: (worker: number, p: SweepProgress | null) => void;
	onResult: (r: RunResult) => void;
}): PoolHandle {
	const handles = new Map<number, RunHandle<SweepJobResult>>();
	let next = 0;
	let stopped = false;
	let paused = false;
	const stopAll = () => {
		stopped = true;
		for (const h of handles.values()) h.stop();
	};
	const loop = async (w: ComputeWorker, k: number) => {
		while (!stopped && next < opts.runs.length) {
			const index = opts.runs[next++];
			const h = w.run('sweep', { spec: opts.spec, backend: opts.backend, runs: [index] }, (p) => {
				if (p.kind === 'step') opts.onProgress(k, p.progress);
				else opts.onResult(p.result);
			});
			handles.set(k, h);
			if (paused) h.pause(true);
			try {
				const r = await h.result;
				if (r.stopped) stopped = true;
			} catch (e) {
				stopAll();
				throw e;
			} finally {
				handles.delete(k);
				opts.onProgress(k, null);
			}
		}
	};
	const done = Promise.allSettled(opts.workers.map(loop)).then((all) => {
		const failed = all.find((r) => r.status === 'rejected');
		if (failed) throw (failed as PromiseRejectedResult).reason;
		return { stopped: stopped || next < opts.runs.length };
	});
	return {
		done,
		stop: stopAll,
		pause: (p) => {
			paused = p;
			for (const h of handles.values()) h.pause(p);
		},
	};
}

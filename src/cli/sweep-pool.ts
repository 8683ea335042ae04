/**
 * `dph sweep --jobs N`: N runs at once, one per worker thread (src/cli/sweep-worker-body.ts), each worker with its
 * own tfjs on the backend the parent chose. Runs are handed out in run order as workers free up.
 *
 * The results are those of a serial sweep: every run is computed by the same runSweep from its own seeded config
 * (nothing carries over between runs), and only this thread writes the results file, appending in run order. A run
 * that finishes before an earlier one waits in memory for it, so the file is byte for byte
 * the serial one except the timing field "seconds"; on a stop or an error the waiting runs are written at once.
 *
 * Failures follow the serial sweep: a diverged run is a result like any other; any other exception (or a worker
 * that dies) stops handing out runs, lets the runs in progress finish and be stored, then is thrown. Stopping (the
 * signal) asks every worker to abandon its run; a worker that does not answer in STOP_GRACE_MS is terminated.
 */
import { availableParallelism, freemem } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../lib/dph/backend.ts';
import type { ResultsStore, RunResult } from '../lib/dph/sweep/results.ts';
import { type SweepOutcome, storedResults } from '../lib/dph/sweep/runner.ts';
import type { ExpandedSweep, SweepRun } from '../lib/dph/sweep/spec.ts';
import { StartError } from '../lib/dph/train/start.ts';
import { int, type ParsedArgs } from './args.ts';

export interface WorkerInit {
	sweep: ExpandedSweep;
	backend: BackendName;
	/** base.from / base.refFrom are resolved against it, as the serial sweep does. */
	specDir: string;
}
export type ToWorker = { type: 'run'; queueIndex: number } | { type: 'stop' };
export type FromWorker =
	| { type: 'ready'; label: string }
	| { type: 'progress'; id: string; step: number; steps: number; loss: number }
	| { type: 'result'; result: RunResult; leaked: number }
	| { type: 'stopped'; id: string }
	| { type: 'error'; id: string | null; name: string; message: string; stack: string };

export interface ActiveRun {
	worker: number;
	id: string;
	step: number;
	steps: number;
	loss: number;
}

export interface PoolProgress {
	/** The runs in progress, by worker. */
	active: ActiveRun[];
	runsDone: number;
	runsTotal: number;
	/** From the pool's wall-clock throughput in steps so far; null before the first step. */
	etaSeconds: number | null;
}

export interface PoolOptions {
	jobs: number;
	backend: BackendName;
	specDir: string;
	store: ResultsStore;
	/** The runs to execute (e.g. one shard), in order. */
	runs: readonly SweepRun[];
	signal?: AbortSignal;
	onProgress?: (p: PoolProgress) => void;
	onResult?: (r: RunResult, counts: { runsDone: number; runsTotal: number }) => void;
	/** Messages for stderr: a worker's backend, tensors a run left behind. */
	log?: (message: string) => void;
}

const STOP_GRACE_MS = 10_000;
const WORKER_URL = new URL('./sweep-worker.mjs', import.meta.url);

/** A worker's error, rebuilt as the class the serial sweep would have thrown where the CLI tells them apart. */
function rebuilt(m: Extract<FromWorker, { type: 'error' }>): Error {
	const e = new Error(m.message);
	e.name = m.name;
	e.stack = m.stack;
	if (m.name === 'StartError') Object.setPrototypeOf(e, StartError.prototype);
	return e;
}

export async function runSweepPool(sweep: ExpandedSweep, opts: PoolOptions): Promise<SweepOutcome & { jobs: number }> {
	const { store, signal, log = () => {} } = opts;
	const queue = opts.runs;
	const stored = await storedResults(store, queue);
	const runsTotal = queue.length;
	const skipped = queue.filter((r) => stored.has(r.id)).length;
	const pending = queue.filter((r) => !stored.has(r.id));
	const jobs = Math.max(1, Math.min(opts.jobs, pending.length));
	if (!pending.length)
		return { results: queue.flatMap((r) => stored.get(r.id) ?? []), executed: 0, skipped, stopped: false, jobs };

	const queueIndex = new Map(sweep.runs.map((r, i) => [r.id, i]));
	const init: WorkerInit = { sweep, backend: opts.backend, specDir: opts.specDir };
	let runsDone = skipped;
	let next = 0;
	let written = 0;
	let executed = 0;
	let stopped = false;
	let failure: Error | null = null;
	const finished = new Map<string, RunResult>();
	const active = new Map<number, ActiveRun>();
	let stepsLeft = pending.reduce((n, r) => n + r.config.steps, 0);
	let stepsRun = 0;
	let firstStepAt = 0;
	let writing = Promise.resolve();

	/** Append the finished runs that have no unfinished run before them (all of them once the sweep ends). */
	const flush = (all: boolean) => {
		writing = writing.then(async () => {
			while (written < pending.length) {
				const r = finished.get(pending[written].id);
				if (r) await store.append(r);
				else if (!all) break;
				written++;
			}
		});
		return writing;
	};

	const emitProgress = () => {
		const eta = stepsRun === 0 ? null : ((performance.now() - firstStepAt) / 1000 / Math.max(1, stepsRun)) * stepsLeft;
		opts.onProgress?.({ active: [...active.values()], runsDone, runsTotal, etaSeconds: eta });
	};

	await new Promise<void>((resolveAll) => {
		let live = 0;
		const workers: Worker[] = [];
		const exited = new Set<Worker>();
		const onAbort = () => {
			stopped = true;
			for (const w of workers) {
				w.postMessage({ type: 'stop' } satisfies ToWorker);
				setTimeout(() => {
					if (exited.has(w)) return;
					log(`worker ${workers.indexOf(w)} did not stop within ${STOP_GRACE_MS / 1000} s; terminated\n`);
					void w.terminate();
				}, STOP_GRACE_MS).unref();
			}
		};
		const dispatch = (w: Worker, k: number) => {
			if (stopped || failure || signal?.aborted || next >= pending.length) {
				active.delete(k);
				void w.terminate();
				return;
			}
			const run = pending[next++];
			active.set(k, { worker: k, id: run.id, step: 0, steps: run.config.steps, loss: Number.NaN });
			w.postMessage({ type: 'run', queueIndex: queueIndex.get(run.id) as number } satisfies ToWorker);
		};
		for (let k = 0; k < jobs; k++) {
			const w = new Worker(WORKER_URL, { workerData: init });
			workers.push(w);
			live++;
			let settled = false;
			w.on('message', (m: FromWorker) => {
				if (m.type === 'ready') {
					if (k === 0) log(`workers: ${jobs} × ${m.label}\n`);
					dispatch(w, k);
				} else if (m.type === 'progress') {
					if (!firstStepAt) firstStepAt = performance.now();
					stepsRun++;
					stepsLeft--;
					active.set(k, { worker: k, id: m.id, step: m.step, steps: m.steps, loss: m.loss });
					emitProgress();
				} else if (m.type === 'result') {
					const r = m.result;
					const run = pending.find((p) => p.id === r.id);
					if (run && r.steps < run.config.steps) stepsLeft -= run.config.steps - r.steps;
					if (m.leaked) log(`warning: run ${r.id} left ${m.leaked} tensors behind in worker ${k}\n`);
					finished.set(r.id, r);
					stored.set(r.id, r);
					executed++;
					runsDone++;
					opts.onResult?.(r, { runsDone, runsTotal });
					void flush(false);
					dispatch(w, k);
				} else if (m.type === 'stopped') {
					active.delete(k);
					void w.terminate();
				} else {
					failure ??= rebuilt(m);
					active.delete(k);
					void w.terminate();
				}
			});
			// An exception outside runSweep's try, or a crash (e.g. out of memory): the run it had is lost, as serially.
			w.on('error', (e) => {
				const run = active.get(k);
				failure ??= new Error(`sweep worker ${k}${run ? ` (run ${run.id})` : ''} failed: ${e.message}`);
			});
			w.on('exit', (code) => {
				if (settled) return;
				settled = true;
				exited.add(w);
				const run = active.get(k);
				if (run && !stopped && !failure)
					failure = new Error(`sweep worker ${k} exited (code ${code}) during run ${run.id}`);
				active.delete(k);
				if (--live === 0) {
					signal?.removeEventListener('abort', onAbort);
					resolveAll();
				}
			});
		}
		if (signal?.aborted) onAbort();
		else signal?.addEventListener('abort', onAbort, { once: true });
	});
	await flush(true);
	if (failure) throw failure;
	const results = queue.flatMap((r) => stored.get(r.id) ?? []);
	return { results, executed, skipped, stopped: stopped || executed < pending.length, jobs };
}

/** `--jobs N`, 1..256; undefined when not given (defaultJobs decides). */
export function jobsArg(args: ParsedArgs): number | undefined {
	return int(args, 'jobs', 1, 256);
}

/** Bytes one run is expected to need: a worker's own tfjs and wasm heap, plus the model's training state. */
export function estimateRunBytes(run: SweepRun, checkpointBytes = 0): number {
	// Measured: an idle worker with tfjs-wasm loaded is ~150 MB resident; a nano/tiny run adds well under 100 MB.
	const WORKER_BYTES = 300 * 2 ** 20;
	// From a checkpoint: weights, the reference copy, gradients and two Adam moments, in float32 (an F16 file doubles).
	return WORKER_BYTES + (run.config.from !== undefined ? checkpointBytes * 2 * 5 : 0);
}

/** The default --jobs: one run per core, no more than free memory holds, one on a GPU (they would share it). */
export function defaultJobs(
	backend: BackendName,
	perRunBytes: number,
	cores = availableParallelism(),
	free = Math.min(freemem(), process.constrainedMemory?.() || Number.POSITIVE_INFINITY),
): { jobs: number; why: string } {
	if (backend === 'webgpu') return { jobs: 1, why: 'one GPU' };
	const byMemory = Math.max(1, Math.floor((free * 0.8) / perRunBytes));
	if (byMemory < cores) {
		return {
			jobs: byMemory,
			why: `${cores} cores, memory for ${byMemory} (~${Math.round(perRunBytes / 2 ** 20)} MB a run)`,
		};
	}
	return { jobs: cores, why: `${cores} cores` };
}

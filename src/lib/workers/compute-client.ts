/**
 * ComputeWorker: the one owner of the compute worker. Components and notebook cells call its methods and never
 * post messages themselves. Requests carry ids so replies and progress reach the right caller.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import type { MeasureProgress } from '../dph/backend-measure';
import type { JobKind, JobSpecs } from './job-specs';
import type { FromWorker, ToWorker } from './protocol';

type Pending = {
	resolve: (v: never) => void;
	reject: (e: Error) => void;
	onProgress?: (p: never) => void;
};

/** Omit that keeps a union a union (plain Omit collapses it to the common fields). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface RunHandle<T> {
	result: Promise<T>;
	stop(): void;
	pause(paused: boolean): void;
}

export class ComputeWorker {
	private worker: Worker;
	private nextId = 1;
	private pending = new Map<number, Pending>();
	private lostListeners = new Set<(r: BackendReport) => void>();
	report: BackendReport | null = null;

	constructor() {
		this.worker = new Worker(new URL('./compute.worker.ts', import.meta.url), { type: 'module' });
		this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
		this.worker.onerror = (ev) => {
			const err = new Error(`compute worker failed: ${ev.message || 'could not start (see the browser console)'}`);
			for (const p of this.pending.values()) p.reject(err);
			this.pending.clear();
		};
	}

	private receive(m: FromWorker) {
		if (m.type === 'device-lost') {
			this.report = m.report;
			for (const l of this.lostListeners) l(m.report);
			return;
		}
		const p = this.pending.get(m.id);
		if (!p) return;
		switch (m.type) {
			case 'progress':
			case 'measure-progress':
				p.onProgress?.(m.progress as never);
				return;
			case 'ready':
				this.report = m.report;
				p.resolve(m.report as never);
				break;
			case 'job-done':
				p.resolve(m.result as never);
				break;
			case 'error':
				p.reject(new Error(m.message));
				break;
		}
		this.pending.delete(m.id);
	}

	private request<T>(msg: DistributiveOmit<ToWorker, 'id'>, onProgress?: (p: never) => void) {
		const id = this.nextId++;
		const result = new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onProgress });
		});
		this.worker.postMessage({ ...msg, id } as ToWorker);
		return { id, result };
	}

	/**
	 * Start (or switch) the worker's backend: `prefer` names one; without it, `measured` starts on the measured
	 * choice (timing the backends now when `cached` is stale or `force`), reporting each phase to `onProgress`.
	 */
	init(
		prefer?: BackendName,
		opts: {
			threads?: number;
			measured?: { cached: string | null; force?: boolean };
			onProgress?: (p: MeasureProgress) => void;
		} = {},
	): Promise<BackendReport> {
		const { onProgress, ...rest } = opts;
		return this.request<BackendReport>({ type: 'init', prefer, ...rest }, onProgress as (p: never) => void).result;
	}

	/** Run a job in the worker; `stop()` aborts it between steps (the result then says it was stopped). */
	run<K extends JobKind>(
		kind: K,
		params: JobSpecs[K]['params'],
		onProgress?: (p: JobSpecs[K]['progress']) => void,
	): RunHandle<JobSpecs[K]['result']> {
		const msg = { type: 'job', kind, params } as DistributiveOmit<ToWorker, 'id'>;
		const { id, result } = this.request<JobSpecs[K]['result']>(msg, onProgress as (p: never) => void);
		return {
			result,
			stop: () => this.worker.postMessage({ type: 'stop', id } satisfies ToWorker),
			pause: (paused: boolean) => this.worker.postMessage({ type: 'pause', id, paused } satisfies ToWorker),
		};
	}

	simulateDeviceLoss(): Promise<BackendReport> {
		return this.request<BackendReport>({ type: 'simulate-device-loss' }).result;
	}

	onDeviceLost(fn: (r: BackendReport) => void): () => void {
		this.lostListeners.add(fn);
		return () => this.lostListeners.delete(fn);
	}

	terminate() {
		this.worker.terminate();
		for (const p of this.pending.values()) p.reject(new Error('compute worker terminated'));
		this.pending.clear();
	}
}

let shared: ComputeWorker | null = null;

/** The page-wide compute worker (created on first use, in the browser only). */
export function computeWorker(): ComputeWorker {
	shared ??= new ComputeWorker();
	return shared;
}

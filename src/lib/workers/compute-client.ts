/**
 * ComputeWorker: the one owner of the compute worker. Components call its methods and never post messages
 * themselves. Requests carry ids so replies and progress reach the right caller.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import type { SelfTestResult, SelfTestStep } from '../dph/selftest';
import type { FromWorker, ToWorker } from './protocol';

type Pending = {
	resolve: (v: never) => void;
	reject: (e: Error) => void;
	onStep?: (s: SelfTestStep) => void;
};

/** Omit that keeps a union a union (plain Omit collapses it to the common fields). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface RunHandle<T> {
	result: Promise<T>;
	stop(): void;
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
			case 'step':
				p.onStep?.(m.step);
				return;
			case 'ready':
				this.report = m.report;
				p.resolve(m.report as never);
				break;
			case 'selftest-done':
				p.resolve(m.result as never);
				break;
			case 'error':
				p.reject(new Error(m.message));
				break;
		}
		this.pending.delete(m.id);
	}

	private request<T>(
		msg: DistributiveOmit<ToWorker, 'id'>,
		onStep?: (s: SelfTestStep) => void,
	): { id: number; result: Promise<T> } {
		const id = this.nextId++;
		const result = new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onStep });
		});
		this.worker.postMessage({ ...msg, id } as ToWorker);
		return { id, result };
	}

	init(prefer?: BackendName): Promise<BackendReport> {
		return this.request<BackendReport>({ type: 'init', prefer }).result;
	}

	selfTest(
		opts: { steps: number; backend?: BackendName; seed?: number },
		onStep?: (s: SelfTestStep) => void,
	): RunHandle<SelfTestResult> {
		const { id, result } = this.request<SelfTestResult>({ type: 'selftest', ...opts }, onStep);
		return { result, stop: () => this.worker.postMessage({ type: 'stop', id } satisfies ToWorker) };
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

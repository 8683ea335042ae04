/// <reference lib="webworker" />
/**
 * The compute worker: owns tfjs for the page, so heavy work never runs on the main thread.
 * Owned by ComputeWorker (compute-client.ts); speaks the protocol in protocol.ts; runs the jobs of registry.ts (typed in job-specs.ts).
 */
import { initBackend, onDeviceLost, simulateDeviceLoss } from '../dph/backend';
import type { MeasureProgress } from '../dph/backend-measure';
import type { JobContext, JobKind, JobRegistry } from './job-specs';
import type { FromWorker, ToWorker } from './protocol';
import { loadJobRegistry } from './registry';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => ctx.postMessage(m);
const running = new Map<number, AbortController>();
/** Paused jobs and the resolver that resumes them. */
const pauses = new Map<number, { promise: Promise<void>; resume: () => void }>();
let registry: Promise<JobRegistry> | null = null;
/** The backend start in progress: jobs wait for it, so none runs on a backend that is only being timed. */
let settling: Promise<unknown> = Promise.resolve();

onDeviceLost((report) => post({ type: 'device-lost', report }));

async function runJob<K extends JobKind>(id: number, kind: K, params: Parameters<JobRegistry[K]>[0]) {
	const ctl = new AbortController();
	running.set(id, ctl);
	try {
		await settling;
		registry ??= loadJobRegistry();
		const fn = (await registry)[kind] as JobRegistry[K];
		const jobCtx: JobContext<K> = {
			signal: ctl.signal,
			progress: (progress) => post({ type: 'progress', id, progress }),
			paused: () => pauses.get(id)?.promise ?? Promise.resolve(),
		};
		const result = await fn(params as never, jobCtx as never);
		post({ type: 'job-done', id, result });
	} finally {
		running.delete(id);
	}
}

ctx.onmessage = async (ev: MessageEvent<ToWorker>) => {
	const msg = ev.data;
	try {
		switch (msg.type) {
			case 'init': {
				const { id, prefer, threads, measured } = msg;
				const onProgress = (progress: MeasureProgress) => post({ type: 'measure-progress', id, progress });
				const started = initBackend(
					prefer ? { prefer, threads } : measured ? { threads, measured: { ...measured, onProgress } } : { threads },
				);
				settling = started.catch(() => {});
				post({ type: 'ready', id, report: await started });
				break;
			}
			case 'job':
				await runJob(msg.id, msg.kind, msg.params);
				break;
			case 'stop':
				running.get(msg.id)?.abort();
				pauses.get(msg.id)?.resume();
				break;
			case 'pause':
				if (msg.paused && !pauses.has(msg.id)) {
					let resume = () => {};
					const promise = new Promise<void>((r) => {
						resume = () => {
							pauses.delete(msg.id);
							r();
						};
					});
					pauses.set(msg.id, { promise, resume });
				} else if (!msg.paused) pauses.get(msg.id)?.resume();
				break;
			case 'simulate-device-loss':
				post({ type: 'ready', id: msg.id, report: await simulateDeviceLoss() });
				break;
		}
	} catch (e) {
		post({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e) });
	}
};

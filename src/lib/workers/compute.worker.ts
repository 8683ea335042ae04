/// <reference lib="webworker" />
/**
 * The compute worker: owns tfjs for the page, so heavy work never runs on the main thread.
 * Owned by ComputeWorker (compute-client.ts); speaks the protocol in protocol.ts.
 */
import { initBackend, onDeviceLost, simulateDeviceLoss } from '../dph/backend';
import { runSelfTest } from '../dph/selftest';
import type { FromWorker, ToWorker } from './protocol';

const ctx = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => ctx.postMessage(m);
const running = new Map<number, AbortController>();

onDeviceLost((report) => post({ type: 'device-lost', report }));

ctx.onmessage = async (ev: MessageEvent<ToWorker>) => {
	const msg = ev.data;
	try {
		switch (msg.type) {
			case 'init': {
				post({ type: 'ready', id: msg.id, report: await initBackend(msg.prefer ? { prefer: msg.prefer } : {}) });
				break;
			}
			case 'selftest': {
				const ctl = new AbortController();
				running.set(msg.id, ctl);
				try {
					const result = await runSelfTest({
						backend: msg.backend,
						steps: msg.steps,
						seed: msg.seed,
						signal: ctl.signal,
						onStep: (step) => post({ type: 'step', id: msg.id, step }),
					});
					post({ type: 'selftest-done', id: msg.id, result });
				} finally {
					running.delete(msg.id);
				}
				break;
			}
			case 'stop': {
				running.get(msg.id)?.abort();
				break;
			}
			case 'simulate-device-loss': {
				post({ type: 'ready', id: msg.id, report: await simulateDeviceLoss() });
				break;
			}
		}
	} catch (e) {
		post({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e) });
	}
};

/**
 * The page-wide view of which backend the compute worker got. Started once by the layout; read by the badge,
 * the System page and anything else that wants to say where work will run.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import { type ComputeWorker, computeWorker } from '../workers/compute-client';

class BackendState {
	report = $state<BackendReport | null>(null);
	error = $state<string | null>(null);
	starting = $state(false);
	private worker: ComputeWorker | null = null;

	start(): ComputeWorker {
		if (this.worker) return this.worker;
		const w = computeWorker();
		this.worker = w;
		this.starting = true;
		w.onDeviceLost((r) => {
			this.report = r;
		});
		// ?backend=wasm|webgpu|cpu forces a backend for this page load (tests, and a user comparing backends).
		const forced = new URLSearchParams(globalThis.location?.search ?? '').get('backend');
		w.init((['webgpu', 'wasm', 'cpu'] as BackendName[]).find((b) => b === forced))
			.then((r) => {
				this.report = r;
				this.error = null;
			})
			.catch((e: Error) => {
				this.error = e.message;
			})
			.finally(() => {
				this.starting = false;
			});
		return w;
	}

	set(r: BackendReport) {
		this.report = r;
	}
}

export const backendState = new BackendState();

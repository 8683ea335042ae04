/**
 * The page-wide view of which backend the compute worker got, and how it was chosen. Started once by the layout;
 * read by the badge, the System page and anything else that wants to say where work will run.
 *
 * The choice, most binding first: `?backend=NAME` in the URL (tests, links; never stored), the user's override
 * (System page, localStorage), a fresh stored measurement, else the worker times the backends now and the page
 * stores the result. The worker measures (it owns tfjs); the page keeps the cache, since workers have no
 * localStorage.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import { BACKEND_NAMES, type CachedMeasurement, parseCached } from '../dph/backend-choice';
import type { MeasureProgress } from '../dph/backend-measure';
import { type ComputeWorker, computeWorker } from '../workers/compute-client';

export const OVERRIDE_KEY = 'dph-backend-override';
export const MEASUREMENT_KEY = 'dph-backend-measurement';

function stored(key: string): string | null {
	try {
		return localStorage.getItem(key);
	} catch {
		return null;
	}
}

function store(key: string, value: string | null) {
	try {
		if (value === null) localStorage.removeItem(key);
		else localStorage.setItem(key, value);
	} catch {
		// Storage off (private mode, quota): the choice holds for this page only.
	}
}

const asBackend = (v: string | null): BackendName | null =>
	v && BACKEND_NAMES.includes(v as BackendName) ? (v as BackendName) : null;

class BackendState {
	report = $state<BackendReport | null>(null);
	error = $state<string | null>(null);
	starting = $state(false);
	/** The phase of a measurement in progress. */
	measuring = $state<MeasureProgress | null>(null);
	/** The user's persisted pick, or null for "measured". */
	override = $state<BackendName | null>(null);
	/** `?backend=` of the URL the page was opened with. */
	forced = $state<BackendName | null>(null);
	/** The last measurement stored on this device (shown even while an override is in force). */
	lastMeasurement = $state<CachedMeasurement | null>(null);
	isolated = $state(false);
	private worker: ComputeWorker | null = null;
	private threads: number | undefined;

	start(): ComputeWorker {
		if (this.worker) return this.worker;
		const w = computeWorker();
		this.worker = w;
		const params = new URL(location.href).searchParams;
		this.forced = asBackend(params.get('backend'));
		const threads = Number(params.get('threads'));
		this.threads = Number.isInteger(threads) && threads > 0 ? threads : undefined;
		this.override = asBackend(stored(OVERRIDE_KEY));
		this.lastMeasurement = parseCached(stored(MEASUREMENT_KEY));
		this.isolated = globalThis.crossOriginIsolated === true;
		w.onDeviceLost((r) => {
			this.report = r;
		});
		void this.run(this.forced ?? this.override);
		return w;
	}

	/** Start the worker on `prefer`, or on the measured choice (measuring now when `force` or nothing fresh). */
	private async run(prefer: BackendName | null, force = false) {
		const w = this.worker;
		if (!w) return;
		this.starting = true;
		try {
			const r = prefer
				? await w.init(prefer, { threads: this.threads })
				: await w.init(undefined, {
						threads: this.threads,
						measured: { cached: stored(MEASUREMENT_KEY), force },
						onProgress: (p) => {
							this.measuring = p;
						},
					});
			const entry = r.choice?.entry;
			if (entry) {
				store(MEASUREMENT_KEY, JSON.stringify(entry));
				this.lastMeasurement = entry;
			}
			this.report = r;
			this.error = null;
		} catch (e) {
			this.error = (e as Error).message;
		} finally {
			this.starting = false;
			this.measuring = null;
		}
	}

	/** Time every backend again (System page); an override or `?backend=` stays in force afterwards. */
	async measureNow() {
		await this.run(null, true);
		const keep = this.forced ?? this.override;
		if (keep && this.report?.backend !== keep) await this.run(keep);
	}

	/** Persist the user's pick (null: back to the measured choice) and switch the worker to it. */
	async setOverride(b: BackendName | null) {
		this.override = b;
		store(OVERRIDE_KEY, b);
		if (!this.forced) await this.run(b);
	}

	set(r: BackendReport) {
		this.report = r;
	}
}

export const backendState = new BackendState();

/**
 * The thin harness that times each backend on a representative workload — a few DPH training steps of the `nano`
 * LSWT (forward, reference model, backward, LaProp) and one scoring (forward-only) call — and leaves tfjs on the
 * fastest. The decision, cache key and staleness rules are pure (backend-choice.ts); this only measures.
 *
 * Order: wasm, cpu, then WebGPU last, so a WebGPU measurement stopped by its budget (SwiftShader can compile
 * kernels for many seconds) finishes in the background without disturbing the other backends' timings.
 */
import {
	type BackendName,
	type BackendReport,
	defaultWasmThreads,
	detectEnvironment,
	getTf,
	type InitOptions,
	initBackend,
	loadTf,
} from './backend';
import {
	BACKEND_NAMES,
	type BackendChoice,
	type BackendFigure,
	type CachedMeasurement,
	type CacheKeyParts,
	cacheKey,
	cacheStatus,
	MEASUREMENT_VERSION,
	measureBudgetMs,
	parseCached,
	pickFastest,
} from './backend-choice';
import { resolveTrainConfig } from './train/config';
import { DPHTrainer } from './train/trainer';

export interface MeasureProgress {
	backend: BackendName;
	phase: 'starting' | 'warm-up' | 'timing' | 'scoring' | 'done';
	/** 1-based position of this backend in the run, and how many are measured. */
	index: number;
	total: number;
	/** Set with phase 'done'. */
	figure?: BackendFigure;
}

export interface MeasureOptions {
	candidates?: readonly BackendName[];
	onProgress?: (p: MeasureProgress) => void;
	/** ms one backend may take, given the best backend's whole measurement so far (default measureBudgetMs). */
	budgetMs?: (bestSoFarMs: number | null, hardwareGpu: boolean) => number;
	/** Timed training steps after the warm-up step (default 2). */
	steps?: number;
	/**
	 * Leave software WebGPU adapters unmeasured. Node needs this: Dawn compiles SwiftShader kernels on the JavaScript
	 * thread (90 s for the nano step here), so no timer can stop the measurement; in a browser the GPU process
	 * compiles and the budget holds.
	 */
	skipSoftwareGpu?: boolean;
	/** Passed on to initBackend for each backend (wasm paths, threads, the device-loss callback). */
	init?: Omit<InitOptions, 'prefer' | 'measured'>;
}

const TIMEOUT = Symbol('timeout');

/** Calls of stopped measurements still running, each freeing its tensors when it ends. */
const stragglers = new Set<Promise<void>>();

/** Resolves once every stopped measurement's last call has ended and its tensors are freed (tests, leak checks). */
export async function measurementsSettled(): Promise<void> {
	while (stragglers.size) await Promise.all([...stragglers]);
}

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const t = new Promise<typeof TIMEOUT>((r) => {
		timer = setTimeout(() => r(TIMEOUT), Math.max(0, ms));
	});
	return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The training run every backend is timed on: small enough for a first visit, real enough to rank backends. */
function workloadConfig(steps: number) {
	return resolveTrainConfig({
		steps: steps + 4,
		batchSize: 4,
		model: { preset: 'nano' },
		data: { trainPairs: 16, validationPairs: 4, maxLen: 32 },
		optim: { warmupSteps: 1 },
	});
}

async function measureOne(
	name: BackendName,
	budget: (hardwareGpu: boolean) => number,
	steps: number,
	init: MeasureOptions['init'],
	skipSoftware: boolean,
	progress: (phase: MeasureProgress['phase']) => void,
): Promise<{ figure: BackendFigure; totalMs: number }> {
	progress('starting');
	let report: BackendReport;
	try {
		report = await initBackend({ ...init, skipSoftwareGpu: false, prefer: name });
	} catch (e) {
		const note = `not available: ${(e as Error).message}`;
		return {
			figure: {
				backend: name,
				label: name,
				software: false,
				trainTokensPerSecond: null,
				scoreMs: null,
				warmupMs: null,
				note,
			},
			totalMs: 0,
		};
	}
	const software = report.adapter !== null && report.softwareAdapter === true;
	const label = report.label;
	const figure: BackendFigure = {
		backend: name,
		label,
		software,
		...(report.threads !== undefined ? { threads: report.threads } : {}),
		trainTokensPerSecond: null,
		scoreMs: null,
		warmupMs: null,
	};
	if (software && skipSoftware) {
		figure.note =
			'not measured: a CPU emulation of a GPU, whose kernel compilation blocks this thread past any time limit (tfjs runs 10–100× slower on it than on wasm)';
		return { figure, totalMs: 0 };
	}
	const limit = budget(name === 'webgpu' && !software);
	const t0 = performance.now();
	const left = () => limit - (performance.now() - t0);
	const tf = await getTf();
	const trainer = new DPHTrainer(tf, workloadConfig(steps));
	let pending: Promise<unknown> | null = null;
	let stepStart = t0;
	const stop = (what: string, stepTokens: number, bound: 'upper' | 'first-step' = 'upper') => {
		const ms = performance.now() - t0;
		figure.stopped = true;
		figure.bound = bound;
		// 'upper': the step did not finish, so the rate is at most its tokens over the time spent on it so far.
		const spent = bound === 'first-step' ? (figure.warmupMs ?? ms) : performance.now() - stepStart;
		figure.trainTokensPerSecond = Math.max(1e-3, (stepTokens * 1000) / spent);
		figure.note = `stopped after ${(ms / 1000).toFixed(1)} s ${what} (its budget: ${(limit / 1000).toFixed(0)} s)`;
		return { figure, totalMs: ms };
	};
	try {
		progress('warm-up');
		const first = trainer.step();
		pending = first;
		const w = await within(first, left());
		// At most batch × (chosen + rejected) × maxLen tokens.
		if (w === TIMEOUT) return stop('in its first step (compiling kernels)', 4 * 2 * 32);
		const stepTokens = (w.tokensPerSecond * w.ms) / 1000;
		// A backend that never yields (cpu) cannot be stopped mid-step; it is stopped between steps.
		if (left() <= 0) return stop('after its first step', stepTokens, 'first-step');
		figure.warmupMs = w.ms;
		progress('timing');
		let tokens = 0;
		let ms = 0;
		for (let i = 0; i < steps; i++) {
			// Out of time after a finished timed step: its rate stands, from fewer steps.
			if (i > 0 && left() <= 0) break;
			stepStart = performance.now();
			const s = trainer.step();
			pending = s;
			const m = await within(s, left());
			if (m === TIMEOUT) return stop(`in timed step ${i + 1}`, stepTokens);
			tokens += (m.tokensPerSecond * m.ms) / 1000;
			ms += m.ms;
		}
		figure.trainTokensPerSecond = (tokens * 1000) / ms;
		progress('scoring');
		const s0 = performance.now();
		const ev = trainer.evaluate();
		pending = ev;
		const e = await within(ev, left());
		if (e !== TIMEOUT) figure.scoreMs = performance.now() - s0;
		else figure.note = 'the scoring call ran past the budget';
		pending = null;
		return { figure, totalMs: performance.now() - t0 };
	} catch (e) {
		pending = null;
		figure.trainTokensPerSecond = null;
		figure.note = `failed: ${(e as Error).message}`;
		return { figure, totalMs: performance.now() - t0 };
	} finally {
		// A stopped backend's last call still runs; its tensors are freed once it ends.
		const done = (pending ? pending.catch(() => {}) : Promise.resolve()).then(() => trainer.dispose());
		stragglers.add(done);
		void done.finally(() => stragglers.delete(done));
	}
}

/** Time every candidate backend and return the choice (tfjs is left on whichever was measured last). */
export async function measureBackends(opts: MeasureOptions = {}): Promise<BackendChoice> {
	const wanted = opts.candidates ?? BACKEND_NAMES;
	const order = (['wasm', 'cpu', 'webgpu'] as const)
		.filter((b) => wanted.includes(b))
		.flatMap((b) => (b === 'wasm' ? wasmThreadCounts(opts.init?.threads) : [undefined]).map((t) => [b, t] as const));
	const budgetOf = opts.budgetMs ?? measureBudgetMs;
	const figures: BackendFigure[] = [];
	let best: number | null = null;
	for (const [i, [name, threads]] of order.entries()) {
		const progress = (phase: MeasureProgress['phase'], figure?: BackendFigure) =>
			opts.onProgress?.({ backend: name, phase, index: i + 1, total: order.length, ...(figure ? { figure } : {}) });
		// Timing wasm at another thread count replaces its module: the last run's tensors must be freed first.
		if (threads !== undefined) await measurementsSettled();
		const { figure, totalMs } = await measureOne(
			name,
			(hw) => budgetOf(best, hw),
			opts.steps ?? 2,
			threads === undefined ? opts.init : { ...opts.init, threads },
			opts.skipSoftwareGpu ?? false,
			(p) => progress(p),
		);
		figures.push(figure);
		if (figure.trainTokensPerSecond !== null && !figure.stopped)
			best = best === null ? totalMs : Math.min(best, totalMs);
		progress('done', figure);
	}
	return pickFastest(figures);
}

/**
 * The wasm thread counts to time: with threads available and none asked for, a thread per core and one thread,
 * since neither always wins — XNNPACK's threads halve a large product's time but wake up slower than a small
 * product takes (a 128³ product: 0.2 ms on one thread, 0.7 ms on two, in Chromium on 2 cores). Otherwise only the
 * default (undefined) or the count asked for.
 */
export function wasmThreadCounts(asked: number | undefined): (number | undefined)[] {
	if (asked !== undefined) return [asked];
	const all = defaultWasmThreads();
	return all !== undefined && all > 1 ? [all, 1] : [undefined];
}

/** Everything the cache key is made of, asked of this environment (one adapter request, no device). */
export async function cacheKeyParts(threads?: number): Promise<CacheKeyParts> {
	const tf = await loadTf();
	const env = detectEnvironment();
	const g = globalThis as {
		navigator?: { userAgent?: string; hardwareConcurrency?: number; gpu?: GPU };
		crossOriginIsolated?: boolean;
		process?: { versions: { node?: string }; platform?: string };
	};
	const agent =
		env === 'node' ? `node ${g.process?.versions.node} ${g.process?.platform}` : (g.navigator?.userAgent ?? '');
	let adapter: CacheKeyParts['adapter'] = null;
	try {
		const a = await g.navigator?.gpu?.requestAdapter();
		if (a)
			adapter = {
				vendor: a.info.vendor,
				architecture: a.info.architecture,
				device: a.info.device,
				description: a.info.description,
			};
	} catch {
		// No WebGPU: the key says "none".
	}
	// tfjs turns wasm threads off in Node and without cross-origin isolation (SharedArrayBuffer).
	const isolated = env !== 'node' && g.crossOriginIsolated === true;
	const wasmThreads = isolated ? (threads ?? defaultWasmThreads() ?? 1) : 1;
	return { environment: env, agent, adapter, wasmThreads, tfjsVersion: tf.version_core };
}

/** The measured wasm thread count to start with, unless one was asked for. */
function threadsOf(c: BackendChoice): { threads?: number } {
	return c.backend === 'wasm' && c.threads !== undefined ? { threads: c.threads } : {};
}

export interface AutoOptions extends MeasureOptions {
	/** The stored measurement (JSON text) from localStorage or ~/.cache/dph/backend.json. */
	cached: string | null;
	/** Measure even when the stored measurement is fresh (System page button, `dph backend --measure`). */
	force?: boolean;
	/** false: when nothing fresh is stored, do not measure; fall back to webgpu → wasm → cpu without software GPUs. */
	measure?: boolean;
	/** Store a new measurement (Node: ~/.cache/dph/backend.json). In the worker the page stores `choice.entry`. */
	save?: (entry: CachedMeasurement) => void;
	/** Told once, before a measurement starts (the CLI says why it pauses). */
	onMeasureStart?: (reason: string) => void;
}

/**
 * Start tfjs on the measured choice: the stored one when it is fresh for this browser/adapter, else measure now.
 * The report's `choice` says where the choice came from; `choice.entry` is set when a new measurement should be
 * stored by the caller (the worker cannot reach localStorage).
 */
export async function autoBackend(opts: AutoOptions): Promise<BackendReport> {
	const key = cacheKey(await cacheKeyParts(opts.init?.threads));
	const status = opts.force
		? ({ fresh: false, reason: 'measured on request' } as const)
		: cacheStatus(parseCached(opts.cached), key, Date.now());
	const rest = (b: BackendName) => [b, ...BACKEND_NAMES.filter((x) => x !== b)];
	if (status.fresh) {
		const c = status.entry.choice;
		const report = await initBackend({
			...opts.init,
			...threadsOf(c),
			skipSoftwareGpu: false,
			prefer: rest(c.backend),
		});
		report.choice = {
			source: 'measured',
			summary: c.summary,
			why: 'measured earlier on this device',
			figures: c.figures,
			measuredAt: status.entry.measuredAt,
		};
		return report;
	}
	if (opts.measure === false) {
		const report = await initBackend({ ...opts.init, skipSoftwareGpu: true, prefer: BACKEND_NAMES });
		report.choice = {
			source: 'heuristic',
			summary: report.label,
			why: `not measured (${status.reason}); software GPU adapters passed over`,
			figures: [],
		};
		return report;
	}
	opts.onMeasureStart?.(status.reason);
	const choice = await measureBackends(opts);
	// The stragglers' tensors must be gone before a wasm module is replaced for the chosen thread count.
	await measurementsSettled();
	const report = await initBackend({
		...opts.init,
		...threadsOf(choice),
		skipSoftwareGpu: false,
		prefer: rest(choice.backend),
	});
	const entry: CachedMeasurement = { version: MEASUREMENT_VERSION, key, measuredAt: Date.now(), choice };
	opts.save?.(entry);
	report.choice = {
		source: 'measure',
		summary: choice.summary,
		why: `measured now: ${status.reason}`,
		figures: choice.figures,
		measuredAt: entry.measuredAt,
		entry,
	};
	return report;
}

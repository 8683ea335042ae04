/**
 * Which tfjs backend to use, decided from measured figures (issue 17.1). Pure: no tfjs, no DOM, no node:*. The
 * measuring harness (backend-measure.ts) produces the figures; the page (localStorage) and the CLI
 * (~/.cache/dph/backend.json) store them under a key of the browser/adapter they were measured on.
 *
 * Why measure instead of ranking WebGPU first: Chromium offers its SwiftShader software adapter where there is no
 * GPU, and tfjs kernels on it train ~12× slower than wasm; a real GPU beats wasm. Only timing the workload tells.
 */
import type { BackendName } from './backend';

export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** Bump when the workload or the figures change meaning, so older measurements are taken again. */
export const MEASUREMENT_VERSION = 2;
/** Browsers and drivers update; re-measure after this long even when nothing visible changed. */
export const MEASUREMENT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** What one backend did on the representative workload (a short DPH training step and a scoring call). */
export interface BackendFigure {
	backend: BackendName;
	/** "WebGPU · SwiftShader", "WebAssembly · 2 threads", … */
	label: string;
	/** A WebGPU adapter that emulates a GPU on the CPU (SwiftShader, llvmpipe, the fallback adapter). */
	software: boolean;
	/** wasm only: XNNPACK threads it got (1 without cross-origin isolation). */
	threads?: number;
	/** Training tokens per second (chosen + rejected rows); an upper bound when `stopped`; null: no figure. */
	trainTokensPerSecond: number | null;
	/** One scoring (forward-only) call over the validation pairs, ms; null when not reached. */
	scoreMs: number | null;
	/** The first (kernel-compiling) step, ms; null when it did not finish. */
	warmupMs: number | null;
	/**
	 * The measurement was cut short by its time budget. `bound` says what the rate then is: 'upper', a step that
	 * had not finished (the rate is at most this); 'first-step', the kernel-compiling first step's own rate.
	 */
	stopped?: boolean;
	bound?: 'upper' | 'first-step';
	/** Why there is no figure or why it was stopped, for the user. */
	note?: string;
}

export interface BackendChoice {
	backend: BackendName;
	/** wasm: the thread count measured fastest (absent: tfjs' default, one thread without isolation). */
	threads?: number;
	/** One line for the badge and the System page, e.g. "wasm · 1 100 tok/s — faster here than WebGPU · …". */
	summary: string;
	figures: BackendFigure[];
}

/** "1 100" for 1 086, "84" for 84.2, "3.5" for 3.46: two significant digits are all a noisy timing supports. */
export function formatRate(n: number): string {
	if (!Number.isFinite(n) || n <= 0) return '0';
	if (n < 10) return n.toFixed(1);
	if (n < 100) return String(Math.round(n));
	const digits = Math.floor(Math.log10(n)) + 1;
	const rounded = Math.round(n / 10 ** (digits - 2)) * 10 ** (digits - 2);
	return String(rounded).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

function rateText(f: BackendFigure): string {
	if (f.trainTokensPerSecond === null) return f.note ?? 'no figure';
	const prefix = !f.stopped ? '' : f.bound === 'first-step' ? '~ ' : '< ';
	return `${prefix}${formatRate(f.trainTokensPerSecond)} tok/s`;
}

/**
 * The fastest measured backend by training tokens/s (the scoring time breaks exact ties). A figure cut short
 * counts with its upper bound, which its budget already put far below the best. Throws when nothing was measured.
 */
export function pickFastest(figures: readonly BackendFigure[]): BackendChoice {
	const measured = figures.filter((f) => f.trainTokensPerSecond !== null && f.trainTokensPerSecond > 0);
	if (!measured.length) {
		const why = figures.map((f) => `${f.backend}: ${f.note ?? 'no figure'}`).join('; ');
		throw new Error(`No backend could be measured (${why || 'none was tried'})`);
	}
	const sorted = [...measured].sort(
		(a, b) =>
			(b.trainTokensPerSecond as number) - (a.trainTokensPerSecond as number) ||
			(a.scoreMs ?? Number.POSITIVE_INFINITY) - (b.scoreMs ?? Number.POSITIVE_INFINITY),
	);
	const best = sorted[0];
	const others = figures.filter((f) => f !== best);
	// Thread counts only matter to the reader when wasm was timed at more than one.
	const threads = figures.filter((f) => f.backend === 'wasm').length > 1 ? threadsText : () => '';
	const head = `${best.backend}${threads(best)} · ${rateText(best)}`;
	const summary = others.length
		? `${head} — faster here than ${others.map((f) => `${f.label}${threads(f)}, ${rateText(f)}`).join('; ')}`
		: `${head} — the only backend available here`;
	return {
		backend: best.backend,
		...(best.threads !== undefined ? { threads: best.threads } : {}),
		summary,
		figures: [...figures],
	};
}

/** " · 2 threads" for a wasm figure, "" otherwise. */
export function threadsText(f: Pick<BackendFigure, 'threads'>): string {
	return f.threads === undefined ? '' : ` · ${f.threads} thread${f.threads === 1 ? '' : 's'}`;
}

/** The figure of what the worker runs on: its backend and, for wasm timed at several counts, its thread count. */
export function chosenFigure(
	figures: readonly BackendFigure[],
	backend: BackendName | undefined,
	threads: number | undefined,
): BackendFigure | undefined {
	const mine = figures.filter((f) => f.backend === backend);
	return mine.find((f) => f.threads === undefined || f.threads === threads) ?? mine[0];
}

/** A figure's key among several of one backend (wasm is timed at more than one thread count). */
export function figureKey(f: Pick<BackendFigure, 'backend' | 'threads'>): string {
	return f.threads === undefined ? f.backend : `${f.backend}-${f.threads}`;
}

/** What identifies "this browser on this adapter": a new browser build, GPU, driver or isolation re-measures. */
export interface CacheKeyParts {
	environment: string;
	/** navigator.userAgent, or "node <version> <platform>" in Node. */
	agent: string;
	/** The WebGPU adapter's identity, or null when there is none (the reason does not matter for the key). */
	adapter: { vendor: string; architecture: string; device: string; description: string } | null;
	/** Threads wasm can use: cross-origin isolation and core count change the wasm figure. */
	wasmThreads: number;
	tfjsVersion: string;
}

export function cacheKey(p: CacheKeyParts): string {
	const a = p.adapter;
	const adapter = a ? [a.vendor, a.architecture, a.device, a.description].map((s) => s.trim()).join('/') : 'none';
	return [
		`v${MEASUREMENT_VERSION}`,
		p.environment,
		p.agent.trim(),
		adapter,
		`threads=${p.wasmThreads}`,
		`tfjs=${p.tfjsVersion}`,
	].join(' | ');
}

export interface CachedMeasurement {
	version: number;
	key: string;
	/** ms since the epoch. */
	measuredAt: number;
	choice: BackendChoice;
}

export type CacheStatus = { fresh: true; entry: CachedMeasurement } | { fresh: false; reason: string };

function isFigure(v: unknown): v is BackendFigure {
	const f = v as BackendFigure;
	return (
		typeof f === 'object' &&
		f !== null &&
		BACKEND_NAMES.includes(f.backend) &&
		typeof f.label === 'string' &&
		(f.trainTokensPerSecond === null || typeof f.trainTokensPerSecond === 'number')
	);
}

/** Parse a stored measurement (JSON text); null when absent or not one of ours. */
export function parseCached(text: string | null | undefined): CachedMeasurement | null {
	if (!text) return null;
	let v: unknown;
	try {
		v = JSON.parse(text);
	} catch {
		return null;
	}
	const e = v as CachedMeasurement;
	if (typeof e !== 'object' || e === null || typeof e.key !== 'string' || typeof e.measuredAt !== 'number') return null;
	const c = e.choice;
	if (typeof c !== 'object' || c === null || !BACKEND_NAMES.includes(c.backend) || typeof c.summary !== 'string')
		return null;
	if (!Array.isArray(c.figures) || !c.figures.every(isFigure)) return null;
	return e;
}

/** Whether a stored measurement still speaks for this browser/adapter, and if not, why (shown to the user). */
export function cacheStatus(
	entry: CachedMeasurement | null,
	key: string,
	now: number,
	maxAgeMs = MEASUREMENT_MAX_AGE_MS,
): CacheStatus {
	if (!entry) return { fresh: false, reason: 'no measurement on this device yet' };
	if (entry.version !== MEASUREMENT_VERSION)
		return { fresh: false, reason: 'the stored measurement is of an older workload' };
	if (entry.key !== key)
		return { fresh: false, reason: 'the browser, adapter or thread count changed since the last measurement' };
	if (now - entry.measuredAt > maxAgeMs || entry.measuredAt > now + 60_000)
		return { fresh: false, reason: `the last measurement is over ${Math.round(maxAgeMs / 86_400_000)} days old` };
	return { fresh: true, entry };
}

/** Where the backend comes from, most binding first. */
export type ChoiceSource = 'forced' | 'override' | 'measured' | 'measure';

/**
 * forced: a test or --backend named it (never stored); override: the user's persisted pick; measured: a fresh
 * stored measurement; measure: nothing applies, so measure now.
 */
export function resolveChoice(opts: { forced?: string | null; override?: string | null; cached: CacheStatus }): {
	source: ChoiceSource;
	backend: BackendName | null;
	why: string;
} {
	const valid = (v: string | null | undefined): v is BackendName => !!v && BACKEND_NAMES.includes(v as BackendName);
	if (opts.forced != null && opts.forced !== '') {
		if (!valid(opts.forced))
			throw new Error(`Unknown backend "${opts.forced}" asked for; valid: ${BACKEND_NAMES.join(', ')}`);
		return { source: 'forced', backend: opts.forced, why: `${opts.forced} was asked for explicitly` };
	}
	if (valid(opts.override))
		return { source: 'override', backend: opts.override, why: 'your choice on the System page' };
	if (opts.cached.fresh)
		return { source: 'measured', backend: opts.cached.entry.choice.backend, why: opts.cached.entry.choice.summary };
	return { source: 'measure', backend: null, why: opts.cached.reason };
}

/**
 * How long one backend's measurement (its warm-up included) may take before it is stopped, given the best whole
 * measurement so far. A software GPU adapter or plain JavaScript gets 3× the best (at least 5 s): they lose by
 * 5–50× when they lose, and SwiftShader alone can spend a minute compiling kernels. A hardware GPU gets 20× (at
 * least 30 s): its first kernel compile can take seconds, and afterwards it usually wins. The first backend timed
 * (wasm) has nothing to compare with and gets 60 s.
 */
export function measureBudgetMs(bestSoFarMs: number | null, hardwareGpu: boolean): number {
	if (bestSoFarMs === null) return 60_000;
	return hardwareGpu ? Math.max(30_000, 20 * bestSoFarMs) : Math.max(5_000, 3 * bestSoFarMs);
}

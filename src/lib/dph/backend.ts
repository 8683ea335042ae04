/**
 * The one place that initialises tfjs. Same API in a page, a Web Worker and Node.
 *
 * Order: WebGPU (adapter's maximum buffer sizes) → wasm → cpu. The report says which backend we got, which
 * adapter, and why every backend before it was skipped, so a user on a laptop without WebGPU sees the reason
 * instead of a silent slowdown. A lost GPU device is reported and we fall back to the next backend.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendFigure, CachedMeasurement, ChoiceSource } from './backend-choice';
import type { AutoOptions } from './backend-measure';
import { installNodeWebGPU, isSoftwareDescription, webgpuFactory } from './backend-webgpu';
import { installFastBatchMatMul } from './kernels/batch-matmul';

export type TF = typeof tfjs;
export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];
export type Environment = 'browser' | 'worker' | 'node';

export interface AdapterDescription {
	vendor: string;
	architecture: string;
	device: string;
	description: string;
	isFallbackAdapter: boolean;
	maxBufferSize: number;
	maxStorageBufferBindingSize: number;
}

export interface BackendReport {
	backend: BackendName;
	/** Short human label for badges, e.g. "WebGPU · SwiftShader". */
	label: string;
	environment: Environment;
	adapter: AdapterDescription | null;
	/** Backends tried before the one we got, with the reason each was not used. */
	skipped: { backend: BackendName; reason: string }[];
	/** Set when this report follows a lost GPU device. */
	deviceLost?: { reason: string; message: string };
	/** WebGPU: the adapter is a CPU emulation (SwiftShader, llvmpipe, the fallback adapter). */
	softwareAdapter?: boolean;
	/** wasm: XNNPACK threads (1 unless the page is cross-origin isolated). */
	threads?: number;
	/** How this backend was chosen, when it was chosen by measurement (backend-measure.ts). */
	choice?: ChoiceReport;
}

export interface ChoiceReport {
	/** 'heuristic': nothing measured and measuring was not allowed, so software GPU adapters were passed over. */
	source: ChoiceSource | 'heuristic';
	/** "wasm · 1 100 tok/s — faster here than WebGPU · SwiftShader, 84 tok/s". */
	summary: string;
	/** Why this source: "measured earlier on this device", "measured now: no measurement on this device yet". */
	why: string;
	figures: BackendFigure[];
	measuredAt?: number;
	/** A new measurement for the caller to store (the worker cannot reach the page's localStorage). */
	entry?: CachedMeasurement;
}

export interface InitOptions {
	/** Backends to try, in order. Default: webgpu, wasm, cpu. A single name means "this one or fail". */
	prefer?: BackendName | readonly BackendName[];
	/** Where the tfjs wasm binaries are served (browser/worker). Default: `/tfjs-wasm/` on this origin. */
	wasmPaths?: string;
	/**
	 * Pass over a WebGPU adapter that is a CPU emulation (SwiftShader, the fallback adapter): it runs tfjs kernels
	 * 10–100× slower than wasm, so headless runs (CLI, sweeps) want wasm unless WebGPU is asked for by name.
	 */
	skipSoftwareGpu?: boolean;
	/** Called after a lost GPU device made us switch backend (tensors on the old backend are gone). */
	onDeviceLost?: (report: BackendReport) => void;
	/**
	 * wasm threads (tf.wasm.setThreadsCount); default: every core. Only the first wasm start in a process or
	 * worker counts: tfjs builds the wasm module and its thread pool once.
	 */
	threads?: number;
	/** No `prefer`: start on the measured choice, measuring now if the stored one is stale (backend-measure.ts). */
	measured?: AutoOptions;
}

export function detectEnvironment(): Environment {
	const g = globalThis as { window?: unknown; WorkerGlobalScope?: unknown; process?: { versions?: { node?: string } } };
	if (typeof g.WorkerGlobalScope !== 'undefined') return 'worker';
	if (typeof g.window !== 'undefined') return 'browser';
	if (g.process?.versions?.node) return 'node';
	return 'browser';
}

let tfPromise: Promise<TF> | null = null;
let current: BackendReport | null = null;
let currentDevice: GPUDevice | null = null;
let initPromise: Promise<BackendReport> | null = null;

/** Lazily import tfjs (never at module load, so server-side rendering never touches it). */
export function loadTf(): Promise<TF> {
	if (!tfPromise) {
		tfPromise = (async () => {
			let nodeGpuError: string | null = null;
			if (detectEnvironment() === 'node') nodeGpuError = await installNodeWebGPU();
			const tf = await import('@tensorflow/tfjs');
			// PROD silences tfjs' console banner in Node ("install tfjs-node"); we report backend choice ourselves.
			if (detectEnvironment() === 'node') tf.env().set('PROD', true);
			if (!nodeGpuError && (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) {
				await import('@tensorflow/tfjs-backend-webgpu');
			}
			await import('@tensorflow/tfjs-backend-wasm');
			nodeGpuErrorMessage = nodeGpuError;
			return tf;
		})();
	}
	return tfPromise;
}
let nodeGpuErrorMessage: string | null = null;

function errMessage(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

/** "SwiftShader", "NVIDIA H100", … from whatever the adapter chose to tell. */
export function adapterLabel(a: AdapterDescription): string {
	const text = [a.description, a.device, a.architecture, a.vendor].find((s) => s?.trim()) ?? 'unknown adapter';
	if (/swiftshader/i.test(`${a.description} ${a.vendor} ${a.architecture} ${a.device}`)) return 'SwiftShader';
	return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function labelFor(backend: BackendName, adapter: AdapterDescription | null): string {
	if (backend === 'webgpu') return `WebGPU · ${adapter ? adapterLabel(adapter) : 'unknown adapter'}`;
	return backend === 'wasm' ? 'WebAssembly' : 'CPU (JavaScript)';
}

function defaultWasmPaths(): string | undefined {
	const loc = (globalThis as { location?: { href: string } }).location;
	return loc ? new URL('/tfjs-wasm/', loc.href).href : undefined;
}

async function tryBackend(
	tf: TF,
	name: BackendName,
	opts: InitOptions,
	handleLost: (info: GPUDeviceLostInfo) => void,
): Promise<AdapterDescription | null> {
	if (name === 'webgpu') {
		if (nodeGpuErrorMessage) throw new Error(nodeGpuErrorMessage);
		let desc: AdapterDescription | null = null;
		// Re-register with our own factory: tfjs' default asks for a high-performance adapter, which hides the
		// software fallback adapter, and it does not expose the device, which we need to watch for loss.
		if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
		tf.registerBackend('webgpu', async () => {
			try {
				const made = await webgpuFactory(handleLost, Boolean(opts.skipSoftwareGpu));
				currentDevice = made.device;
				desc = made.description;
				return made.backend;
			} catch (e) {
				lastFactoryError = errMessage(e);
				throw e;
			}
		});
		const ok = await tf.setBackend('webgpu');
		if (!ok) throw new Error(lastFactoryError ?? 'tf.setBackend("webgpu") failed');
		await tf.ready();
		return desc;
	}
	let restoreCores = () => {};
	if (name === 'wasm') {
		const wasm = await import('@tensorflow/tfjs-backend-wasm');
		installFastBatchMatMul(tf);
		const paths = opts.wasmPaths ?? (detectEnvironment() === 'node' ? undefined : defaultWasmPaths());
		if (paths && !wasmStarted) wasm.setWasmPaths(paths);
		const threads = opts.threads ?? defaultWasmThreads();
		// tfjs has no wasm threads in Node.
		const threaded = detectEnvironment() !== 'node';
		// Another thread count asked of a started wasm (the measurement times 1 thread against N): a new module.
		const restart = wasmStarted && opts.threads !== undefined && threaded && (await wasmThreads()) !== threads;
		if (restart) replaceWasmModule(tf);
		const fresh = !wasmStarted || restart;
		if (threads && fresh) wasm.setThreadsCount(threads);
		wasmStarted = true;
		if (threads && threads > 1 && fresh && threaded) restoreCores = presentCoresForTfjs(threads);
	}
	try {
		const ok = await tf.setBackend(name);
		if (!ok) throw new Error(lastFactoryError ?? `tf.setBackend("${name}") failed`);
		await tf.ready();
	} finally {
		restoreCores();
	}
	return null;
}

/**
 * Drop the started wasm module so the next tf.setBackend('wasm') builds a new one (tfjs fixes the thread pool when
 * a module starts). Its thread workers are ended, or each module would keep eight idle workers alive. Tensors on
 * the old module are gone: callers hold none (the measurement disposes its trainer before switching).
 */
function replaceWasmModule(tf: TF): void {
	const factory = tf.findBackendFactory('wasm');
	const old = tf.findBackend('wasm') as unknown as { wasm?: { PThread?: PThreads } } | null;
	tf.removeBackend('wasm');
	const pt = old?.wasm?.PThread;
	for (const w of [...(pt?.unusedWorkers ?? []), ...(pt?.runningWorkers ?? [])]) w.terminate();
	if (factory) tf.registerBackend('wasm', factory, WASM_PRIORITY);
}
/** The part of Emscripten's PThread object that owns the module's thread workers. */
interface PThreads {
	unusedWorkers?: { terminate(): void }[];
	runningWorkers?: { terminate(): void }[];
}
/** tfjs-backend-wasm's registration priority (base.ts). */
const WASM_PRIORITY = 2;

/**
 * tfjs-backend-wasm 4.22 caps its XNNPACK pool at `navigator.hardwareConcurrency / 2` (its C++ assumes two
 * hyper-threads per core) whatever setThreadsCount asks, so a 2-core machine gets one thread. The cap is read once,
 * while the wasm module starts: for that moment this worker's navigator reports twice the threads we want, and the
 * real value comes back afterwards. Returns the undo.
 */
export function presentCoresForTfjs(threads: number): () => void {
	const nav = (globalThis as { navigator?: object }).navigator;
	if (!nav) return () => {};
	const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
	try {
		Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => threads * 2 });
	} catch {
		return () => {};
	}
	return () => {
		if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
		else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
	};
}
/**
 * Threads for wasm in a cross-origin isolated page: one per core, at most the 8 pthread workers tfjs 4.22 builds
 * in advance (a pthread beyond them would be started from inside our worker, which waits on it: a hang). Node and
 * pages that are not isolated get tfjs' own choice (one thread).
 */
export function defaultWasmThreads(): number | undefined {
	const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
	if (detectEnvironment() === 'node' || g.crossOriginIsolated !== true) return undefined;
	return Math.max(1, Math.min(8, g.navigator?.hardwareConcurrency ?? 1));
}

/** tfjs refuses setWasmPaths once the wasm module is built, and ignores a later setThreadsCount. */
let wasmStarted = false;

/** XNNPACK's thread count, once the wasm backend has started. */
async function wasmThreads(): Promise<number | undefined> {
	try {
		return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
	} catch {
		return undefined;
	}
}
let lastFactoryError: string | null = null;

async function selectBackend(
	tf: TF,
	order: readonly BackendName[],
	opts: InitOptions,
	skipped: BackendReport['skipped'],
) {
	const handleLost = (info: GPUDeviceLostInfo) => {
		// "destroyed" comes from our own dispose(); anything else is a real loss (driver reset, OOM, sleep).
		if (current?.backend !== 'webgpu' || (info.reason === 'destroyed' && !simulatingLoss)) return;
		simulatingLoss = false;
		const lost = { reason: String(info.reason ?? 'unknown'), message: info.message || 'GPU device lost' };
		const rest = order.filter((b) => b !== 'webgpu');
		const fallback = rest.length ? rest : (['wasm', 'cpu'] as BackendName[]);
		currentDevice = null;
		try {
			tf.removeBackend('webgpu');
		} catch {
			// Already torn down by tfjs.
		}
		const prior = current;
		initPromise = (async () => {
			const skippedAfterLoss = [{ backend: 'webgpu' as BackendName, reason: `GPU device lost: ${lost.message}` }];
			const report = await selectBackend(tf, fallback, opts, skippedAfterLoss);
			report.deviceLost = lost;
			current = report;
			opts.onDeviceLost?.(report);
			for (const l of lostListeners) l(report, prior);
			return report;
		})();
	};
	for (const name of order) {
		lastFactoryError = null;
		try {
			const adapter = await tryBackend(tf, name, opts, handleLost);
			const report: BackendReport = {
				backend: name,
				label: labelFor(name, adapter),
				environment: detectEnvironment(),
				adapter,
				skipped,
			};
			if (name === 'webgpu') report.softwareAdapter = adapter ? isSoftwareDescription(adapter) : false;
			if (name === 'wasm') report.threads = await wasmThreads();
			return report;
		} catch (e) {
			skipped.push({ backend: name, reason: errMessage(e) });
		}
	}
	throw new BackendError(
		`No tfjs backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}). ` +
			'Use a browser with WebGPU or WebAssembly, or pass --backend cpu.',
		skipped,
	);
}

export class BackendError extends Error {
	constructor(
		message: string,
		readonly skipped: BackendReport['skipped'],
	) {
		super(message);
		this.name = 'BackendError';
	}
}

type LostListener = (now: BackendReport, before: BackendReport) => void;
const lostListeners = new Set<LostListener>();
let simulatingLoss = false;

/** Subscribe to backend switches caused by a lost GPU device; returns an unsubscribe function. */
export function onDeviceLost(fn: LostListener): () => void {
	lostListeners.add(fn);
	return () => lostListeners.delete(fn);
}

function normaliseOrder(prefer: InitOptions['prefer']): readonly BackendName[] {
	if (!prefer) return BACKENDS;
	const list = typeof prefer === 'string' ? [prefer] : prefer;
	for (const b of list) {
		if (!BACKENDS.includes(b)) throw new BackendError(`Unknown backend "${b}"; valid: ${BACKENDS.join(', ')}`, []);
	}
	return list;
}

/**
 * Initialise tfjs once and return the report. A second call with a different preference switches backend.
 */
export async function initBackend(opts: InitOptions = {}): Promise<BackendReport> {
	if (opts.measured && !opts.prefer) {
		if (initPromise && !opts.measured.force) {
			const r = await initPromise.catch(() => null);
			// One measured start per process or worker; later calls (every job) keep it.
			if (r?.choice && r.choice.source !== 'heuristic') return r;
		}
		const { autoBackend } = await import('./backend-measure');
		const { measured, ...rest } = opts;
		return autoBackend({ ...measured, init: { ...rest, ...measured.init } });
	}
	const order = normaliseOrder(opts.prefer);
	const tf = await loadTf();
	if (initPromise) {
		const r = await initPromise.catch(() => null);
		const sameThreads = order[0] !== 'wasm' || opts.threads === undefined || r?.threads === opts.threads;
		if (r && r.backend === order[0] && sameThreads) return r;
		if (r && !opts.prefer) return r;
	}
	initPromise = (async () => {
		const skipped: BackendReport['skipped'] = [];
		current = await selectBackend(tf, order, opts, skipped);
		return current;
	})();
	try {
		return await initPromise;
	} catch (e) {
		initPromise = null;
		throw e;
	}
}

/** The tfjs module, after initBackend(). */
export async function getTf(): Promise<TF> {
	if (!initPromise) await initBackend();
	return loadTf();
}

export function currentBackend(): BackendReport | null {
	return current;
}

/**
 * Destroy the GPU device as a driver reset would. Used by tests and by the diagnostics panel to show that a
 * lost device is reported and work continues on the fallback backend.
 */
export async function simulateDeviceLoss(): Promise<BackendReport> {
	if (!currentDevice || current?.backend !== 'webgpu') throw new Error('No WebGPU device is active');
	simulatingLoss = true;
	const waitForSwitch = new Promise<BackendReport>((resolve) => {
		const off = onDeviceLost((now) => {
			off();
			resolve(now);
		});
	});
	currentDevice.destroy();
	return waitForSwitch;
}

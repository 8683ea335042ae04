/**
 * Runs a notebook headless, as the page does: parsed by the notebook format code, cells on the real Observable
 * runtime through LiveNotebook, the real cell builtins, and worker jobs run in this process by the worker's own job
 * registry. Manual cells are run as a reader pressing ▶ would, once the cells they read have settled. Call with a
 * jsdom environment and tfjs initialised on the backend wanted.
 *
 * What jsdom cannot do is stood in for, and only that: Svelte components (the unit suite compiles no .svelte) mount
 * as a placeholder holding their props, IndexedDB (absent in jsdom) is an in-memory store of the same interface,
 * and a 2D canvas context (jsdom has none) takes every call and draws nothing, so the code around it still runs.
 * Same-origin fetches are answered from static/ with Range support, as the app's server answers them, so a notebook
 * can open the shipped checkpoint by its URL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell, Notebook } from '@observablehq/notebook-kit';
import { cellImportNames, importForCell, makeCellBuiltins } from '../../../src/lib/notebook/cell-builtins';
import { type CellInfo, isManual } from '../../../src/lib/notebook/cells';
import { parseNotebook } from '../../../src/lib/notebook/format';
import { makeJob } from '../../../src/lib/notebook/job';
import { LiveNotebook } from '../../../src/lib/notebook/runtime';
import { makeViewSync } from '../../../src/lib/notebook/viewstate';
import type { ComputeWorker } from '../../../src/lib/workers/compute-client';
import type { JobContext, JobKind, JobRegistry, JobSpecs } from '../../../src/lib/workers/job-specs';
import { loadJobRegistry } from '../../../src/lib/workers/registry';

export interface CellOutcome {
	cell: Cell;
	info: CellInfo;
	root: HTMLDivElement;
}

export interface HeadlessRun {
	notebook: Notebook;
	cells: CellOutcome[];
	/** Jobs the manual cells started, with their final value. */
	jobs: { kind: string; label: string; done: boolean; error: string | null; stopped: boolean }[];
	dispose(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The in-memory stand-in for IndexedDB results (results-idb.ts), shared by the cells and the sweep job. */
const memoryResults = new Map<string, unknown[]>();
class MemoryIdbResultsStore {
	constructor(readonly sweep: string) {}
	async load() {
		return [...(memoryResults.get(this.sweep) ?? [])];
	}
	async append(r: unknown) {
		memoryResults.set(this.sweep, [...(memoryResults.get(this.sweep) ?? []), r]);
	}
	async clear() {
		memoryResults.delete(this.sweep);
	}
}

async function cellImport(specifier: string): Promise<unknown> {
	if (specifier.endsWith('.svelte')) {
		// Still refused unless the page would allow it.
		if (!cellImportNames.includes(specifier)) return importForCell(specifier);
		const name = specifier.replace(/^.*\/|\.svelte$/g, '');
		return { default: { placeholderFor: name } };
	}
	if (['$lib/browser/results-idb', '$lib/dph/sweep/results-idb'].includes(specifier.replace(/\.ts$/, ''))) {
		await importForCell(specifier);
		return { IdbResultsStore: MemoryIdbResultsStore, storedSweeps: async () => [...memoryResults.keys()] };
	}
	return importForCell(specifier);
}

function placeholderComponent() {
	return (comp: { placeholderFor?: string }, props: Record<string, unknown> = {}) => {
		const el = document.createElement('div');
		el.className = 'dph-component';
		el.dataset.component = comp.placeholderFor ?? 'unknown';
		el.dataset.props = Object.keys(props).join(' ');
		return el;
	};
}

/** A 2D context that accepts every call: pixel buffers are real arrays, everything else is a no-op. */
function installCanvasStub() {
	const imageData = (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) });
	const target: Record<string, unknown> = {
		createImageData: (w: number | { width: number; height: number }, h?: number) =>
			typeof w === 'number' ? imageData(w, h ?? 0) : imageData(w.width, w.height),
		getImageData: (_x: number, _y: number, w: number, h: number) => imageData(w, h),
		measureText: (t: string) => ({ width: 6 * t.length }),
		createLinearGradient: () => ({ addColorStop() {} }),
		createRadialGradient: () => ({ addColorStop() {} }),
		getTransform: () => ({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 }),
	};
	HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement) {
		return new Proxy(target, {
			get: (t, k) => (k === 'canvas' ? this : k in t ? t[k as string] : () => {}),
			set: () => true,
		}) as unknown as CanvasRenderingContext2D;
	} as unknown as typeof HTMLCanvasElement.prototype.getContext;
	HTMLCanvasElement.prototype.toDataURL = () => 'data:image/png;base64,';
	const g = globalThis as { ImageData?: unknown; Path2D?: unknown };
	g.Path2D ??= new Proxy(class {}, { construct: () => new Proxy({}, { get: () => () => {} }) });
	g.ImageData ??= class {
		readonly data: Uint8ClampedArray;
		readonly width: number;
		readonly height: number;
		constructor(a: Uint8ClampedArray | number, b: number, c?: number) {
			this.data = typeof a === 'number' ? new Uint8ClampedArray(a * b * 4) : a;
			this.width = typeof a === 'number' ? a : b;
			this.height = typeof a === 'number' ? b : (c ?? a.length / 4 / b);
		}
	};
}

/** static/ served as the app serves it (Range requests answered 206), for same-origin URLs; others go out as usual. */
function installStaticFetch(): () => void {
	const real = globalThis.fetch;
	globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
		const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
		const url = new URL(href, location.href);
		if (url.origin !== location.origin) return real(input, init);
		let bytes: Uint8Array<ArrayBuffer>;
		try {
			bytes = new Uint8Array(readFileSync(join('static', decodeURIComponent(url.pathname))));
		} catch {
			return new Response('not found', { status: 404 });
		}
		const size = bytes.length;
		const m = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
		if (!m) return new Response(bytes, { status: 200, headers: { 'content-length': String(size) } });
		const a = Number(m[1]);
		const b = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
		if (a >= size) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
		return new Response(bytes.subarray(a, b + 1), {
			status: 206,
			headers: { 'content-range': `bytes ${a}-${b}/${size}`, 'content-length': String(b - a + 1) },
		});
	}) as typeof fetch;
	return () => {
		globalThis.fetch = real;
	};
}

/**
 * Training runs small: the nano model on a few short pairs (the notebooks' own sizes take minutes on the cpu
 * backend). Everything else of the cell's config stands, so what the cell asks for is still validated and run.
 */
const SMALL = { model: { preset: 'nano' }, batchSize: 2, data: { trainPairs: 8, validationPairs: 4, maxLen: 32 } };
function small(config: Record<string, unknown>): Record<string, unknown> {
	const data = { ...(config.data as object), ...SMALL.data };
	return { ...config, ...SMALL, model: { ...(config.model as object), ...SMALL.model }, data };
}
function runSmall<K extends JobKind>(kind: K, params: JobSpecs[K]['params']): JobSpecs[K]['params'] {
	if (kind === 'train') {
		// Shrunk, but still from the same preset and checkpoint (`start`) as the cell asked for.
		const p = params as JobSpecs['train']['params'];
		return { ...p, config: small(p.config) } as never;
	}
	if (kind === 'sweep') {
		// One run of the grid (the first value of each axis), two steps, in memory (jsdom has no IndexedDB). Its
		// config differs from the cell's, so the cells reading results see none of theirs: they run, on no rows.
		const p = params as JobSpecs['sweep']['params'];
		const spec = p.spec as { base?: Record<string, unknown>; grid?: Record<string, unknown[]> };
		const grid = Object.fromEntries(Object.entries(spec.grid ?? {}).map(([k, v]) => [k, v.slice(0, 1)]));
		const b = small(spec.base ?? {});
		const base = { ...b, steps: 2, evalEvery: 2, optim: { ...(b.optim as object), warmupSteps: 0 } };
		return { ...p, spec: { ...spec, base, grid }, store: 'memory' } as never;
	}
	return params;
}

/** The compute worker's interface, its jobs run here, small. */
function inProcessWorker(registry: JobRegistry): ComputeWorker {
	return {
		run<K extends JobKind>(kind: K, params: JobSpecs[K]['params'], onProgress?: (p: JobSpecs[K]['progress']) => void) {
			const ac = new AbortController();
			const p = runSmall(kind, params);
			const ctx: JobContext<K> = {
				signal: ac.signal,
				progress: (x: JobSpecs[K]['progress']) => onProgress?.(x),
				paused: async () => {},
			};
			const job = registry[kind] as (p: unknown, c: JobContext<K>) => Promise<JobSpecs[K]['result']>;
			return { result: job(p, ctx), stop: () => ac.abort(), pause: () => {} };
		},
	} as unknown as ComputeWorker;
}

/** Wait until no cell is pending for `quietMs` in a row (generators and live dependents flicker while they run). */
async function settle(infos: Map<number, CellInfo>, ids: number[], quietMs: number, timeoutMs: number, what: string) {
	const t0 = Date.now();
	// Counted in checks, not wall time: a cell computing synchronously blocks the checks as long as it runs.
	let quiet = 0;
	while (quiet < quietMs / 20) {
		await sleep(20);
		const busy = ids.some((id) => (infos.get(id)?.status ?? 'pending') === 'pending');
		quiet = busy ? 0 : quiet + 1;
		if (Date.now() - t0 > timeoutMs) {
			const pending = ids.filter((id) => (infos.get(id)?.status ?? 'pending') === 'pending');
			throw new Error(`${what}: cells still running after ${timeoutMs} ms: ${pending.join(', ')}`);
		}
	}
}

/**
 * Run `source` headless. `hash` sets view values the way a shared link does (`#steps=2`): how a notebook's
 * long-running cells are run small.
 */
export async function runNotebookHeadless(
	source: string,
	opts: { where: string; hash?: string; timeoutMs?: number },
): Promise<HeadlessRun> {
	const timeoutMs = opts.timeoutMs ?? 60_000;
	(globalThis as { __dphImport?: typeof cellImport }).__dphImport = cellImport;
	installCanvasStub();
	const restoreFetch = installStaticFetch();
	const notebook = parseNotebook(source, opts.where);
	const registry = await loadJobRegistry();
	const infos = new Map<number, CellInfo>();
	const live = new LiveNotebook({
		library: makeCellBuiltins({
			job: () => makeJob(() => inProcessWorker(registry)),
			component: () => placeholderComponent(),
		}),
		onStatus: (id, info) => infos.set(id, info),
		onView: (_id, name, el) => view(name, el),
	});
	const view = makeViewSync(opts.hash ?? '');
	const roots = new Map<number, HTMLDivElement>();
	for (const cell of notebook.cells) {
		const root = document.createElement('div');
		document.body.append(root);
		roots.set(cell.id, root);
		live.define(cell, root);
	}
	const ids = notebook.cells.map((c) => c.id);
	await settle(infos, ids, 300, timeoutMs, opts.where);
	for (const cell of notebook.cells) if (isManual(cell)) live.run(cell);
	const jobEls = () =>
		[...roots.values()].flatMap((r) => [...r.querySelectorAll<HTMLElement & { value: { done: boolean } }>('.dph-job')]);
	const t0 = Date.now();
	while (jobEls().some((el) => !el.value.done)) {
		if (Date.now() - t0 > timeoutMs) throw new Error(`${opts.where}: a job is still running after ${timeoutMs} ms`);
		await sleep(50);
	}
	await settle(infos, ids, 300, timeoutMs, opts.where);
	return {
		notebook,
		cells: notebook.cells.map((cell) => ({
			cell,
			info: infos.get(cell.id) ?? { status: 'idle', outputs: [] },
			root: roots.get(cell.id) as HTMLDivElement,
		})),
		jobs: jobEls().map((el) => ({
			...(el.value as unknown as Omit<HeadlessRun['jobs'][number], 'label'>),
			label: el.querySelector('.dph-job-label')?.textContent ?? '',
		})),
		dispose: () => {
			restoreFetch();
			live.dispose();
			for (const r of roots.values()) r.remove();
		},
	};
}

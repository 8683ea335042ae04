/**
 * LiveNotebook: runs notebook cells on Observable's runtime, via Notebook Kit's transpiler and define().
 * Adds what the workbench needs on top: errors marked as "upstream" on dependents, manual cells that run only on
 * request, cells held back unrun (safe mode, restored drafts), a time guard in every loop, re-running a cell, and
 * hooks for views (URL state). Pure orchestration; the UI lives in Svelte.
 */
import { type Cell, transpile } from '@observablehq/notebook-kit';
import { type DefineState, type Definition, NotebookRuntime, observe } from '@observablehq/notebook-kit/runtime';
import { importForCell } from './cell-builtins';
import { type CellInfo, isManual } from './cells';
import { makeLoopGuard } from './loop-guard';
import { guardLoops } from './loop-transform';

export { type CellInfo, type CellStatus, isManual, setManual } from './cells';

export interface LiveOptions {
	library: Record<string, () => unknown>;
	onStatus?: (id: number, info: CellInfo) => void;
	/** Called when a cell that uses view() has displayed its input element. */
	onView?: (id: number, name: string, element: HTMLElement & { value: unknown }) => void;
}

export interface DefineOptions {
	/** Show the cell but do not run it until run() is called: safe mode, or a restored draft never run. */
	hold?: boolean;
}

/** Thrown in place of running a manual cell whose inputs changed, or a held cell; never shown as an error. */
class ManualNotRun extends Error {
	constructor(
		readonly cellId: number,
		readonly hasRun: boolean,
	) {
		super(`cell ${cellId} is not run: press Run`);
		this.name = 'ManualNotRun';
	}
}

interface Entry {
	cell: Cell;
	state: DefineState;
	info: CellInfo;
	allowRun: boolean;
	held: boolean;
}

// Transpiled bodies call import(); route those through the bundle so notebooks work offline.
(globalThis as { __dphImport?: typeof importForCell }).__dphImport = importForCell;

const loopGuard = makeLoopGuard();

function compile(cell: Cell, id: number): Omit<Definition, 'body'> & { body: (...a: unknown[]) => unknown } {
	const t = transpile(cell);
	// A runaway loop throws in its cell instead of freezing the tab. If acorn cannot parse the transpiled body the
	// cell is a syntax error, not unguarded code.
	const guarded = guardLoops(t.body, id, cell.value);
	const source = guarded.code.replace(/\bimport\(/g, '__dphImport(');
	// Evaluating user code is the point of a notebook. new Function gives the body global scope only, not ours.
	const body = new Function(guarded.factory, `return (${source});`)(loopGuard) as (...a: unknown[]) => unknown;
	return { id, ...t, body };
}

export class LiveNotebook {
	private rt: NotebookRuntime;
	private entries = new Map<number, Entry>();

	constructor(private opts: LiveOptions) {
		this.rt = new NotebookRuntime(opts.library);
	}

	info(id: number): CellInfo | undefined {
		return this.entries.get(id)?.info;
	}

	private setInfo(e: Entry, info: Partial<CellInfo>) {
		// A redefined cell's old variables still report once the runtime gets to them (after a long first run of
		// the new one, say): they must not overwrite the new definition's status or output.
		if (this.entries.get(e.cell.id) !== e) return;
		e.info = { ...e.info, ...info };
		if (info.status !== 'error' && info.status !== 'upstream-error') e.info.error = undefined;
		// Waiting and stale cells keep the cell they wait on, so the UI can name it.
		if (!['error', 'upstream-error', 'waiting', 'stale'].includes(e.info.status)) e.info.upstream = undefined;
		this.opts.onStatus?.(e.cell.id, e.info);
	}

	/** True once every defined cell has finished its first computation (or is held, waiting, or failed). */
	settled(): boolean {
		return [...this.entries.values()].every((e) => e.info.status !== 'pending');
	}

	/** Define (or redefine) a cell, rendering into `root`. */
	define(cell: Cell, root: HTMLDivElement, opts: DefineOptions = {}): void {
		const old = this.entries.get(cell.id);
		if (old) this.undefine(cell.id);
		const state: DefineState = { root, expanded: [], variables: [] };
		const entry: Entry = {
			cell,
			state,
			info: { status: 'pending', outputs: [] },
			allowRun: old?.allowRun ?? false,
			held: opts.hold ?? false,
		};
		this.entries.set(cell.id, entry);
		root.replaceChildren();
		let def: ReturnType<typeof compile>;
		try {
			def = compile(cell, cell.id);
		} catch (e) {
			const msg = e instanceof Error ? e.message : String(e);
			const pre = document.createElement('div');
			pre.className = 'observablehq--inspect observablehq--error cell-syntax-error';
			pre.textContent = `SyntaxError: ${msg}`;
			root.append(pre);
			this.setInfo(entry, { status: 'error', error: `SyntaxError: ${msg}`, outputs: [] });
			return;
		}
		const outputs = def.output ? [def.output.replace(/^viewof\$/, '')] : (def.outputs ?? []);
		entry.info.outputs = outputs;
		const manual = isManual(cell);
		const inner = def.body;
		const id = cell.id;
		const self = this;
		let hasRun = old?.info.status === 'fulfilled' || old?.info.status === 'stale';
		const body = function (this: unknown, ...args: unknown[]) {
			if (entry.held) throw new ManualNotRun(id, false);
			if (manual) {
				// Not a pending promise: the runtime chains each computation on the previous one, so a promise that
				// never settles would block this cell and its dependents for good. A marker rejection does not.
				if (!entry.allowRun) throw new ManualNotRun(id, hasRun);
				entry.allowRun = false;
				hasRun = true;
			}
			return inner.apply(this, args);
		};
		const observer = (s: DefineState, d: Definition) => {
			const base = observe(s, d);
			return {
				...base,
				pending() {
					if (self.entries.get(id) !== entry) return;
					base.pending.call(this);
					self.setInfo(entry, { status: 'pending' });
				},
				fulfilled(value: unknown) {
					if (self.entries.get(id) !== entry) return;
					base.fulfilled.call(this, value);
					self.setInfo(entry, { status: 'fulfilled' });
					if (d.inputs?.includes('view') || d.autoview) self.findView(entry);
				},
				rejected(error: unknown) {
					if (self.entries.get(id) !== entry) return;
					if (entry.held) {
						// Held cells show their code, not an output, whatever their inputs did.
						self.setInfo(entry, { status: 'unrun' });
						return;
					}
					const origin = self.originOf(error, id);
					const waitingOn = origin === id ? entry : self.entries.get(origin);
					if (
						error instanceof ManualNotRun ||
						(origin !== id && ['waiting', 'stale', 'unrun'].includes(waitingOn?.info.status ?? ''))
					) {
						// Keep the last output on screen (marked stale), like marimo; nothing failed.
						const stale = error instanceof ManualNotRun ? error.hasRun : s.root.childNodes.length > 0;
						self.setInfo(entry, { status: stale ? 'stale' : 'waiting', upstream: origin === id ? undefined : origin });
						return;
					}
					const msg = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
					if (origin !== id) {
						// Not this cell's fault: say where the error is instead of repeating it.
						this._error = true;
						s.root.replaceChildren();
						const note = document.createElement('div');
						note.className = 'cell-upstream-error';
						const why = error instanceof Error ? error.message : String(error);
						note.textContent = `Upstream error in cell ${origin}: ${why}`;
						s.root.append(note);
						self.setInfo(entry, { status: 'upstream-error', error: why, upstream: origin });
					} else {
						base.rejected.call(this, error);
						self.setInfo(entry, { status: 'error', error: msg });
					}
				},
			};
		};
		this.rt.define(state, { ...def, body: body as Definition['body'] }, observer as typeof observe);
	}

	/**
	 * The cell an error really comes from. The runtime re-throws an input's failure in each dependent as a
	 * RuntimeError whose `input` names the failed variable, so we follow that name to the cell defining it.
	 */
	private originOf(error: unknown, id: number): number {
		const input = (error as { input?: unknown } | null)?.input;
		if (typeof input !== 'string') return id;
		const hidden = /^cell (\d+)$/.exec(input);
		const src = hidden
			? Number(hidden[1])
			: [...this.entries.values()].find((e) => e.info.outputs.includes(input))?.cell.id;
		if (src === undefined || src === id) return id;
		const upstream = this.entries.get(src)?.info;
		return upstream?.status === 'upstream-error' && upstream.upstream !== undefined ? upstream.upstream : src;
	}

	private findView(entry: Entry) {
		const name = entry.info.outputs[0];
		if (!name || !this.opts.onView) return;
		const el = [...entry.state.root.querySelectorAll<HTMLElement>('form, input, select, textarea, .dph-job')].find(
			(n) => 'value' in n,
		) as (HTMLElement & { value: unknown }) | undefined;
		if (el) this.opts.onView(entry.cell.id, name, el);
	}

	/** Run a cell now: a manual cell computes once; any other cell re-runs (and so do its dependents). */
	run(cell: Cell): void {
		const e = this.entries.get(cell.id);
		if (!e) return;
		e.allowRun = true;
		this.define(cell, e.state.root);
	}

	undefine(id: number): void {
		const e = this.entries.get(id);
		if (!e) return;
		for (const v of e.state.variables) v.delete();
		e.state.variables.length = 0;
		this.entries.delete(id);
	}

	dispose(): void {
		for (const id of [...this.entries.keys()]) this.undefine(id);
		this.rt.runtime.dispose();
	}
}

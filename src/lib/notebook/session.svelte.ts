/**
 * One open notebook in the browser: loading (file on disk, shipped file or autosaved draft), the engine, cell
 * actions, autosave and saving to the Node server, safe mode, URL view state and presentation. NotebookView.svelte
 * is the markup over it. Browser only: it is created in onMount.
 */
import type { Cell, Notebook } from '@observablehq/notebook-kit';
import { downloadText } from '../browser/download';
import type { ComputeWorker } from '../workers/compute-client';
import { type CellInfo, isManual, setManual } from './cells';
import { makeComponentHelper } from './component';
import { exportPng, exportSvg } from './export';
import { newCell, parseNotebook, sections, serializeNotebook } from './format';
import { makeJob } from './job';
import { openingLedger, RunLedger } from './ledger';
import { createLocalNotebook, importLocalNotebook, localNotebookPath } from './local';
import type { LiveNotebook } from './runtime';
import { clearLoading, discardLocalEdits, isSafeUrl, LoadWatch, loadWasInterrupted, unsafeHref } from './safety';
import { serverUrls } from './server';
import { deleteStored, loadStored, type StoredNotebook, saveStored } from './store';
import { makeViewSync } from './viewstate';

export type CellAction =
	| 'toggle-code'
	| 'up'
	| 'down'
	| 'delete'
	| 'add-js'
	| 'add-md'
	| 'toggle-manual'
	| 'svg'
	| 'png';

/** Presentation mode: one section (a `#`/`##` heading and what follows) at a time. */
export class Presentation {
	presenting = $state(false);
	section = $state(0);

	constructor(private readonly count: () => number) {}

	start(): void {
		this.section = 0;
		this.presenting = true;
	}

	exit(): void {
		this.presenting = false;
	}

	step(by: number): void {
		this.section = Math.max(0, Math.min(this.count() - 1, this.section + by));
	}

	/** A key pressed anywhere while presenting; true when it was ours (the caller then prevents the default). */
	key(key: string): boolean {
		if (!this.presenting) return false;
		if (['ArrowRight', 'PageDown', ' '].includes(key)) this.step(1);
		else if (['ArrowLeft', 'PageUp'].includes(key)) this.step(-1);
		else if (key === 'Escape') this.exit();
		else return false;
		return true;
	}
}

export interface SessionOptions {
	slug: string;
	/** The shipped file's source; null for a notebook that lives only in this browser. */
	fileSource: string | null;
	origin: StoredNotebook['origin'];
	/** SvelteKit's `base` path. */
	base: string;
	/** SvelteKit's goto. */
	navigate: (href: string) => Promise<void>;
	/** The compute worker, started on a cell's first job. */
	worker: () => ComputeWorker;
}

export class NotebookSession {
	nb = $state<Notebook | null>(null);
	loadError = $state<string | null>(null);
	infos = $state<Record<number, CellInfo>>({});
	restoredAt = $state<number | null>(null);
	savedAt = $state<number | null>(null);
	/** A Node server answers: Save writes notebooks/<slug>.html instead of downloading. */
	canSave = $state(false);
	message = $state<{ text: string; kind: 'ok' | 'err' } | null>(null);
	/** Safe mode: no cell runs unless the user runs it (asked for with ?safe, or the last open never finished). */
	safe = $state<'url' | 'interrupted' | null>(null);
	readonly unrun = $derived(Object.values(this.infos).filter((i) => i.status === 'unrun').length);
	readonly sections = $derived(this.nb ? sections(this.nb) : []);
	readonly presentation = new Presentation(() => this.sections.length);
	readonly shownInSection = $derived(new Set(this.sections[this.presentation.section] ?? []));

	private fileOnDisk: string | null = null;
	private readonly roots = new Map<number, HTMLDivElement>();
	private readonly drafts = new Map<number, string>();
	private syncView: ReturnType<typeof makeViewSync> = () => {};
	private engine: LiveNotebook | null = null;
	private autosaveTimer: ReturnType<typeof setTimeout> | undefined;
	private ledger = new RunLedger();
	private readonly watch: LoadWatch;
	private readonly urls: ReturnType<typeof serverUrls>;

	constructor(private readonly opts: SessionOptions) {
		this.watch = new LoadWatch(() => opts.slug);
		this.urls = serverUrls(opts.base);
	}

	private get slug() {
		return this.opts.slug;
	}

	/** What the notebook was opened from: the file on disk when the server has one, else the shipped file. */
	private get fileBase() {
		return this.fileOnDisk ?? this.opts.fileSource;
	}

	toast(text: string, kind: 'ok' | 'err' = 'ok') {
		this.message = { text, kind };
		setTimeout(() => {
			if (this.message?.text === text) this.message = null;
		}, 5000);
	}

	/** The notebook as the editors show it: unrun drafts included. */
	private current(): Notebook {
		const snap = $state.snapshot(this.nb) as Notebook;
		return { ...snap, cells: snap.cells.map((c) => ({ ...c, value: this.drafts.get(c.id) ?? c.value })) };
	}

	private currentSource(): string {
		return this.nb ? serializeNotebook(this.current()) : '';
	}

	scheduleAutosave() {
		clearTimeout(this.autosaveTimer);
		this.autosaveTimer = setTimeout(() => void this.autosave(), 400);
	}

	private async autosave() {
		if (!this.nb) return;
		const source = this.currentSource();
		if (this.opts.origin === 'file' && source === this.fileBase) {
			await deleteStored(this.slug);
			this.savedAt = null;
			this.restoredAt = null;
			return;
		}
		const now = Date.now();
		const ran = this.ledger.keep(this.current().cells);
		await saveStored({ slug: this.slug, source, savedAt: now, origin: this.opts.origin, title: this.nb.title, ran });
		this.savedAt = now;
	}

	/** Load the runtime (it touches the DOM at import time, so in the browser only) and the notebook. */
	async start(): Promise<void> {
		this.syncView = makeViewSync(location.hash);
		const slug = this.slug;
		this.safe = isSafeUrl(new URL(location.href)) ? 'url' : loadWasInterrupted(slug) ? 'interrupted' : null;
		const [{ LiveNotebook }, { makeCellBuiltins }] = await Promise.all([
			import('./runtime'),
			import('./cell-builtins'),
		]);
		this.engine = new LiveNotebook({
			library: makeCellBuiltins({
				job: () => makeJob(this.opts.worker),
				component: () => makeComponentHelper(),
			}),
			onStatus: (id, info) => this.onStatus(id, info),
			onView: (_id, name, el) => this.syncView(name, el),
		});
		await this.load();
	}

	private onStatus(id: number, info: CellInfo) {
		this.infos[id] = info;
		this.watch.update(!!this.engine?.settled() && this.roots.size === this.nb?.cells.length);
		// A loop stopped by the guard must not start again by itself on the next open.
		const cell = this.nb?.cells.find((c) => c.id === id);
		if (cell && info.error?.startsWith('LoopTimeoutError') && this.ledger.has(cell)) {
			this.ledger.delete(cell);
			this.scheduleAutosave();
		}
	}

	dispose(): void {
		clearTimeout(this.autosaveTimer);
		this.watch.done();
		this.engine?.dispose();
	}

	private async load() {
		const { slug, origin } = this.opts;
		try {
			const health = await fetch(this.urls.health)
				.then((r) => (r.ok ? r.json() : null))
				.catch(() => null);
			this.canSave = health?.server === 'node';
			if (this.canSave && origin === 'file') {
				const r = await fetch(this.urls.notebook(slug));
				if (r.ok) this.fileOnDisk = await r.text();
			}
			const base = this.fileBase;
			const stored = await loadStored(slug);
			if (stored && stored.source !== base) {
				this.ledger = openingLedger(base ? parseNotebook(base, `${slug}.html`).cells : [], stored.ran);
				this.nb = parseNotebook(stored.source, `your saved edits of ${slug}`);
				if (origin === 'file') this.restoredAt = stored.savedAt;
				this.savedAt = stored.savedAt;
			} else if (base) {
				this.nb = parseNotebook(base, `${slug}.html`);
				this.ledger = openingLedger(this.nb.cells);
			} else {
				this.loadError = `No notebook "${slug}" in this browser's storage. It may have been created in another browser or cleared.`;
			}
		} catch (e) {
			this.loadError = (e as Error).message;
		}
		if (this.nb && !this.safe) this.watch.begin();
	}

	cellMounted(cell: Cell, root: HTMLDivElement) {
		this.roots.set(cell.id, root);
		this.engine?.define(cell, root, { hold: this.safe !== null || !this.ledger.has(cell) });
	}

	editCell(cell: Cell, value: string) {
		this.drafts.set(cell.id, value);
		this.scheduleAutosave();
	}

	runCell(cell: Cell, value: string) {
		cell.value = value;
		this.drafts.delete(cell.id);
		const root = this.roots.get(cell.id);
		if (!root || !this.engine) return;
		const snap = $state.snapshot(cell) as Cell;
		this.ledger.add(snap);
		this.watch.begin();
		if (isManual(snap)) this.engine.run(snap);
		else this.engine.define(snap, root);
		this.scheduleAutosave();
	}

	act(cell: Cell, action: CellAction) {
		const nb = this.nb;
		if (!nb) return;
		const i = nb.cells.findIndex((c) => c.id === cell.id);
		switch (action) {
			case 'toggle-code':
				cell.pinned = !cell.pinned;
				break;
			case 'up':
			case 'down': {
				const j = action === 'up' ? i - 1 : i + 1;
				if (j < 0 || j >= nb.cells.length) return;
				[nb.cells[i], nb.cells[j]] = [nb.cells[j], nb.cells[i]];
				break;
			}
			case 'delete':
				this.engine?.undefine(cell.id);
				this.roots.delete(cell.id);
				nb.cells.splice(i, 1);
				break;
			case 'add-js':
			case 'add-md': {
				const c = newCell(nb, action === 'add-js' ? 'js' : 'md', action === 'add-md' ? 'New *Markdown* cell' : '');
				c.pinned = true;
				this.ledger.add(c);
				nb.cells.splice(i + 1, 0, c);
				break;
			}
			case 'toggle-manual':
				this.runCell(cell, setManual(this.drafts.get(cell.id) ?? cell.value, !isManual(cell)));
				return;
			case 'svg':
			case 'png':
				void this.exportFigure(cell, action);
				return;
		}
		this.scheduleAutosave();
	}

	private async exportFigure(cell: Cell, format: 'svg' | 'png') {
		const root = this.roots.get(cell.id);
		if (!root) return;
		const name = `${this.slug}-cell-${cell.id}`;
		const done = await (format === 'svg' ? exportSvg(root, name) : exportPng(root, name));
		if (!done) this.toast(`Cell ${cell.id} has no ${format === 'svg' ? 'SVG figure' : 'figure'} to export`, 'err');
	}

	download() {
		downloadText(this.currentSource(), `${this.slug}.html`, 'text/html');
	}

	async save() {
		if (!this.canSave) return this.download();
		const source = this.currentSource();
		try {
			const r = await fetch(this.urls.notebook(this.slug), {
				method: 'PUT',
				headers: { 'Content-Type': 'text/html; charset=utf-8' },
				body: source,
			});
			const body = await r.json().catch(() => ({}));
			if (!r.ok) throw new Error(body.error ?? `the server answered ${r.status}`);
			this.fileOnDisk = source;
			this.restoredAt = null;
			if (this.opts.origin === 'file') await deleteStored(this.slug);
			this.toast(`Saved to ${body.path ?? `notebooks/${this.slug}.html`}`);
		} catch (e) {
			this.toast(`Could not save: ${(e as Error).message}. Your edits are still kept in this browser.`, 'err');
		}
	}

	runUnrun() {
		for (const cell of this.nb?.cells ?? []) {
			if (this.infos[cell.id]?.status === 'unrun') this.runCell(cell, this.drafts.get(cell.id) ?? cell.value);
		}
	}

	leaveSafeMode() {
		clearLoading(this.slug);
		location.assign(unsafeHref(new URL(location.href)));
	}

	async revert() {
		if (!this.fileBase) return;
		await discardLocalEdits(this.slug);
		this.engine?.dispose();
		this.roots.clear();
		this.drafts.clear();
		this.infos = {};
		this.engine = null;
		location.reload();
	}

	async importFile(file: File) {
		try {
			await this.opts.navigate(localNotebookPath(await importLocalNotebook(file), this.opts.base));
		} catch (e) {
			this.toast(`Could not import ${file.name}: ${(e as Error).message}`, 'err');
		}
	}

	async createNew() {
		await this.opts.navigate(localNotebookPath(await createLocalNotebook(), this.opts.base));
	}
}

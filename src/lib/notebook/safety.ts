/**
 * Recovering from a notebook that freezes or crashes its tab: a load marker in localStorage (synchronous, so it is
 * written before any cell runs and survives a frozen or crashed tab), safe mode (`?safe`: open with no code run),
 * and discarding a notebook's local edits from the home page.
 */
import { deleteStored } from './store';

const MARKER = 'dph-notebook-loading:';

function storage(): Storage | null {
	try {
		return globalThis.localStorage ?? null;
	} catch {
		// Storage disabled (privacy settings): nothing to recover from, nothing to mark.
		return null;
	}
}

/** Set before cells run: "this notebook is loading". */
export function markLoading(slug: string): void {
	try {
		storage()?.setItem(MARKER + slug, String(Date.now()));
	} catch {
		// Quota full: loading still works, only the crash detection is lost.
	}
}

export function clearLoading(slug: string): void {
	storage()?.removeItem(MARKER + slug);
}

/** True when the last open of `slug` set the marker and never cleared it: it froze or crashed the tab. */
export function loadWasInterrupted(slug: string): boolean {
	return storage()?.getItem(MARKER + slug) != null;
}

export function isSafeUrl(url: URL): boolean {
	return url.searchParams.has('safe');
}

/** `href` with `?safe` added (keeps other parameters and the hash). */
export function safeHref(href: string, base = 'http://x'): string {
	const u = new URL(href, base);
	u.searchParams.set('safe', '');
	return `${u.pathname}${u.search.replace(/safe=(&|$)/, 'safe$1')}${u.hash}`;
}

/** The same page without safe mode. */
export function unsafeHref(url: URL): string {
	const u = new URL(url);
	u.searchParams.delete('safe');
	return `${u.pathname}${u.search}${u.hash}`;
}

/** Forget a notebook's draft, its run ledger and its load marker. */
export async function discardLocalEdits(slug: string): Promise<void> {
	clearLoading(slug);
	await deleteStored(slug);
}

/**
 * The marker's life during one open: set before the first cell runs; cleared once every cell has settled, or
 * once the first frame with cells in it has completed and the page stayed responsive for `graceMs` after it, or
 * when the page is left normally (pagehide cannot run in a frozen or crashed tab). A synchronous runaway blocks
 * all of these, so the marker stays and the next open is offered safe mode.
 */
export class LoadWatch {
	private armed = false;
	private timer: ReturnType<typeof setTimeout> | undefined;
	private readonly onHide = () => this.done();

	/** `slug` is read when needed: the page may hand the view a new notebook. */
	constructor(
		private readonly slug: () => string,
		private readonly graceMs = 2000,
	) {}

	/** Cells are about to run (on load, or a cell the user runs). */
	begin(): void {
		markLoading(this.slug());
		if (!this.armed) addEventListener('pagehide', this.onHide);
		this.armed = true;
		clearTimeout(this.timer);
		// A frame callback first: a tab in the background runs no frames, so no cells, and must keep the marker.
		requestAnimationFrame(() => {
			this.timer = setTimeout(() => this.done(), this.graceMs);
		});
	}

	/** Report whether every cell has settled. */
	update(settled: boolean): void {
		if (settled && this.armed) this.done();
	}

	/** The cells begun have settled, or the page is left: clear the marker (only one this watch set). */
	done(): void {
		clearTimeout(this.timer);
		if (!this.armed) return;
		removeEventListener('pagehide', this.onHide);
		this.armed = false;
		clearLoading(this.slug());
	}
}

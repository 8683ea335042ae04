/**
 * Notebooks that live only in this browser: created from the template or imported from a file. Shared by the
 * home page and the notebook toolbar, so both pick names the same way.
 */
import { notebooks } from './catalog';
import { newNotebook, parseNotebook, serializeNotebook } from './format';
import { openingLedger } from './ledger';
import { toSlug } from './slug.js';
import { listStored, saveStored } from './store';

/** `base`, or `base-2`, `base-3`, … : never the name of a shipped notebook or of one already in this browser. */
export async function uniqueLocalSlug(base: string): Promise<string> {
	const taken = new Set([...(await listStored()).map((n) => n.slug), ...notebooks.map((n) => n.slug)]);
	let s = base;
	for (let k = 2; taken.has(s); k++) s = `${base}-${k}`;
	return s;
}

/** Store a new notebook from the template; returns its slug. */
export async function createLocalNotebook(): Promise<string> {
	const nb = newNotebook();
	const slug = await uniqueLocalSlug('untitled');
	const source = serializeNotebook(nb);
	const ran = openingLedger(nb.cells).keep(nb.cells);
	await saveStored({ slug, source, savedAt: Date.now(), origin: 'new', title: nb.title, ran });
	return slug;
}

/** Validate and store an imported notebook file; returns its slug. Throws a message naming the file. */
export async function importLocalNotebook(file: File): Promise<string> {
	const source = await file.text();
	const nb = parseNotebook(source, file.name);
	const slug = await uniqueLocalSlug(toSlug(file.name));
	// The imported file is the notebook's file: its cells run on open, as a shipped notebook's do.
	const ran = openingLedger(nb.cells).keep(nb.cells);
	await saveStored({ slug, source, savedAt: Date.now(), origin: 'import', title: nb.title, ran });
	return slug;
}

/** The page of a browser-only notebook; `base` is SvelteKit's base path (goto needs it, links too). */
export function localNotebookPath(slug: string, base = ''): string {
	return `${base}/notebooks/open?slug=${encodeURIComponent(slug)}`;
}

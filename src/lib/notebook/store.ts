/**
 * Autosave: every edit to a notebook is kept in IndexedDB (per notebook, with the time), so a reload or a crashed
 * tab brings the edited version back. Imported and new notebooks live here too until saved to a file.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

export interface StoredNotebook {
	slug: string;
	/** The notebook file (Notebook Kit HTML). */
	source: string;
	/** Date.now() of the last autosave. */
	savedAt: number;
	/** Where it came from: a shipped file, an import, or "New notebook". */
	origin: 'file' | 'import' | 'new';
	title: string;
	/**
	 * Ledger keys (ledger.ts) of the cells the user has run. On the next open only these, and the cells of the
	 * shipped file, run by themselves; other cells stay unrun. Absent in records written before the ledger: then
	 * nothing but the file's cells runs.
	 */
	ran?: string[];
}

let store: UseStore | null = null;
function db(): UseStore {
	store ??= createStore('dph-workbench', 'notebooks');
	return store;
}

export async function loadStored(slug: string): Promise<StoredNotebook | undefined> {
	return get<StoredNotebook>(slug, db());
}

export async function saveStored(nb: StoredNotebook): Promise<void> {
	await set(nb.slug, nb, db());
}

export async function deleteStored(slug: string): Promise<void> {
	await del(slug, db());
}

export async function listStored(): Promise<StoredNotebook[]> {
	const all = await Promise.all((await keys<string>(db())).map((k) => get<StoredNotebook>(k, db())));
	return all.filter((x): x is StoredNotebook => !!x).sort((a, b) => b.savedAt - a.savedAt);
}

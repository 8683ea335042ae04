/**
 * Which cell sources the user has run: a restored draft must never run code the user has not run (as
 * Observable and JS Bin do). A cell is keyed by a hash of its mode and source, so the ledger kept with the
 * autosaved draft says "this exact code ran here before" without storing the code twice.
 */
import type { Cell } from '@observablehq/notebook-kit';

type Source = Pick<Cell, 'mode' | 'value'>;

/** cyrb53: a fast, well-mixed 53-bit string hash (not cryptographic; the ledger lives beside the draft). */
function cyrb53(s: string, seed: number): string {
	let h1 = 0xdeadbeef ^ seed;
	let h2 = 0x41c6ce57 ^ seed;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		h1 = Math.imul(h1 ^ c, 2654435761);
		h2 = Math.imul(h2 ^ c, 1597334677);
	}
	h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
	h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
	return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The ledger key of a cell: its mode and source, hashed twice (106 bits). */
export function cellKey(cell: Source): string {
	const s = `${cell.mode}\n${cell.value}`;
	return `${cyrb53(s, 1)}.${cyrb53(s, 2)}`;
}

export class RunLedger {
	private keys: Set<string>;

	constructor(keys: Iterable<string> = []) {
		this.keys = new Set(keys);
	}

	has(cell: Source): boolean {
		return this.keys.has(cellKey(cell));
	}

	add(cell: Source): void {
		this.keys.add(cellKey(cell));
	}

	delete(cell: Source): void {
		this.keys.delete(cellKey(cell));
	}

	/** The keys of `cells` that have run: what to keep with the draft (keys of code no longer there are dropped). */
	keep(cells: Source[]): string[] {
		return [...new Set(cells.map(cellKey))].filter((k) => this.keys.has(k));
	}
}

/**
 * The ledger for an open: every cell of the notebook's file runs as it always did (the file is what was shipped or
 * imported); a draft adds only the cells the user ran, so edits never run stay held.
 */
export function openingLedger(fileCells: Source[], ran: string[] = []): RunLedger {
	return new RunLedger([...fileCells.map(cellKey), ...ran]);
}

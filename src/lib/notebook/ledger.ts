/**
 * Which cell sources the user has run: a restored draft must never run code the user has not run (as
 * Observable and JS Bin do). A cell is keyed by a hash of its mode and source, so the ledger kept with the
 * autosaved draft says "this exact code ran here before" without storing the code twice.
 */
import type { Cell } from '@observablehq/notebook-kit';
import { hashString } from '../dph/hash';

type Source = Pick<Cell, 'mode' | 'value'>;

/** The ledger key of a cell: its mode and source, hashed twice (106 bits). */
export function cellKey(cell: Source): string {
	const s = `${cell.mode}\n${cell.value}`;
	return `${hashString(s, 1)}.${hashString(s, 2)}`;
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

/**
 * Cell facts shared by the engine (runtime.ts) and the UI, with no runtime imports, so pages can use them during
 * server-side rendering.
 */
import type { Cell } from '@observablehq/notebook-kit';

/** `unrun`: held back (safe mode, or a restored draft never run) until the user runs it. */
export type CellStatus = 'idle' | 'pending' | 'fulfilled' | 'error' | 'upstream-error' | 'waiting' | 'stale' | 'unrun';

export interface CellInfo {
	status: CellStatus;
	error?: string;
	/** For upstream errors, the id of the cell that failed. */
	upstream?: number;
	/** Top-level names the cell defines. */
	outputs: string[];
}

/** A cell marked manual runs only when asked (Run or Shift+Enter), never because an input changed. */
export const MANUAL_MARKER = /^\s*\/\/\s*@manual\b/;
export function isManual(cell: Pick<Cell, 'mode' | 'value'>): boolean {
	return (cell.mode === 'js' || cell.mode === 'ts') && MANUAL_MARKER.test(cell.value);
}
export function setManual(value: string, manual: boolean): string {
	if (manual === MANUAL_MARKER.test(value)) return value;
	return manual ? `// @manual — runs only on request\n${value}` : value.replace(/^\s*\/\/\s*@manual\b.*\n?/, '');
}

/**
 * The one CSV writer (sweep tables, score batches, loss landscapes): d3's RFC 4180 quoting, a header line, and a
 * final newline so the file is a text file that `cat` and `wc -l` treat right. Pure: also used by the CLI.
 *
 * Numbers are written with `String(x)`; a caller that wants fewer digits formats them to strings first, which is
 * why cells may be strings or numbers. `null` and `undefined` are empty cells.
 */
import { csvFormatRows } from 'd3';

export type CsvCell = string | number | boolean | null | undefined;

export function toCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
	const lines: string[][] = [[...header]];
	for (const row of rows) lines.push(row.map((v) => (v === null || v === undefined ? '' : String(v))));
	return `${csvFormatRows(lines)}\n`;
}

/** CSV of records, one column per key of `columns` in that order. */
export function recordsToCsv<K extends string>(columns: readonly K[], records: Iterable<Record<K, CsvCell>>): string {
	const rows: CsvCell[][] = [];
	for (const r of records) rows.push(columns.map((c) => r[c]));
	return toCsv(columns, rows);
}

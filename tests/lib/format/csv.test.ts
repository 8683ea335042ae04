import { describe, expect, it } from 'vitest';
import { recordsToCsv, toCsv } from '$lib/format/csv';

describe('toCsv / recordsToCsv', () => {
	it('header, rows, RFC 4180 quoting, empty cells for null/undefined, a final newline', () => {
		expect(
			toCsv(
				['a', 'b,c'],
				[
					[1, 'x "y"'],
					[null, undefined],
					[0.5, 'two\nlines'],
				],
			),
		).toBe('a,"b,c"\n1,"x ""y"""\n,\n0.5,"two\nlines"\n');
		expect(toCsv(['only'], [])).toBe('only\n');
	});

	it('numbers as String(x); the caller formats digits', () => {
		expect(toCsv(['x'], [[0.1 + 0.2], [-0], [1e-7], [Number.NaN]])).toBe('x\n0.30000000000000004\n0\n1e-7\nNaN\n');
	});

	it('records in the given column order, whatever the key order', () => {
		expect(recordsToCsv(['b', 'a'], [{ a: 1, b: 2 }])).toBe('b,a\n2,1\n');
	});
});

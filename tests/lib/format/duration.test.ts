import { describe, expect, it } from 'vitest';
import { formatDuration } from '$lib/format/duration';

describe('formatDuration', () => {
	it('rounds the whole duration before splitting it, so no field reaches 60', () => {
		expect(formatDuration(59.6)).toBe('1 min');
		expect(formatDuration(119.5)).toBe('2 min');
		expect(formatDuration(119.4)).toBe('1 min 59 s');
		expect(formatDuration(3599.4)).toBe('59 min 59 s');
		expect(formatDuration(3599.9)).toBe('1 h');
		expect(formatDuration(3600 + 59.5 * 60)).toBe('2 h');
		const sixty: string[] = [];
		for (let s = 0; s < 4 * 3600; s += 0.25) {
			const text = formatDuration(s);
			if (/\b60 (s|min)/.test(text)) sixty.push(`${s} → ${text}`);
		}
		expect(sixty).toEqual([]);
	});

	it('prints seconds, minutes and seconds, or hours and minutes, leaving out a zero last field', () => {
		expect(formatDuration(0)).toBe('0 s');
		expect(formatDuration(45.2)).toBe('45 s');
		expect(formatDuration(125)).toBe('2 min 5 s');
		expect(formatDuration(120)).toBe('2 min');
		expect(formatDuration(3600 + 3 * 60 + 10)).toBe('1 h 3 min');
	});

	it("rounds a time left up: never '0 s' while work remains", () => {
		expect(formatDuration(0.2, { round: 'up' })).toBe('1 s');
		expect(formatDuration(59.1, { round: 'up' })).toBe('1 min');
		expect(formatDuration(60.1, { round: 'up' })).toBe('1 min 1 s');
		expect(formatDuration(3599.1, { round: 'up' })).toBe('1 h');
		expect(formatDuration(3600.5, { round: 'up' })).toBe('1 h 1 min');
		expect(formatDuration(0, { round: 'up' })).toBe('0 s');
	});

	it('compact for terminal lines, with tenths below 10 s', () => {
		const cli = { compact: true, tenths: true };
		expect(formatDuration(3.24, cli)).toBe('3.2s');
		expect(formatDuration(9.96, cli)).toBe('10s');
		expect(formatDuration(59.6, cli)).toBe('1m');
		expect(formatDuration(119.5, cli)).toBe('2m');
		expect(formatDuration(125, cli)).toBe('2m5s');
		expect(formatDuration(3599.9, cli)).toBe('1h');
		expect(formatDuration(5400, cli)).toBe('1h30m');
		expect(formatDuration(0, cli)).toBe('0.0s');
	});

	it('unknown (null, NaN, ±Infinity) prints …; negative is nothing left', () => {
		for (const x of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
			expect(formatDuration(x)).toBe('…');
		}
		expect(formatDuration(-3)).toBe('0 s');
		expect(formatDuration(-0.4, { round: 'up' })).toBe('0 s');
		expect(formatDuration(-1, { tenths: true })).toBe('0.0 s');
	});
});

import { describe, expect, it } from 'vitest';
import { isUrlValue, readHash, writeHash } from '../../../src/lib/notebook/urlstate';

describe('URL hash state', () => {
	it('round-trips numbers, strings, booleans and arrays', () => {
		const m = new Map<string, unknown>([
			['eps', 0.25],
			['loss', 'condph'],
			['show', true],
			['range', [-6, 6]],
		]);
		const h = writeHash(m);
		expect(h).toBe('#eps=0.25&loss=condph&show=true&range=%5B-6%2C6%5D');
		expect([...readHash(h)]).toEqual([...m]);
	});

	it('keeps only values a URL can hold', () => {
		expect(isUrlValue(0.1)).toBe(true);
		expect(isUrlValue(Number.NaN)).toBe(false);
		expect(isUrlValue({ a: 1 })).toBe(false);
		expect(isUrlValue(['a', 1])).toBe(true);
		expect(writeHash(new Map([['o', { a: 1 }]]))).toBe('');
	});
});

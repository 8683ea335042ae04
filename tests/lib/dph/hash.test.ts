import { describe, expect, it } from 'vitest';
import { hashString } from '../../../src/lib/dph/hash';

// Expected values from an independent Python implementation of cyrb53 (32-bit imul emulated with masks).
describe('hashString (cyrb53)', () => {
	it.each([
		['', 0, '0bdcb81aee8d83'],
		['a', 0, '1c2ba782c97901'],
		['while(true){}', 1, '1e2c502b771902'],
		['while(true){}', 2, '0603a63957f26f'],
		['DPH workbench', 0, '101dc10a5800ac'],
	])('%j with seed %i', (s, seed, want) => {
		expect(hashString(s, seed)).toBe(want);
	});
});

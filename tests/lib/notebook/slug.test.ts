import { describe, expect, it } from 'vitest';
import { slugProblem, toSlug } from '../../../src/lib/notebook/slug.js';

describe('notebook slugs', () => {
	it('accepts plain names', () => {
		for (const s of ['welcome', 'loss-landscapes', 'a', 'run_2', '0-intro']) expect(slugProblem(s)).toBeNull();
	});

	it('refuses anything that could leave notebooks/, with a reason', () => {
		const cases: [unknown, RegExp][] = [
			['../x', /path separator/],
			['a/b', /path separator/],
			['..', /contains "\.\."/],
			['/etc/passwd', /path separator/],
			['C:\\x', /path separator/],
			['a\0b', /NUL/],
			['', /empty/],
			[undefined, /empty/],
			['Loud', /not a valid notebook name/],
			['with space', /not a valid notebook name/],
			['-lead', /not a valid notebook name/],
			['x'.repeat(81), /not a valid notebook name/],
			['open', /reserved/],
		];
		for (const [s, why] of cases) expect(slugProblem(s), String(s)).toMatch(why);
	});

	it('derives slugs from titles and file names', () => {
		expect(toSlug('Loss Landscapes.html')).toBe('loss-landscapes');
		expect(toSlug('Équations & ε')).toBe('equations');
		expect(toSlug('***')).toBe('untitled');
		expect(toSlug('open')).toBe('open-notebook');
		expect(slugProblem(toSlug('../../etc/passwd'))).toBeNull();
	});
});

import { describe, expect, it } from 'vitest';
import { DataError, type MultipleChoiceItem, makeTask, TASK_NAMES } from '../../../../src/lib/dph/data/index';

/** Evaluate "a op b [op c]" with × before + and −, independently of the generator. */
function evaluate(expr: string): number {
	const tokens = expr.match(/\d+|[+*-]/g)!;
	// Fold products first, then sum the signed terms.
	const terms: number[] = [];
	let sign = 1;
	let cur = Number(tokens[0]);
	for (let i = 1; i < tokens.length; i += 2) {
		const op = tokens[i];
		const v = Number(tokens[i + 1]);
		if (op === '*') cur *= v;
		else {
			terms.push(sign * cur);
			sign = op === '+' ? 1 : -1;
			cur = v;
		}
	}
	terms.push(sign * cur);
	return terms.reduce((a, b) => a + b, 0);
}

function expressionOf(item: MultipleChoiceItem): string {
	const user = item.messages[item.messages.length - 1].content;
	return user.match(/[\d+*-]+[\d]/)![0];
}

/** |x − p·n| within z standard deviations of a binomial count. */
function withinBinomial(count: number, n: number, p: number, z = 4.5): boolean {
	return Math.abs(count - n * p) <= z * Math.sqrt(n * p * (1 - p)) + 1;
}

describe('makeTask: determinism', () => {
	it('is a pure function of the seed, and a larger n extends a smaller one', () => {
		for (const name of TASK_NAMES) {
			const a = makeTask(name, { n: 40, seed: 7, noise: 0.3, difficulty: 3 });
			const b = makeTask(name, { n: 40, seed: 7, noise: 0.3, difficulty: 3 });
			expect(b).toEqual(a);
			const c = makeTask(name, { n: 80, seed: 7, noise: 0.3, difficulty: 3 });
			expect(c.pairs.slice(0, 40)).toEqual(a.pairs);
			expect(c.items.slice(0, 40)).toEqual(a.items);
			const tail = makeTask(name, { n: 40, seed: 7, noise: 0.3, difficulty: 3, start: 40 });
			expect(tail.pairs).toEqual(c.pairs.slice(40));
			const other = makeTask(name, { n: 40, seed: 8, noise: 0.3, difficulty: 3 });
			expect(other.items).not.toEqual(a.items);
		}
	});

	it('keeps items fixed across noise rates and only adds flips as η rises', () => {
		const lo = makeTask('arithmetic', { n: 2000, seed: 3, noise: 0.1 });
		const hi = makeTask('arithmetic', { n: 2000, seed: 3, noise: 0.3 });
		expect(hi.items).toEqual(lo.items);
		for (let i = 0; i < 2000; i++) if (lo.pairs[i].flipped) expect(hi.pairs[i].flipped).toBe(true);
	});

	it('draws the system message independently of the question', () => {
		const none = makeTask('arithmetic', { n: 50, seed: 1 });
		const all = makeTask('arithmetic', { n: 50, seed: 1, system: 1 });
		for (let i = 0; i < 50; i++) {
			expect(none.items[i].messages).toHaveLength(1);
			expect(all.items[i].messages[0]).toEqual({ role: 'system', content: 'You are a calculator.' });
			expect(all.items[i].messages[1]).toEqual(none.items[i].messages[0]);
			expect(all.items[i].candidates).toEqual(none.items[i].candidates);
		}
		const half = makeTask('arithmetic', { n: 4000, seed: 1, system: 0.5 });
		const count = half.items.filter((it) => it.messages[0].role === 'system').length;
		expect(withinBinomial(count, 4000, 0.5)).toBe(true);
	});
});

describe('arithmetic', () => {
	it('chooses the true value and rejects a different number, at every difficulty', () => {
		for (let d = 1; d <= 5; d++) {
			const t = makeTask('arithmetic', { n: 300, seed: d, difficulty: d });
			t.pairs.forEach((p, i) => {
				const item = t.items[i];
				const value = evaluate(expressionOf(item));
				expect(p.flipped).toBe(false);
				expect(p.chosen).toBe(String(value));
				expect(p.rejected).not.toBe(p.chosen);
				expect(Number.isInteger(Number(p.rejected))).toBe(true);
				expect(item.candidates[item.label]).toBe(String(value));
				expect(new Set(item.candidates).size).toBe(item.candidates.length);
				expect(item.candidates).toContain(p.rejected);
				expect(p.messages).toEqual(item.messages);
			});
		}
	});

	it('scales operands and operators with difficulty', () => {
		const easy = makeTask('arithmetic', { n: 200, seed: 5, difficulty: 1 });
		for (const it of easy.items) expect(expressionOf(it)).toMatch(/^\d\+\d$/);
		const hard = makeTask('arithmetic', { n: 200, seed: 5, difficulty: 5 });
		for (const it of hard.items) expect(expressionOf(it)).toMatch(/^\d+[+*-]\d+[+*-]\d+$/);
		const mid = makeTask('arithmetic', { n: 400, seed: 5, difficulty: 3 });
		const ops = new Set(mid.items.flatMap((it) => expressionOf(it).match(/[+*-]/g)!));
		expect(ops).toEqual(new Set(['+', '-', '*']));
	});

	it('flips about η of the pairs and marks them', () => {
		const n = 20000;
		const eta = 0.2;
		const t = makeTask('arithmetic', { n, seed: 11, noise: eta });
		let flipped = 0;
		t.pairs.forEach((p, i) => {
			const truth = t.items[i].candidates[t.items[i].label];
			if (p.flipped) {
				flipped++;
				expect(p.rejected).toBe(truth);
				expect(p.chosen).not.toBe(truth);
			} else {
				expect(p.chosen).toBe(truth);
			}
		});
		expect(withinBinomial(flipped, n, eta)).toBe(true);
	});
});

describe('multiple-choice', () => {
	/** Solve an item from its text alone, so the test does not reuse the generator's logic. */
	function solve(item: MultipleChoiceItem): number {
		const user = item.messages[item.messages.length - 1].content;
		const question = user.match(/^Question: (.*)\n/)![1];
		const opts = item.candidates.map((c) => c.slice(3));
		const nums = opts.map(Number);
		switch (question) {
			case 'Which number is the largest?':
				return nums.indexOf(Math.max(...nums));
			case 'Which number is the smallest?':
				return nums.indexOf(Math.min(...nums));
			case 'Which number is even?':
				expect(nums.filter((x) => x % 2 === 0)).toHaveLength(1);
				return nums.findIndex((x) => x % 2 === 0);
			case 'Which word comes first in alphabetical order?':
				return opts.indexOf([...opts].sort()[0]);
			case 'Which word is the longest?': {
				const longest = Math.max(...opts.map((w) => w.length));
				expect(opts.filter((w) => w.length === longest)).toHaveLength(1);
				return opts.findIndex((w) => w.length === longest);
			}
			default:
				throw new Error(`unknown question ${question}`);
		}
	}

	it('formats ARC-style questions whose labelled answer is correct', () => {
		for (let d = 1; d <= 5; d++) {
			for (const k of [2, 4, 8]) {
				const t = makeTask('multiple-choice', { n: 150, seed: 100 + d, difficulty: d, candidates: k });
				for (const item of t.items) {
					expect(item.candidates).toHaveLength(k);
					item.candidates.forEach((cand, i) => {
						expect(cand.startsWith(`${'ABCDEFGH'[i]}. `)).toBe(true);
					});
					const user = item.messages[0].content;
					expect(user).toMatch(/^Question: .*\n\nChoices:\n(.+\n)+\nAnswer:$/);
					expect(user).toContain(item.candidates.join('\n'));
					expect(solve(item)).toBe(item.label);
				}
			}
		}
	});

	it('rejects uniformly among the wrong options, and places the answer uniformly', () => {
		const n = 12000;
		const k = 4;
		const t = makeTask('multiple-choice', { n, seed: 2024, candidates: k });
		const wrongRank = [0, 0, 0];
		const labelPos = [0, 0, 0, 0];
		t.pairs.forEach((p, i) => {
			const item = t.items[i];
			expect(p.chosen).toBe(item.candidates[item.label]);
			const j = item.candidates.indexOf(p.rejected);
			expect(j).not.toBe(item.label);
			wrongRank[j < item.label ? j : j - 1]++;
			labelPos[item.label]++;
		});
		const chi2 = (counts: number[]) => {
			const e = n / counts.length;
			return counts.reduce((s, o) => s + (o - e) ** 2 / e, 0);
		};
		// p = 0.001 critical values: 13.8 (2 dof), 16.3 (3 dof).
		expect(chi2(wrongRank)).toBeLessThan(13.8);
		expect(chi2(labelPos)).toBeLessThan(16.3);
	});

	it('covers every question kind', () => {
		const t = makeTask('mc', { n: 300, seed: 1 });
		const kinds = new Set(t.items.map((it) => it.messages[0].content.split('\n')[0]));
		expect(kinds.size).toBe(5);
	});
});

describe('copy and parity', () => {
	it('copy: the chosen answer repeats the text, wrong answers are one edit away', () => {
		const t = makeTask('copy', { n: 300, seed: 9, difficulty: 4 });
		t.pairs.forEach((p, i) => {
			const s = t.items[i].messages[0].content.replace('Repeat exactly: ', '');
			expect(s).toHaveLength(11);
			expect(p.chosen).toBe(s);
			expect(p.rejected).not.toBe(s);
			expect(Math.abs(p.rejected.length - s.length)).toBeLessThanOrEqual(1);
		});
	});

	it('parity: even/odd of the count of ones', () => {
		const t = makeTask('parity', { n: 400, seed: 9, difficulty: 2 });
		let odd = 0;
		t.pairs.forEach((p, i) => {
			const bits = t.items[i].messages[0].content.match(/ in ([01]+) even/)![1];
			expect(bits).toHaveLength(8);
			const ones = [...bits].filter((b) => b === '1').length;
			expect(p.chosen).toBe(ones % 2 === 0 ? 'even' : 'odd');
			expect(p.rejected).toBe(ones % 2 === 0 ? 'odd' : 'even');
			expect(t.items[i].candidates).toEqual(['even', 'odd']);
			odd += ones % 2;
		});
		expect(withinBinomial(odd, 400, 0.5)).toBe(true);
	});
});

describe('makeTask: validation', () => {
	it('names the field, the value and the valid range', () => {
		const bad = (name: string, o: Record<string, unknown>) => () =>
			makeTask(name, { n: 10, seed: 1, ...o } as Parameters<typeof makeTask>[1]);
		expect(bad('sudoku', {})).toThrow(
			/task: unknown task "sudoku"; valid tasks are echo, arithmetic, multiple-choice, copy, parity/,
		);
		expect(bad('arithmetic', { noise: 1.5 })).toThrow(/noise: must be a number in \[0, 1\], got 1.5/);
		expect(bad('arithmetic', { noise: Number.NaN })).toThrow(/noise: must be a number in \[0, 1\], got null/);
		expect(bad('arithmetic', { difficulty: 0 })).toThrow(/difficulty: must be an integer in \[1, 5\], got 0/);
		expect(bad('arithmetic', { difficulty: 2.5 })).toThrow(/difficulty: must be an integer in \[1, 5\], got 2.5/);
		expect(bad('arithmetic', { n: 0 })).toThrow(/n: must be an integer in \[1, 10000000\], got 0/);
		expect(bad('arithmetic', { seed: 0.5 })).toThrow(/seed: must be an integer/);
		expect(bad('parity', { candidates: 4 })).toThrow(/candidates \(parity\): must be an integer in \[2, 2\], got 4/);
		expect(bad('multiple-choice', { candidates: 9 })).toThrow(/candidates \(multiple-choice\): .*\[2, 8\], got 9/);
		expect(bad('copy', { system: -1 })).toThrow(DataError);
	});
});

describe('echo task', () => {
	it('asks to say a word back; the chosen answer is that word and every wrong candidate differs', () => {
		const t = makeTask('echo', { n: 50, seed: 3, difficulty: 3 });
		for (const item of t.items) {
			const word = item.messages[item.messages.length - 1].content.replace(/^Say /, '');
			expect(word).toMatch(/^[a-z]{2}$/);
			expect(item.candidates[item.label]).toBe(word);
			expect(new Set(item.candidates).size).toBe(item.candidates.length);
		}
		for (const p of t.pairs) expect(p.chosen).not.toBe(p.rejected);
	});

	it('difficulty 1 draws one letter from a–d (the first k letters when there are more candidates)', () => {
		const words = (k: number) =>
			makeTask('echo', { n: 200, seed: 4, difficulty: 1, candidates: k }).items.map((i) =>
				i.messages[i.messages.length - 1].content.replace(/^Say /, ''),
			);
		expect(new Set(words(4))).toEqual(new Set(['a', 'b', 'c', 'd']));
		expect(new Set(words(6))).toEqual(new Set(['a', 'b', 'c', 'd', 'e', 'f']));
		const two = makeTask('echo', { n: 50, seed: 4, difficulty: 2 }).items;
		expect(new Set(two.map((i) => i.candidates[i.label])).size).toBeGreaterThan(10);
	});
});

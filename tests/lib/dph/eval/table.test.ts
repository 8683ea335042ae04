import { csvParse } from 'd3';
import { describe, expect, it } from 'vitest';
import { agreement, agreementMatrix, evaluationCsv, evaluationTable, wilson } from '../../../../src/lib/dph/eval/table';

describe('evaluation tables', () => {
	it('Wilson intervals equal Newcombe (1998) Table I, method 3', () => {
		for (const [k, n, lo, hi] of [
			[81, 263, 0.2553, 0.3662],
			[15, 148, 0.0624, 0.1605],
			[0, 20, 0, 0.1611],
			[1, 29, 0.0061, 0.1718],
		]) {
			const ci = wilson(k, n);
			expect(ci.lo).toBeCloseTo(lo, 4);
			expect(ci.hi).toBeCloseTo(hi, 4);
		}
		expect(wilson(10, 10).hi).toBeCloseTo(1, 14);
		expect(() => wilson(3, 2)).toThrow(/0 ≤ k ≤ n/);
	});

	const items = [
		{ label: 0, category: 'math', picks: { dph: 0, logprob: 1 } },
		{ label: 1, category: 'math', picks: { dph: 1, logprob: 1 } },
		{ label: 2, category: 'chat', picks: { dph: 0, logprob: 2 } },
		{ label: 0, picks: { dph: 0, logprob: 0 } },
	];

	it('accuracy per predictor overall and per category, each with its interval', () => {
		const rows = evaluationTable(items, ['dph', 'logprob']);
		expect(rows.map((r) => [r.group, r.predictor, r.correct, r.n])).toEqual([
			['all', 'dph', 3, 4],
			['all', 'logprob', 3, 4],
			['math', 'dph', 2, 2],
			['math', 'logprob', 1, 2],
			['chat', 'dph', 0, 1],
			['chat', 'logprob', 1, 1],
		]);
		for (const r of rows) {
			expect(r.accuracy).toBe(r.correct / r.n);
			expect(r).toMatchObject(wilson(r.correct, r.n));
		}
		expect(() => evaluationTable([{ label: 0, picks: {} }], ['dph'])).toThrow(/no pick from predictor "dph"/);
	});

	it('agreement between predictors, and the CSV export parses back', () => {
		expect(agreement(items, 'dph', 'logprob')).toBe(0.5);
		expect(agreementMatrix(items, ['dph', 'logprob', 'dph'])).toEqual([
			['dph', 'logprob', 0.5],
			['dph', 'dph', 1],
			['logprob', 'dph', 0.5],
		]);
		const parsed = csvParse(evaluationCsv(evaluationTable(items, ['dph'])));
		expect(parsed.columns).toEqual(['group', 'predictor', 'correct', 'n', 'accuracy', 'ci95_lo', 'ci95_hi']);
		expect(parsed.map((r) => [r.group, Number(r.accuracy)])).toEqual([
			['all', 0.75],
			['math', 1],
			['chat', 0],
		]);
	});
});

import { describe, expect, it } from 'vitest';
import {
	CharTokenizer,
	encodeCandidate,
	evalTargets,
	makeChoiceBatch,
	makePairBatch,
	makeTask,
	type PackedRows,
	type PreferencePair,
	trainTargets,
} from '../../../../src/lib/dph/data/index';

const tok = new CharTokenizer();
const { pad, eos, imEnd } = tok.special;

const pairs: PreferencePair[] = [
	{ messages: [{ role: 'user', content: 'What is 1+1?' }], chosen: '2', rejected: '3' },
	{ messages: [{ role: 'user', content: 'Hi' }], chosen: 'Hello there', rejected: 'Bye', flipped: true },
	{
		messages: [
			{ role: 'system', content: 'S' },
			{ role: 'user', content: 'x' },
		],
		chosen: 'yes',
		rejected: 'no',
	},
];

function row(b: PackedRows, r: number, field: 'ids' | 'targets' | 'trainMask' | 'evalMask'): number[] {
	return Array.from(b[field].subarray(r * b.length, (r + 1) * b.length));
}

/** Every row's real tokens, targets and masks must equal the unpadded ChatML encoding. */
function expectRowMatches(b: PackedRows, r: number, messages: PreferencePair['messages'], answer: string) {
	const seq = encodeCandidate(tok, messages, answer);
	const n = seq.ids.length;
	const t = trainTargets(seq);
	const e = evalTargets(seq);
	expect(b.seqLength[r]).toBe(n);
	expect(row(b, r, 'ids')).toEqual([...seq.ids, ...new Array(b.length - n).fill(pad)]);
	expect(row(b, r, 'targets')).toEqual([...t.targets, ...new Array(b.length - n).fill(0)]);
	expect(row(b, r, 'trainMask')).toEqual([...t.mask, ...new Array(b.length - n).fill(0)]);
	expect(row(b, r, 'evalMask')).toEqual([...e.mask, ...new Array(b.length - n).fill(0)]);
	expect(b.rewardIndex[r]).toBe(seq.rewardIndex);
}

describe('makePairBatch', () => {
	const b = makePairBatch(tok, pairs);

	it('stacks B chosen rows then B rejected rows, right-padded to the longest', () => {
		expect(b.pairs).toBe(3);
		expect(b.rows).toBe(6);
		const longest = Math.max(
			...pairs.flatMap((p) => [p.chosen, p.rejected].map((a) => encodeCandidate(tok, p.messages, a).ids.length)),
		);
		expect(b.length).toBe(longest);
		expect(b.ids).toBeInstanceOf(Int32Array);
		expect(b.targets).toBeInstanceOf(Int32Array);
		expect(b.trainMask).toBeInstanceOf(Float32Array);
		expect(b.evalMask).toBeInstanceOf(Float32Array);
		expect(b.ids).toHaveLength(6 * b.length);
		expect(b.rewardIndex).toHaveLength(6);
		pairs.forEach((p, i) => {
			expectRowMatches(b, i, p.messages, p.chosen);
			expectRowMatches(b, 3 + i, p.messages, p.rejected);
		});
		expect(Array.from(b.flipped)).toEqual([0, 1, 0]);
		expect(b.kept).toEqual([0, 1, 2]);
	});

	it('points every reward index at the row’s last <|im_end|>, followed only by newline and padding', () => {
		for (let r = 0; r < b.rows; r++) {
			const ids = row(b, r, 'ids');
			const k = b.rewardIndex[r];
			expect(ids[k]).toBe(imEnd);
			expect(ids.slice(k + 1).filter((x) => x === imEnd)).toEqual([]);
			expect(k).toBe(b.seqLength[r] - 2);
		}
	});

	it('never uses -100 and keeps padding out of every mask', () => {
		expect(Math.min(...b.targets)).toBeGreaterThanOrEqual(0);
		for (let r = 0; r < b.rows; r++) {
			for (let i = b.seqLength[r]; i < b.length; i++) {
				expect(b.trainMask[r * b.length + i]).toBe(0);
				expect(b.evalMask[r * b.length + i]).toBe(0);
			}
			expect(b.targets[r * b.length + b.seqLength[r] - 1]).toBe(eos);
		}
	});

	it('counts tokens', () => {
		expect(b.tokens).toBe(b.seqLength.reduce((a, x) => a + x, 0));
		const answers = pairs.flatMap((p) => [p.chosen, p.rejected]);
		expect(b.evalTokens).toBe(answers.reduce((a, s) => a + s.length, 0));
		expect(b.trainTokens).toBe(b.evalTokens + 6);
	});

	it('rounds the length up to padMultiple, or pads to a fixed maxLen', () => {
		const r16 = makePairBatch(tok, pairs, { padMultiple: 16 });
		expect(r16.length % 16).toBe(0);
		expect(r16.length).toBeGreaterThanOrEqual(b.length);
		expectRowMatches(r16, 1, pairs[1].messages, pairs[1].chosen);
		const fixed = makePairBatch(tok, pairs.slice(0, 1), { maxLen: 128, fixedLength: true });
		expect(fixed.length).toBe(128);
		expect(() => makePairBatch(tok, pairs, { fixedLength: true })).toThrow(/fixedLength: needs maxLen/);
		expect(() => makePairBatch(tok, pairs, { maxLen: 1 })).toThrow(/maxLen: must be an integer ≥ 2, got 1/);
	});
});

describe('maxLen overflow policies', () => {
	const long: PreferencePair = {
		messages: [{ role: 'user', content: 'a long question that goes on and on' }],
		chosen: 'ok',
		rejected: 'a longer answer',
	};
	const full = encodeCandidate(tok, long.messages, long.rejected).ids.length;

	it("'error' names the pair and the lengths", () => {
		expect(() => makePairBatch(tok, [pairs[0], long], { maxLen: 40 })).toThrow(
			new RegExp(`pair 1: sequence of ${full} tokens is longer than maxLen 40`),
		);
	});

	it("'skip' leaves the pair out and reports it", () => {
		const s = makePairBatch(tok, [pairs[0], long, pairs[2]], { maxLen: 40, overflow: 'skip' });
		expect(s.kept).toEqual([0, 2]);
		expect(s.skipped).toEqual([1]);
		expect(s.pairs).toBe(2);
		expectRowMatches(s, 1, pairs[2].messages, pairs[2].chosen);
		expectRowMatches(s, 3, pairs[2].messages, pairs[2].rejected);
	});

	it("'truncate' drops the same context from both sides and keeps BOS, the answer and the reward index", () => {
		const maxLen = 48;
		const t = makePairBatch(tok, [long], { maxLen, overflow: 'truncate' });
		expect(t.length).toBe(maxLen);
		const dropped = full - maxLen;
		for (const [r, answer] of [
			[0, long.chosen],
			[1, long.rejected],
		] as const) {
			const seq = encodeCandidate(tok, long.messages, answer);
			const ids = row(t, r, 'ids').slice(0, t.seqLength[r]);
			expect(t.seqLength[r]).toBe(seq.ids.length - dropped);
			expect(ids[0]).toBe(tok.special.bos);
			expect(ids.slice(1)).toEqual(seq.ids.slice(1 + dropped));
			expect(ids[t.rewardIndex[r]]).toBe(imEnd);
			expect(t.rewardIndex[r]).toBe(seq.rewardIndex - dropped);
			// The scored answer is intact and the masks still select exactly it.
			const targets = row(t, r, 'targets');
			const evalMask = row(t, r, 'evalMask');
			expect(tok.decode(targets.filter((_, i) => evalMask[i]))).toBe(answer);
			const trainMask = row(t, r, 'trainMask');
			expect(tok.decode(targets.filter((_, i) => trainMask[i]))).toBe(`${answer}<|im_end|>`);
			expect(targets[0]).toBe(ids[1]);
		}
	});

	it("'truncate' refuses when the answer itself cannot fit", () => {
		expect(() => makePairBatch(tok, [long], { maxLen: 20, overflow: 'truncate' })).toThrow(
			/pair 0: the final assistant message alone is \d+ tokens; with BOS it cannot fit in maxLen 20/,
		);
	});
});

describe('makeChoiceBatch', () => {
	it('has one row per candidate, grouped by item, with labels and offsets', () => {
		const task = makeTask('multiple-choice', { n: 5, seed: 3, candidates: 3 });
		const items = [...task.items, { messages: [{ role: 'user' as const, content: 'q' }], candidates: ['a', 'bb'] }];
		const b = makeChoiceBatch(tok, items, { padMultiple: 8 });
		expect(b.items).toBe(6);
		expect(b.rows).toBe(17);
		expect(b.length % 8).toBe(0);
		expect(Array.from(b.offsets)).toEqual([0, 3, 6, 9, 12, 15, 17]);
		expect(Array.from(b.labels)).toEqual([...task.items.map((it) => it.label), -1]);
		items.forEach((item, j) => {
			item.candidates.forEach((cand, c) => {
				const r = b.offsets[j] + c;
				expect(b.itemIndex[r]).toBe(j);
				expect(b.candidateIndex[r]).toBe(c);
				expectRowMatches(b, r, item.messages, cand);
			});
		});
	});

	it('skips items that do not fit and keeps the rest aligned', () => {
		const items = [
			{ messages: [{ role: 'user' as const, content: 'x'.repeat(100) }], candidates: ['a', 'b'], label: 1 },
			{ messages: [{ role: 'user' as const, content: 'q' }], candidates: ['a', 'b'], label: 0 },
		];
		const b = makeChoiceBatch(tok, items, { maxLen: 64, overflow: 'skip' });
		expect(b.kept).toEqual([1]);
		expect(b.skipped).toEqual([0]);
		expect(Array.from(b.labels)).toEqual([0]);
		expect(Array.from(b.itemIndex)).toEqual([0, 0]);
	});
});

describe('synthetic data end to end', () => {
	it('batches every task without errors and with valid reward indices', () => {
		for (const name of ['arithmetic', 'multiple-choice', 'copy', 'parity']) {
			const task = makeTask(name, { n: 16, seed: 1, difficulty: 5, noise: 0.25, system: 0.5 });
			const b = makePairBatch(tok, task.pairs, { padMultiple: 8 });
			expect(b.pairs).toBe(16);
			for (let r = 0; r < b.rows; r++) expect(b.ids[r * b.length + b.rewardIndex[r]]).toBe(imEnd);
			expect(b.ids.every((id) => id !== tok.special.unk)).toBe(true);
		}
	});
});

import { describe, expect, it } from 'vitest';
import {
	CharTokenizer,
	encodeCandidate,
	encodeChat,
	encodePair,
	evalTargets,
	trainTargets,
} from '../../../../src/lib/dph/data/index';

const tok = new CharTokenizer();
const BOS = 2;
const IM_START = 4;
const IM_END = 5;
const NL = 7;
const c = (s: string) => [...s].map((ch) => tok.encode(ch)[0]);

describe('encodeChat', () => {
	const seq = encodeChat(tok, [
		{ role: 'user', content: '1+1?' },
		{ role: 'assistant', content: '2' },
	]);

	it('builds [BOS] + <|im_start|>role\\n content <|im_end|>\\n per message', () => {
		const expected = [
			BOS,
			IM_START,
			...c('user'),
			NL,
			...c('1+1?'),
			IM_END,
			NL,
			IM_START,
			...c('assistant'),
			NL,
			...c('2'),
			IM_END,
			NL,
		];
		expect(seq.ids).toEqual(expected);
		expect(tok.decode(seq.ids)).toBe('</s><|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n');
	});

	it('marks the answer span and the reward index (the last <|im_end|>)', () => {
		// 1 BOS + (1+4+1 header, 4 content, 2 suffix) = 13 for the user turn; the assistant header is 11 tokens.
		expect(seq.answerStart).toBe(24);
		expect(seq.answerEnd).toBe(25);
		expect(tok.decode(seq.ids.slice(seq.answerStart, seq.answerEnd))).toBe('2');
		expect(seq.rewardIndex).toBe(25);
		expect(seq.ids[seq.rewardIndex]).toBe(IM_END);
		expect(seq.ids.lastIndexOf(IM_END)).toBe(seq.rewardIndex);
		expect(seq.rewardIndex).toBe(seq.ids.length - 2);
		expect(seq.spans.map((s) => [s.role, s.start, s.contentStart, s.contentEnd, s.end])).toEqual([
			['user', 1, 7, 11, 13],
			['assistant', 13, 24, 25, 27],
		]);
	});

	it('handles long documents (no argument-spread limits)', () => {
		const long = encodeCandidate(tok, [{ role: 'user', content: 'x'.repeat(300_000) }], 'y');
		expect(long.ids).toHaveLength(1 + 6 + 300_000 + 2 + 11 + 1 + 2);
		expect(long.rewardIndex).toBe(long.ids.length - 2);
	});

	it('requires the final message to be the assistant answer', () => {
		expect(() => encodeChat(tok, [{ role: 'user', content: 'hi' }])).toThrow(
			/final message must have role "assistant"/,
		);
		expect(() => encodeChat(tok, [])).toThrow(/at least one message/);
	});

	it('encodes a candidate after the context and both sides of a pair', () => {
		const ctx = [
			{ role: 'system' as const, content: 'Be brief.' },
			{ role: 'user' as const, content: 'Hi' },
		];
		const a = encodeCandidate(tok, ctx, 'Hello');
		expect(tok.decode(a.ids)).toBe(
			'</s><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n',
		);
		const { chosen, rejected } = encodePair(tok, { messages: ctx, chosen: 'Yes', rejected: 'No' });
		expect(tok.decode(chosen.ids.slice(chosen.answerStart, chosen.answerEnd))).toBe('Yes');
		expect(tok.decode(rejected.ids.slice(rejected.answerStart, rejected.answerEnd))).toBe('No');
		expect(chosen.ids.slice(0, chosen.answerStart)).toEqual(rejected.ids.slice(0, rejected.answerStart));
	});
});

describe('targets and masks', () => {
	const seq = encodeChat(tok, [
		{ role: 'user', content: 'q' },
		{ role: 'assistant', content: 'ab' },
	]);

	it('shifts targets by one and ends with EOS', () => {
		const { targets, mask } = trainTargets(seq);
		expect(targets).toHaveLength(seq.ids.length);
		expect(mask).toHaveLength(seq.ids.length);
		expect(targets.slice(0, -1)).toEqual(seq.ids.slice(1));
		expect(targets[targets.length - 1]).toBe(tok.special.eos);
	});

	it('trains on assistant content and its <|im_end|>, not the header or the trailing newline', () => {
		const { targets, mask } = trainTargets(seq);
		const trained = targets.filter((_, i) => mask[i] === 1);
		expect(trained).toEqual([...c('ab'), IM_END]);
		// Mask position i predicts token i+1: the first trained position is the last header token (the newline).
		expect(mask.indexOf(1)).toBe(seq.answerStart - 1);
		expect(seq.ids[seq.answerStart - 1]).toBe(NL);
	});

	it('evaluates on the final answer content only', () => {
		const { targets, mask } = evalTargets(seq);
		expect(targets.filter((_, i) => mask[i] === 1)).toEqual(c('ab'));
		expect(mask.reduce((a, b) => a + b, 0)).toBe(seq.answerEnd - seq.answerStart);
	});

	it('trains every assistant turn like the reference, or only the final one on request', () => {
		const multi = encodeChat(tok, [
			{ role: 'user', content: 'x' },
			{ role: 'assistant', content: 'yy' },
			{ role: 'user', content: 'z' },
			{ role: 'assistant', content: 'w' },
		]);
		const all = trainTargets(multi);
		expect(all.targets.filter((_, i) => all.mask[i])).toEqual([...c('yy'), IM_END, ...c('w'), IM_END]);
		const fin = trainTargets(multi, { assistant: 'final' });
		expect(fin.targets.filter((_, i) => fin.mask[i])).toEqual([...c('w'), IM_END]);
		const ev = evalTargets(multi);
		expect(ev.targets.filter((_, i) => ev.mask[i])).toEqual(c('w'));
	});

	it('handles an empty answer: nothing to evaluate, only <|im_end|> to train', () => {
		const empty = encodeCandidate(tok, [{ role: 'user', content: 'q' }], '');
		expect(empty.answerStart).toBe(empty.answerEnd);
		expect(evalTargets(empty).mask.every((m) => m === 0)).toBe(true);
		const t = trainTargets(empty);
		expect(t.targets.filter((_, i) => t.mask[i])).toEqual([IM_END]);
	});
});

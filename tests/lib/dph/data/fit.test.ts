/**
 * Issue 15.6 / 15.12, data side: overlong examples dropped or kept for truncation (counted), messages-only SFT
 * lines, and the characters a tokenizer cannot encode.
 */
import { describe, expect, it } from 'vitest';
import {
	CharTokenizer,
	encodeCandidate,
	fitExamples,
	makePairBatch,
	type PreferencePair,
	parseJsonl,
	unencodable,
	unencodableMessage,
} from '../../../../src/lib/dph/data';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { loadRunData } from '../../../../src/lib/dph/train/dataset';

const tok = new CharTokenizer();
const pair = (context: string, chosen: string, rejected = 'x'): PreferencePair => ({
	messages: [{ role: 'user', content: context }],
	chosen,
	rejected,
});

describe('overlong examples', () => {
	// Lengths from the ChatML layout itself, not from fit.ts: BOS + header + content + suffix per message.
	const len = (p: PreferencePair) =>
		Math.max(
			encodeCandidate(tok, p.messages, p.chosen).ids.length,
			encodeCandidate(tok, p.messages, p.rejected).ids.length,
		);
	const short = pair('hi', 'a');
	const longContext = pair('z'.repeat(40), 'a');
	const longAnswer = pair('hi', 'y'.repeat(40));
	const maxLen = len(short) + 4;

	it('drop leaves out exactly the examples over maxLen; truncate keeps those whose final answer fits', () => {
		expect(len(longContext)).toBeGreaterThan(maxLen);
		expect(len(longAnswer)).toBeGreaterThan(maxLen);
		const all = [short, longContext, longAnswer, short];
		const d = fitExamples(tok, all, maxLen, 'drop');
		expect(d).toEqual({ kept: [short, short], dropped: 2, truncated: 0 });
		const t = fitExamples(tok, all, maxLen, 'truncate');
		expect(t).toEqual({ kept: [short, longContext, short], dropped: 1, truncated: 1 });
		// What truncate keeps, the batcher really can truncate; what it dropped, the batcher refuses.
		expect(makePairBatch(tok, t.kept, { maxLen, overflow: 'truncate' }).length).toBeLessThanOrEqual(maxLen);
		expect(() => makePairBatch(tok, [longAnswer], { maxLen, overflow: 'truncate' })).toThrow(/cannot fit/);
	});

	it('the run counts what it dropped (data.overlong), train and validation together', () => {
		const lines = [...Array(18).fill(short), longContext, longAnswer].map((p) =>
			JSON.stringify({ prompt: p.messages[0].content, chosen: p.chosen, rejected: p.rejected }),
		);
		const base = { data: { task: 'jsonl', jsonl: lines.join('\n'), maxLen } };
		const drop = loadRunData(resolveTrainConfig({ ...base, data: { ...base.data, overlong: 'drop' } }), tok);
		expect(drop.report.droppedOverlong).toBe(2);
		expect(drop.train.length + drop.validation.length).toBe(18);
		const trunc = loadRunData(resolveTrainConfig(base), tok);
		expect(DEFAULT_TRAIN_CONFIG.data.overlong).toBe('truncate');
		expect(trunc.report).toMatchObject({ droppedOverlong: 1, truncated: expect.any(Number) });
		expect(trunc.train.length + trunc.validation.length).toBe(19);
	});

	it('a training set that is all too long is an error naming data.maxLen', () => {
		const jsonl = JSON.stringify({ prompt: 'hi', chosen: 'y'.repeat(40), rejected: 'x' });
		expect(() => loadRunData(resolveTrainConfig({ data: { task: 'jsonl', jsonl, maxLen } }), tok)).toThrow(
			/All 1 training examples are longer than data\.maxLen/,
		);
	});
});

describe('messages-only (SFT) lines', () => {
	const chat = JSON.stringify({
		messages: [
			{ role: 'user', content: 'q' },
			{ role: 'assistant', content: 'a' },
		],
	});
	it('are conversations with the chat option, and an error without it (scoring)', () => {
		const text = `${chat}\n${JSON.stringify({ messages: [{ role: 'user', content: 'q' }] })}\n`;
		const r = parseJsonl(text, { chat: true });
		expect(r.chats).toEqual([{ line: 1, messages: JSON.parse(chat).messages }]);
		expect(r.errors.map((e) => e.message)).toEqual([
			'line 2: a messages-only (SFT) line must end with an assistant message, got a "user" message',
		]);
		expect(parseJsonl(chat).errors[0].message).toMatch(/^line 1: "candidates" must be an array/);
		expect(parseJsonl(chat).chats).toEqual([]);
	});

	it('train only the SFT term: with a DPH or cDPO weight they are an error naming data.jsonl', () => {
		expect(() => loadRunData(resolveTrainConfig({ data: { task: 'jsonl', jsonl: chat } }), tok)).toThrow(
			/1 messages-only line \(line 1\).*dpoWeight and objective\.dphWeight to 0/,
		);
		const sft = resolveTrainConfig({
			data: { task: 'jsonl', jsonl: chat },
			objective: { dpoWeight: 0, dphWeight: 0, sftWeight: 1 },
		});
		expect(loadRunData(sft, tok).train).toEqual([{ messages: JSON.parse(chat).messages }]);
	});
});

describe('characters the tokenizer cannot encode', () => {
	it('counts examples, occurrences and distinct characters, and shows the first few', () => {
		const data = [pair('héllo', 'a'), pair('plain', 'b'), pair('€€', 'é', 'ü'), pair('ok', 'fine')];
		const u = unencodable(tok, data, 2);
		// By hand: é (2), € (2), ü (1) are not in the character alphabet; three distinct, in 2 examples.
		expect(u).toEqual({ examples: 2, characters: 5, distinct: 3, chars: ['é', '€'] });
		if (!u) return;
		expect(unencodableMessage(u, data.length, 'the tokenizer of ckpt')).toBe(
			"2 of 4 examples hold 5 characters the tokenizer of ckpt cannot encode (they become <unk> or are dropped, so the model never sees them): 'é', '€', … (3 distinct)",
		);
		expect(unencodable(tok, [pair('all ascii', 'fine')])).toBeNull();
	});

	it('a tokenizer that drops characters (no unk token) is caught too', () => {
		const dropping = { ...tok, unkId: null, encode: (s: string) => tok.encode(s.replace(/é/g, '')) };
		expect(unencodable(dropping as unknown as CharTokenizer, [pair('é', 'a')])).toMatchObject({ characters: 1 });
	});

	it('the run reports them as a warning', () => {
		const jsonl = JSON.stringify({ prompt: 'café', chosen: 'a', rejected: 'b' });
		const r = loadRunData(resolveTrainConfig({ data: { task: 'jsonl', jsonl } }), tok);
		expect(r.report.warnings).toEqual([expect.stringMatching(/^1 of 1 example holds 1 character the tokenizer/)]);
	});
});

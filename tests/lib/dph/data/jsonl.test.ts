import { describe, expect, it } from 'vitest';
import { makeTask, pairsToJsonl, parseJsonl, toJsonl } from '../../../../src/lib/dph/data/index';

const lines = (...xs: unknown[]) => xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');

describe('parseJsonl: formats', () => {
	it('reads our {messages, candidates, label?} lines', () => {
		const text = lines(
			{ messages: [{ role: 'user', content: 'Pick one' }], candidates: ['a', 'b', 'c'], label: 2 },
			{
				messages: [
					{ role: 'system', content: 'S' },
					{ role: 'user', content: 'Q' },
				],
				candidates: ['x', 'y'],
			},
		);
		const r = parseJsonl(text);
		expect(r.errors).toEqual([]);
		expect(r.records.map((x) => [x.line, x.format])).toEqual([
			[1, 'choices'],
			[2, 'choices'],
		]);
		expect(r.items[0]).toEqual({
			messages: [{ role: 'user', content: 'Pick one' }],
			candidates: ['a', 'b', 'c'],
			label: 2,
		});
		expect(r.items[1].label).toBeUndefined();
		// Only the labelled line becomes a pair.
		expect(r.pairs).toHaveLength(1);
		expect(r.pairs[0].chosen).toBe('c');
		expect(['a', 'b']).toContain(r.pairs[0].rejected);
		expect(r.pairs[0].messages).toEqual([{ role: 'user', content: 'Pick one' }]);
	});

	it('reads TRL standard lines as a user prompt with two answers', () => {
		const r = parseJsonl(lines({ prompt: 'What is 2+2?', chosen: '4', rejected: '5' }));
		expect(r.errors).toEqual([]);
		expect(r.records[0].format).toBe('trl');
		expect(r.pairs[0]).toEqual({ messages: [{ role: 'user', content: 'What is 2+2?' }], chosen: '4', rejected: '5' });
		expect(r.items[0]).toEqual({
			messages: [{ role: 'user', content: 'What is 2+2?' }],
			candidates: ['4', '5'],
			label: 0,
		});
	});

	it('reads TRL conversational lines, with an explicit or implicit prompt', () => {
		const explicit = {
			prompt: [
				{ role: 'system', content: 'Be kind.' },
				{ role: 'user', content: 'Hi' },
			],
			chosen: [{ role: 'assistant', content: 'Hello!' }],
			rejected: [{ role: 'assistant', content: 'Go away.' }],
		};
		const implicit = {
			chosen: [
				{ role: 'user', content: 'Sky?' },
				{ role: 'assistant', content: 'Blue' },
			],
			rejected: [
				{ role: 'user', content: 'Sky?' },
				{ role: 'assistant', content: 'Green' },
			],
		};
		const r = parseJsonl(lines(explicit, implicit));
		expect(r.errors).toEqual([]);
		expect(r.records.map((x) => x.format)).toEqual(['trl-conversational', 'trl-conversational']);
		expect(r.pairs[0]).toEqual({ messages: explicit.prompt, chosen: 'Hello!', rejected: 'Go away.' });
		expect(r.pairs[1]).toEqual({ messages: [{ role: 'user', content: 'Sky?' }], chosen: 'Blue', rejected: 'Green' });
	});

	it('skips blank lines, accepts CRLF and a BOM, and keeps true line numbers', () => {
		const text = `\uFEFF${JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' })}\r\n\r\n   \n${JSON.stringify({ prompt: 'q', chosen: 'c', rejected: 'd' })}\n`;
		const r = parseJsonl(text);
		expect(r.errors).toEqual([]);
		expect(r.records.map((x) => x.line)).toEqual([1, 4]);
	});

	it('draws the rejected candidate uniformly and reproducibly by seed', () => {
		const item = { messages: [{ role: 'user', content: 'q' }], candidates: ['r', 'w1', 'w2', 'w3'], label: 0 };
		const text = lines(...Array.from({ length: 3000 }, () => item));
		const a = parseJsonl(text, { seed: 5 });
		expect(parseJsonl(text, { seed: 5 }).pairs).toEqual(a.pairs);
		const counts: Record<string, number> = { w1: 0, w2: 0, w3: 0 };
		for (const p of a.pairs) counts[p.rejected]++;
		const e = 1000;
		const chi2 = Object.values(counts).reduce((s, o) => s + (o - e) ** 2 / e, 0);
		expect(chi2).toBeLessThan(13.8);
		expect(parseJsonl(text, { seed: 6 }).pairs.map((p) => p.rejected)).not.toEqual(a.pairs.map((p) => p.rejected));
	});
});

describe('parseJsonl: errors', () => {
	it('reports each bad line by number and keeps the good ones', () => {
		const text = lines(
			{ prompt: 'ok', chosen: 'a', rejected: 'b' },
			'',
			{ messages: [{ role: 'user', content: 'q' }], candidates: ['only one'] },
			{ messages: [{ role: 'user', content: 'q' }], candidates: ['a', 'b'], label: 2 },
			{ messages: [{ role: 'robot', content: 'q' }], candidates: ['a', 'b'] },
			{ messages: [{ role: 'user', content: 5 }], candidates: ['a', 'b'] },
			'{"prompt": "x", "chosen": ',
			{ prompt: 'x', chosen: 'a' },
			{ chosen: 'a', rejected: 'b' },
			{ foo: 1 },
			[1, 2],
			{
				prompt: [{ role: 'user', content: 'x' }],
				chosen: [{ role: 'user', content: 'a' }],
				rejected: [{ role: 'assistant', content: 'b' }],
			},
			{
				chosen: [
					{ role: 'user', content: 'A' },
					{ role: 'assistant', content: 'a' },
				],
				rejected: [
					{ role: 'user', content: 'B' },
					{ role: 'assistant', content: 'b' },
				],
			},
			{ messages: [{ role: 'user', content: 'q' }], candidates: ['a', ''] },
			{ messages: [], candidates: ['fine', 'too'], label: 1 },
		);
		const r = parseJsonl(text);
		expect(r.records.map((x) => x.line)).toEqual([1, 15]);
		const byLine = Object.fromEntries(r.errors.map((e) => [e.line, e.message]));
		expect(Object.keys(byLine).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
		expect(byLine[3]).toBe('line 3: "candidates" must be an array of at least 2 strings, got 1 entries');
		expect(byLine[4]).toBe('line 4: "label" must be an integer index in [0, 1], got 2');
		expect(byLine[5]).toMatch(
			/^line 5: "messages"\[0\]\.role must be one of "system", "user", "assistant", got "robot"$/,
		);
		expect(byLine[6]).toBe('line 6: "messages"[0].content must be a string, got 5');
		expect(byLine[7]).toMatch(/^line 7: not valid JSON \(.+\)$/);
		expect(byLine[8]).toBe('line 8: a TRL line needs both "chosen" and "rejected"');
		expect(byLine[9]).toMatch(/^line 9: "prompt" is missing/);
		expect(byLine[10]).toMatch(/^line 10: unrecognized line: .* got keys "foo"$/);
		expect(byLine[11]).toBe('line 11: expected a JSON object, got an array');
		expect(byLine[12]).toBe('line 12: "chosen" must end with an assistant message, got a "user" message');
		expect(byLine[13]).toBe('line 13: "chosen" and "rejected" must differ only in their final assistant message');
		expect(byLine[14]).toBe('line 14: "candidates[1]" must be a non-empty string');
	});
});

describe('writing JSONL', () => {
	it('round-trips items and pairs', () => {
		const task = makeTask('multiple-choice', { n: 20, seed: 4, system: 0.5 });
		const items = parseJsonl(toJsonl(task.items));
		expect(items.errors).toEqual([]);
		expect(items.items).toEqual(task.items);
		const pairs = parseJsonl(pairsToJsonl(task.pairs));
		expect(pairs.errors).toEqual([]);
		expect(pairs.pairs).toEqual(task.pairs.map(({ flipped: _, ...p }) => p));
		expect(toJsonl([])).toBe('');
	});
});

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { CharTokenizer, DEFAULT_ALPHABET } from '../../src/lib/dph/data';
import { bestOfNCurves } from '../../src/lib/dph/eval/best-of-n';
import { type Fixture, writeFixture } from '../lib/dph/checkpoint/fixtures';
import { capture } from './capture';

let f: Fixture;
let ref: Fixture;
let otherTok: Fixture;
beforeAll(async () => {
	f = await writeFixture({ seed: 5 });
	ref = await writeFixture({ seed: 6 });
	otherTok = await writeFixture({ seed: 6 });
	// Same size, other order: every id means another character.
	const shuffled = new CharTokenizer({ alphabet: [...DEFAULT_ALPHABET].reverse() });
	writeFileSync(join(otherTok.dir, 'tokenizer.json'), JSON.stringify(shuffled.toJSON()));
});
afterAll(() => {
	for (const x of [f, ref, otherTok]) rmSync(x.dir, { recursive: true, force: true });
});

const tok = new CharTokenizer();
const say = (s: string) => JSON.stringify({ messages: [{ role: 'user', content: s }], reference: 'a' });
const run = async (args: string[], json = true) => {
	const io = capture();
	const code = await main([...args, '--backend', 'cpu'], io);
	return {
		code,
		io,
		out: json
			? io.out
					.trim()
					.split('\n')
					.filter(Boolean)
					.map((l) => JSON.parse(l))
			: [],
	};
};
const write = (name: string, lines: string[]) => {
	const p = join(f.dir, name);
	writeFileSync(p, lines.join('\n'));
	return p;
};

describe('dph generate', () => {
	it('prints one object per input line in order (bad lines in place) with the contract’s fields', async () => {
		const input = write('prompts.jsonl', [
			say('Say a'),
			'',
			'{"messages": [oops',
			JSON.stringify({ messages: [] }),
			JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1100) }] }),
			say('Say b'),
		]);
		const { code, io, out } = await run([
			'generate',
			f.dir,
			'--input',
			input,
			'--n',
			'3',
			'--max-new-tokens',
			'4',
			'--seed',
			'2',
		]);
		expect(code).toBe(1);
		expect(out).toHaveLength(5);
		expect(out[1]).toEqual({ line: 3, error: expect.stringMatching(/^line 3: not valid JSON/) });
		expect(out[2]).toEqual({ line: 4, error: 'line 4: the prompt is empty: "messages" has no messages' });
		expect(out[3].error).toMatch(/^line 5: the prompt is 11\d\d tokens with its ChatML markup; the context is 1024/);
		for (const o of [out[0], out[4]]) {
			expect(Object.keys(o)).toEqual(['samples', 'best']);
			expect(Object.keys(o.best)).toEqual(['reward', 'logprob', 'implicit_reward']);
			expect(o.best.implicit_reward).toBeNull();
			expect(o.samples).toHaveLength(3);
			for (const s of o.samples) {
				expect(Object.keys(s)).toEqual([
					'text',
					'ids',
					'finish',
					'reward',
					'logprob',
					'logprob_sum',
					'implicit_reward',
				]);
				const ended = s.ids.at(-1) === tok.special.imEnd;
				expect(s.finish).toBe(ended ? 'im_end' : 'length');
				if (!ended) expect(s.ids).toHaveLength(4);
				expect(s.text).toBe(tok.decode(ended ? s.ids.slice(0, -1) : s.ids));
				expect(typeof s.reward).toBe('number');
				expect(s.implicit_reward).toBeNull();
			}
			const rewards = o.samples.map((s: { reward: number }) => s.reward);
			expect(o.best.reward).toBe(rewards.indexOf(Math.max(...rewards)));
		}
		expect(io.err).toMatch(/line 1: 3 samples, \d+ tokens in/);
		expect(io.err).toMatch(/3 line\(s\) could not be generated for/);
		// The same seed gives the same samples; --temperature 0 is greedy: every sample the same.
		const again = await run(['generate', f.dir, '--input', input, '--n', '3', '--max-new-tokens', '4', '--seed', '2']);
		expect(again.out).toEqual(out);
		const greedy = await run([
			'generate',
			f.dir,
			'--input',
			input,
			'--n',
			'2',
			'--max-new-tokens',
			'4',
			'--temperature',
			'0',
		]);
		expect(greedy.out[0].samples[1]).toEqual(greedy.out[0].samples[0]);
	});

	it('with --ref, every sample has an implicit reward and best names its pick', async () => {
		const input = write('one.jsonl', [say('Say a')]);
		const { code, out } = await run([
			'generate',
			f.dir,
			'--input',
			input,
			'--n',
			'4',
			'--max-new-tokens',
			'3',
			'--ref',
			ref.dir,
			'--json',
		]);
		expect(code).toBe(0);
		const ir = out[0].samples.map((s: { implicit_reward: number }) => s.implicit_reward);
		for (const x of ir) expect(typeof x).toBe('number');
		expect(out[0].best.implicit_reward).toBe(ir.indexOf(Math.max(...ir)));
		// β scales it.
		const b = await run([
			'generate',
			f.dir,
			'--input',
			input,
			'--n',
			'4',
			'--max-new-tokens',
			'3',
			'--ref',
			ref.dir,
			'--beta',
			'0.2',
		]);
		b.out[0].samples.forEach((s: { implicit_reward: number }, k: number) => {
			expect(s.implicit_reward).toBeCloseTo(2 * ir[k], 5);
		});
	});

	it('refuses N over the maximum, an unknown head and a reference with another tokenizer, naming each', async () => {
		const input = write('one.jsonl', [say('Say a')]);
		const n = await run(['generate', f.dir, '--input', input, '--n', '65']);
		expect(n.code).toBe(2);
		expect(n.io.err).toMatch(/--n must be a whole number in 1\.\.64, got "65"/);
		const h = await run(['generate', f.dir, '--input', input, '--head', 'nope']);
		expect(h.code).toBe(2);
		expect(h.io.err).toMatch(/--head: reward head "nope" does not exist; the checkpoint has one head: "reward"/);
		const r = await run(['generate', f.dir, '--input', input, '--ref', otherTok.dir]);
		expect(r.code).toBe(2);
		expect(r.io.err).toMatch(/--ref: the reference tokenizer splits .* differently from the model's/);
		expect(r.io.out).toBe('');
	});
});

describe('dph bestofn', () => {
	it('prints the exact best-of-N curves of the pools generate samples, quality = exact match of the reference', async () => {
		const opts = ['--n', '6', '--max-new-tokens', '1', '--temperature', '3', '--top-k', '3', '--seed', '4'];
		const prompts = ['Say a', 'Say b', 'Say c'];
		const gen = await run(['generate', f.dir, '--input', write('p.jsonl', prompts.map(say)), ...opts]);
		// References chosen so that each pool holds right and wrong answers: the first sample's text.
		const lines = prompts.map((p, i) =>
			JSON.stringify({ messages: [{ role: 'user', content: p }], reference: gen.out[i].samples[0].text }),
		);
		const input = write('ref.jsonl', [...lines, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] })]);
		const { code, io, out } = await run(['bestofn', f.dir, '--input', input, ...opts, '--json']);
		expect(code).toBe(1);
		expect(io.err).toMatch(/line 4: no string "reference" answer/);
		const pools = gen.out.map(
			(o: { samples: { text: string; reward: number; logprob: number | null; logprob_sum: number }[] }, i: number) => ({
				quality: o.samples.map((s) => (s.text.trim() === gen.out[i].samples[0].text.trim() ? 1 : 0)),
				scores: {
					reward: o.samples.map((s) => s.reward),
					logprob: o.samples.map((s) => s.logprob ?? Number.NEGATIVE_INFINITY),
					logprob_sum: o.samples.map((s) => s.logprob_sum),
				},
			}),
		);
		const expected = bestOfNCurves(pools);
		expect(out[0].N).toEqual([1, 2, 3, 4, 5, 6]);
		expect(out[0].pools).toBe(3);
		for (const k of ['random', 'reward', 'logprob', 'logprob_sum']) {
			out[0].curves[k].forEach((v: number, i: number) => {
				expect(v).toBeCloseTo(expected.curves[k][i], 9);
			});
		}
		const q = pools.flatMap((p: { quality: number[] }) => p.quality);
		expect(out[0].curves.random[0]).toBeCloseTo(q.reduce((a: number, b: number) => a + b, 0) / q.length, 9);
		expect(q.some((x: number) => x === 0)).toBe(true);
		const text = await run(['bestofn', f.dir, '--input', write('ok.jsonl', lines), ...opts], false);
		expect(text.code).toBe(0);
		expect(text.io.out).toMatch(
			/Best-of-N, expected exact-match accuracy over 3 prompt\(s\):\n\s+N\s+random\s+reward\s+logprob\s+logprob_sum\n\s+1 /,
		);
	});

	it('--judge: quality is the judge’s reward; judged by itself, the reward predictor is the best possible pick', async () => {
		const opts = ['--n', '5', '--max-new-tokens', '2', '--temperature', '3', '--seed', '9'];
		const lines = ['Say a', 'Say b'].map((p) => JSON.stringify({ messages: [{ role: 'user', content: p }] }));
		const input = write('judge.jsonl', lines);
		const gen = await run(['generate', f.dir, '--input', input, ...opts]);
		const { code, out } = await run(['bestofn', f.dir, '--input', input, ...opts, '--judge', f.dir, '--json']);
		expect(code).toBe(0);
		// The judge is the policy itself: each sample's quality is its own reward (re-encoded from its text).
		const rewards = gen.out.map((o: { samples: { reward: number }[] }) => o.samples.map((s) => s.reward));
		const mean = rewards.flat().reduce((a: number, b: number) => a + b, 0) / rewards.flat().length;
		expect(out[0].curves.random[0]).toBeCloseTo(mean, 5);
		// E[max quality among N] is what a perfect predictor gets, and ranking by the quality itself is perfect.
		for (let i = 0; i < out[0].N.length; i++) {
			for (const k of ['logprob', 'logprob_sum', 'random']) {
				expect(out[0].curves.reward[i]).toBeGreaterThanOrEqual(out[0].curves[k][i] - 1e-6);
			}
		}
		expect(out[0].curves.reward.at(-1)).toBeCloseTo(
			rewards.map((r: number[]) => Math.max(...r)).reduce((a: number, b: number) => a + b, 0) / rewards.length,
			5,
		);
		const bad = await run(
			['bestofn', f.dir, '--input', input, ...opts, '--judge', f.dir, '--judge-head', 'nope'],
			false,
		);
		expect(bad.code).toBe(2);
		expect(bad.io.err).toMatch(/--judge .*reward head "nope" does not exist/);
	});
});

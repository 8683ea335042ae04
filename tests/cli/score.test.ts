import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { loadCheckpointTensors } from '../../src/lib/dph/checkpoint/load';
import { scoreItems } from '../../src/lib/dph/score';
import { dirFolder } from '../../src/node/checkpoint-folder';
import { type Fixture, writeFixture } from '../lib/dph/checkpoint/fixtures';
import { capture } from './capture';

let f: Fixture;
beforeAll(async () => {
	f = await writeFixture({ seed: 5 });
});
afterAll(() => rmSync(f.dir, { recursive: true, force: true }));

const lines = [
	JSON.stringify({ messages: [{ role: 'user', content: 'Say a' }], candidates: ['a', 'b', 'c'], label: 0 }),
	'',
	'{"messages": [oops',
	JSON.stringify({ prompt: 'Say b', chosen: 'b', rejected: 'd' }),
	JSON.stringify({ messages: [{ role: 'user', content: 'Say c' }], candidates: ['d', 'c'] }),
];

describe('dph score', () => {
	it('prints one JSON object per input line in order, a bad line in place, and both accuracies', async () => {
		const input = join(f.dir, 'items.jsonl');
		writeFileSync(input, lines.join('\n'));
		const io = capture();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu'], io)).toBe(1);
		const out = io.out
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(out).toHaveLength(4);
		expect(out[0].rewards).toHaveLength(3);
		expect(out[0].logprobs).toHaveLength(3);
		expect(out[1]).toEqual({ line: 3, error: expect.stringMatching(/^line 3: /) });
		expect(out[2].rewards).toHaveLength(2);
		expect(out[3].logprobs).toHaveLength(2);
		expect(io.err).toMatch(/items\.jsonl: line 3: /);
		expect(io.err).toMatch(/accuracy on 2 labelled item\(s\): DPH \(highest reward\) (0|0\.5|1)\.?\d* · log-prob/);
		expect(io.err).toMatch(/1 line\(s\) could not be scored/);
		// The same numbers as the library, scored independently here.
		await tf.setBackend('cpu');
		const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir));
		const [s] = await scoreItems(tf, ck, [
			{ messages: [{ role: 'user', content: 'Say a' }], candidates: ['a', 'b', 'c'] },
		]);
		ck.dispose();
		for (let c = 0; c < 3; c++) {
			expect(out[0].rewards[c]).toBeCloseTo(s.rewards?.[c] ?? Number.NaN, 5);
			expect(out[0].logprobs[c]).toBeCloseTo(s.logprobs[c], 5);
		}
	});

	it('a line with an over-long candidate gets its own error line, before any forward pass; the others still print', async () => {
		const input = join(f.dir, 'long.jsonl');
		const long = 'x'.repeat(30_000);
		writeFileSync(
			input,
			[
				lines[0],
				JSON.stringify({ messages: [{ role: 'user', content: 'Say b' }], candidates: ['b', long], label: 0 }),
				lines[4],
			].join('\n'),
		);
		const io = capture();
		const t0 = performance.now();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu'], io)).toBe(1);
		expect(performance.now() - t0).toBeLessThan(20_000);
		const out = io.out
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(out).toHaveLength(3);
		expect(out[0].rewards).toHaveLength(3);
		expect(out[1]).toEqual({
			line: 2,
			error: expect.stringMatching(
				/^line 2: candidate 2 is 300\d\d tokens with its prompt; the limit is 1024 \(the default; --max-len changes it\)$/,
			),
		});
		expect(out[2].logprobs).toHaveLength(2);
		expect(io.err).toMatch(/long\.jsonl: line 2: candidate 2 is/);
		expect(io.err).toMatch(/accuracy on 1 labelled item\(s\)/);
		expect(io.err).toMatch(/1 line\(s\) could not be scored/);
		// --max-len raises the limit (here: lowers it below line 1's candidates).
		const low = capture();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu', '--max-len', '12'], low)).toBe(1);
		expect(low.out.split('\n')[0]).toMatch(
			/"error":"line 1: candidate 1 is \d+ tokens with its prompt; the limit is 12; candidate 2 .*\(set by --max-len\)"/,
		);
		const bad = capture();
		expect(await main(['score', f.dir, '--input', input, '--max-len', 'lots'], bad)).toBe(2);
		expect(bad.err).toMatch(/--max-len/);
	});

	it('warns on stderr about characters that became <unk>', async () => {
		const input = join(f.dir, 'unk.jsonl');
		writeFileSync(input, JSON.stringify({ messages: [{ role: 'user', content: 'Say é' }], candidates: ['é€é', 'e'] }));
		const io = capture();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu'], io)).toBe(0);
		expect(io.err).toContain(
			`warning: ${input}: line 1, prompt: 1 character is not in the tokenizer's vocabulary and became <unk>: 'é'`,
		);
		expect(io.err).toContain(
			`warning: ${input}: line 1, candidate 1: 3 characters are not in the tokenizer's vocabulary and became <unk>: 'é', '€'`,
		);
		expect(JSON.parse(io.out).logprobs).toHaveLength(2);
	});

	it('--stream on scores the same numbers through the layer-streamed forward; a bad --stream is a usage error', async () => {
		const input = join(f.dir, 'stream.jsonl');
		writeFileSync(
			input,
			`${JSON.stringify({ messages: [{ role: 'user', content: 'Say b' }], candidates: ['b', 'cc', 'a'], label: 0 })}\n`,
		);
		const plain = capture();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu', '--stream', 'off'], plain)).toBe(0);
		const streamed = capture();
		expect(await main(['score', f.dir, '--input', input, '--backend', 'cpu', '--stream', 'on'], streamed)).toBe(0);
		expect(streamed.err).toMatch(/streamed one block at a time/);
		expect(plain.err).not.toMatch(/streamed one block at a time/);
		const a = JSON.parse(plain.out);
		const b = JSON.parse(streamed.out);
		for (const k of ['rewards', 'logprobs'] as const) {
			a[k].forEach((x: number, i: number) => {
				expect(Math.abs(x - b[k][i])).toBeLessThanOrEqual(1e-5);
			});
		}
		const bad = capture();
		expect(await main(['score', f.dir, '--input', input, '--stream', 'maybe'], bad)).toBe(2);
		expect(bad.err).toMatch(/--stream must be auto, on or off, got maybe/);
	});

	it('refuses a checkpoint whose weights hold NaN/Inf, unless --allow-nonfinite', async () => {
		const nan = await writeFixture({
			seed: 5,
			tensors: (ts) =>
				ts.map((t) =>
					t.name === 'model.blocks.1.ffn.fc1.weight'
						? { ...t, data: t.data.map((x, i) => (i % 2 ? Number.NaN : x)) }
						: t,
				),
		});
		try {
			const input = join(nan.dir, 'one.jsonl');
			writeFileSync(input, `${lines[0]}\n`);
			const io = capture();
			expect(await main(['score', nan.dir, '--input', input, '--backend', 'cpu'], io)).toBe(1);
			expect(io.out).toBe('');
			expect(io.err).toMatch(
				/model\.safetensors: tensor model\.blocks\.1\.ffn\.fc1\.weight has 8,192 NaN\/Inf values \(first at element 1\); the checkpoint is unusable .*--allow-nonfinite/,
			);
			const anyway = capture();
			expect(await main(['score', nan.dir, '--input', input, '--backend', 'cpu', '--allow-nonfinite'], anyway)).toBe(0);
			expect(anyway.err).toMatch(/note: model\.safetensors: loaded anyway/);
			expect(JSON.parse(anyway.out).logprobs).toEqual([null, null, null]);
		} finally {
			rmSync(nan.dir, { recursive: true, force: true });
		}
	});

	it('usage errors: no folder, no --input, a folder that is not a checkpoint', async () => {
		const a = capture();
		expect(await main(['score'], a)).toBe(2);
		expect(a.err).toMatch(/give the checkpoint folder/);
		const b = capture();
		expect(await main(['score', f.dir], b)).toBe(2);
		expect(b.err).toMatch(/--input items\.jsonl is required/);
		const c = capture();
		writeFileSync(join(f.dir, 'one.jsonl'), `${lines[0]}\n`);
		expect(await main(['score', join(f.dir, 'nope'), '--input', join(f.dir, 'one.jsonl'), '--backend', 'cpu'], c)).toBe(
			1,
		);
		expect(c.err).toMatch(/no such checkpoint folder/);
	});
});

describe('dph inspect', () => {
	it('prints the model card and one row per tensor; --json has the report', async () => {
		const io = capture();
		expect(await main(['inspect', f.dir], io)).toBe(0);
		expect(io.out).toMatch(/parameters\s+[\d,]+/);
		expect(io.out).toMatch(/pooler\s+swiglu_bert/);
		expect(io.out).toMatch(/model\.blocks\.0\.att\.proj_q\.weight\s+F32\s+\[64, 64\]/);
		expect(
			io.out
				.trim()
				.split('\n')
				.filter((l) => /^\S+\s+(F32|F16|BF16)\s+\[/.test(l)),
		).toHaveLength(f.tensors.length);
		const j = capture();
		expect(await main(['inspect', f.dir, '--json'], j)).toBe(0);
		const obj = JSON.parse(j.out);
		expect(obj.report).toEqual({ missing: [], unexpected: [], mismatched: [] });
		expect(obj.tensors).toHaveLength(f.tensors.length);
		expect(obj.card.rewardHead).toBe('reward');
	});
});

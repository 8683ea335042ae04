import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { dirFolder } from '../../src/lib/dph/checkpoint/folder-node';
import { loadCheckpoint } from '../../src/lib/dph/checkpoint/load';
import { scoreItems } from '../../src/lib/dph/score';
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
		const ck = await loadCheckpoint(tf, await dirFolder(f.dir));
		const [s] = await scoreItems(tf, ck, [
			{ messages: [{ role: 'user', content: 'Say a' }], candidates: ['a', 'b', 'c'] },
		]);
		ck.dispose();
		for (let c = 0; c < 3; c++) {
			expect(out[0].rewards[c]).toBeCloseTo(s.rewards?.[c] ?? Number.NaN, 5);
			expect(out[0].logprobs[c]).toBeCloseTo(s.logprobs[c], 5);
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

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { loadCheckpointTensors } from '../../src/lib/dph/checkpoint/load';
import type { MultipleChoiceItem } from '../../src/lib/dph/data/types';
import { wilson } from '../../src/lib/dph/eval/table';
import { argmax, scoreItems } from '../../src/lib/dph/score';
import { dirFolder } from '../../src/node/checkpoint-folder';
import { type Fixture, writeFixture } from '../lib/dph/checkpoint/fixtures';
import { capture } from './capture';

let f: Fixture;
let ref: Fixture;
beforeAll(async () => {
	f = await writeFixture({ seed: 5 });
	ref = await writeFixture({ seed: 8 });
});
afterAll(() => {
	for (const x of [f, ref]) rmSync(x.dir, { recursive: true, force: true });
});

const items: (MultipleChoiceItem & { category: string })[] = [
	{ messages: [{ role: 'user', content: 'Say a' }], candidates: ['a', 'b', 'cc'], label: 0, category: 'echo' },
	{ messages: [{ role: 'user', content: 'Say b' }], candidates: ['a', 'b'], label: 1, category: 'echo' },
	{ messages: [{ role: 'user', content: '1+1' }], candidates: ['2', '3', '11'], label: 0, category: 'math' },
	{ messages: [{ role: 'user', content: '2+2' }], candidates: ['4', '5'], label: 0, category: 'math' },
	{ messages: [{ role: 'user', content: '3+3' }], candidates: ['6', '7', '66'], label: 2, category: 'math' },
];

describe('dph eval', () => {
	it('prints each predictor’s accuracy overall and per category with Wilson intervals; CSV and JSON', async () => {
		const input = join(f.dir, 'items.jsonl');
		writeFileSync(
			input,
			[
				...items.map((x) => JSON.stringify(x)),
				JSON.stringify({ messages: items[0].messages, candidates: ['a', 'b'] }),
			].join('\n'),
		);
		const io = capture();
		const args = ['eval', f.dir, '--input', input, '--backend', 'cpu', '--by', 'category', '--ref', ref.dir];
		expect(await main([...args, '--json'], io)).toBe(1);
		expect(io.err).toMatch(/line 6: no "label": it cannot be evaluated/);
		const { rows, agreement } = JSON.parse(io.out);
		const groups = [...new Set(rows.map((r: { group: string }) => r.group))];
		expect(groups).toEqual(['all', 'echo', 'math']);
		expect(
			rows.filter((r: { group: string }) => r.group === 'all').map((r: { predictor: string }) => r.predictor),
		).toEqual(['reward', 'logprob', 'logprob_sum', 'implicit_reward']);
		expect(agreement).toHaveLength(6);
		// Reward and mean log-prob picks as dph score makes them, counted here.
		await tf.setBackend('cpu');
		const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir));
		const scores = await scoreItems(tf, ck, items);
		ck.dispose();
		for (const [predictor, of] of [
			['reward', (s: (typeof scores)[0]) => s.rewards ?? []],
			['logprob', (s: (typeof scores)[0]) => s.logprobs],
		] as const) {
			for (const group of ['all', 'echo', 'math']) {
				const idx = items.map((_, i) => i).filter((i) => group === 'all' || items[i].category === group);
				const correct = idx.filter((i) => argmax(of(scores[i])) === items[i].label).length;
				const row = rows.find(
					(r: { group: string; predictor: string }) => r.group === group && r.predictor === predictor,
				);
				expect(row.correct, `${predictor} ${group}`).toBe(correct);
				expect(row.n).toBe(idx.length);
				expect(row.lo).toBeCloseTo(wilson(correct, idx.length).lo, 12);
			}
		}
		const csv = capture();
		expect(await main([...args, '--csv'], csv)).toBe(1);
		expect(csv.out.split('\n')[0]).toBe('group,predictor,correct,n,accuracy,ci95_lo,ci95_hi');
		expect(csv.out.trim().split('\n')).toHaveLength(1 + 12);
		const table = capture();
		expect(await main(['eval', f.dir, '--input', input, '--backend', 'cpu'], table)).toBe(1);
		expect(table.out).toMatch(/^group\s+predictor\s+accuracy\s+95% CI\s+correct\/n\nall\s+reward\s+\d+\.\d%\s+\[/);
		expect(table.out).not.toMatch(/echo|implicit_reward/);
		expect(table.out).toMatch(/Agreement .*\n {2}reward · logprob: \d\.\d{3}\n/);
	});
});

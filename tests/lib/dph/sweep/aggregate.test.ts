import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../src/lib/dph/random';
import { aggregate, formatTable, meanSd, mergeResults } from '../../../../src/lib/dph/sweep/aggregate';
import { latestById, parseResultsJsonl, type RunMetrics, type RunResult } from '../../../../src/lib/dph/sweep/results';
import { loadSweep } from '../../../../src/lib/dph/sweep/spec';
import { JsonlResultsStore, readResultsFile } from '../../../../src/node/results-jsonl';

const M = [
	'dph_accuracy',
	'logprob_accuracy',
	'reward_chosen',
	'reward_rejected',
	'margin',
	'loss_dph',
	'loss_dpo',
] as const;

function fake(
	index: number,
	params: RunResult['params'],
	value: (m: string) => number,
	extra: Partial<RunResult> = {},
): RunResult {
	const metrics = Object.fromEntries(M.map((m) => [m, value(m)])) as unknown as RunMetrics;
	const id = Object.entries(params)
		.map(([k, v]) => `${k}=${v}`)
		.join(',');
	return {
		sweep: 's',
		spec_hash: 'h',
		id,
		index,
		params,
		config_hash: `c${index}`,
		metrics,
		steps: 3,
		seconds: 0.1,
		backend: 'cpu',
		...extra,
	};
}

describe('aggregation: mean ± sample sd over seeds', () => {
	it('matches an independent computation (sum/n, sqrt(Σ(x−x̄)²/(n−1))) on random data', () => {
		const rand = mulberry32(42);
		const results: RunResult[] = [];
		const values = new Map<string, number[]>();
		let index = 0;
		for (const pooler of ['bert', 'swiglu_bert']) {
			for (const objective of ['sepdph', 'condph']) {
				for (const seed of [1, 2, 3, 4]) {
					const x = rand() * 10 - 5;
					const key = `${pooler}/${objective}`;
					values.set(key, [...(values.get(key) ?? []), x]);
					results.push(fake(index++, { pooler, objective, seed }, (m) => (m === 'margin' ? x : 0.5)));
				}
			}
		}
		const t = aggregate(results);
		expect(t.axes).toEqual(['pooler', 'objective']);
		expect(t.rows.map((r) => `${r.params.pooler}/${r.params.objective}`)).toEqual([...values.keys()]);
		for (const row of t.rows) {
			const xs = values.get(`${row.params.pooler}/${row.params.objective}`) ?? [];
			// Independent form: E[x²] − E[x]² scaled by n/(n−1).
			const n = xs.length;
			const mean = xs.reduce((a, b) => a + b, 0) / n;
			const varPop = xs.reduce((a, b) => a + b * b, 0) / n - mean * mean;
			const m = row.metrics.margin;
			expect(m?.n).toBe(4);
			expect(m?.mean).toBeCloseTo(mean, 12);
			expect(m?.sd).toBeCloseTo(Math.sqrt((varPop * n) / (n - 1)), 10);
			expect(row.seeds).toEqual([1, 2, 3, 4]);
			expect(row.metrics.dph_accuracy).toEqual({ mean: 0.5, sd: 0, n: 4 });
		}
	});

	it('known values: sd of 1,2,3,4 is √(5/3); n = 1 has no sd; failed runs are counted, not averaged', () => {
		expect(meanSd([1, 2, 3, 4])).toEqual({ mean: 2.5, sd: Math.sqrt(5 / 3), n: 4 });
		expect(meanSd([0.7])).toEqual({ mean: 0.7, sd: null, n: 1 });
		expect(meanSd([])).toBeNull();
		const t = aggregate([
			fake(0, { lr: 0.001, seed: 1 }, () => 1),
			fake(1, { lr: 0.001, seed: 2 }, () => 100, { error: 'Training stopped at step 2', metrics: null }),
			fake(2, { lr: 0.01, seed: 1 }, () => 3),
			fake(3, { lr: 0.01, seed: 2 }, () => 5),
		]);
		expect(t.rows[0]).toMatchObject({ runs: 2, failed: 1, seeds: [1] });
		expect(t.rows[0].metrics.margin).toEqual({ mean: 1, sd: null, n: 1 });
		expect(t.rows[1].metrics.margin).toEqual({ mean: 4, sd: Math.SQRT2, n: 2 });
	});

	it('formats text (aligned, "mean ± sd"), CSV and JSON', () => {
		const t = aggregate([
			fake(0, { pooler: 'bert', seed: 1 }, () => 0.9),
			fake(1, { pooler: 'bert', seed: 2 }, () => 0.92),
			fake(2, { pooler: 'swiglu_bert', seed: 1 }, () => 0.95),
		]);
		const text = formatTable(t).split('\n');
		expect(text[0]).toMatch(/^pooler\s+n\s+dph_acc\s+logprob_acc\s+r_w\s+r_l\s+margin\s+loss_dph\s+loss_dpo$/);
		expect(text[2]).toMatch(/^bert\s+2\s+0\.91 ± 0\.01\s/);
		expect(text[3]).toMatch(/^swiglu_bert\s+1\s+0\.95\s/);
		// Columns line up: every row as long as the header's dashes.
		expect(text[2].length).toBe(text[1].length);
		const csv = formatTable(t, 'csv').trim().split('\n');
		expect(csv[0]).toBe(`pooler,n,failed,${M.map((m) => `${m}_mean,${m}_sd`).join(',')}`);
		const cells = csv[1].split(',');
		expect(Number(cells[3])).toBeCloseTo(0.91, 12);
		expect(Number(cells[4])).toBeCloseTo(Math.sqrt(0.0002), 12);
		expect(csv[2].split(',')[4]).toBe('');
		expect(JSON.parse(formatTable(t, 'json'))).toEqual(JSON.parse(JSON.stringify(t)));
	});
});

describe('merge', () => {
	const sweep = loadSweep({
		name: 's',
		base: { steps: 3, optim: { warmupSteps: 0 } },
		grid: { pooler: ['bert', 't5'], seed: [1, 2] },
	});
	const real = (i: number, v = 0.5) => ({
		...fake(i, sweep.runs[i].params, () => v),
		config_hash: sweep.runs[i].configHash,
	});

	it('combines files, keeps the first of a duplicate and lists it, and with the spec lists missing runs', () => {
		const m = mergeResults(
			[
				{ source: 'a.jsonl', results: [real(0), real(3)] },
				{ source: 'b.jsonl', results: [real(1), real(3, 0.9)] },
			],
			sweep,
		);
		expect(m.results.map((r) => r.index)).toEqual([0, 1, 3]);
		expect(m.results[2].metrics?.margin).toBe(0.5);
		expect(m.duplicates).toEqual([{ id: 'pooler=t5,seed=2', sources: ['a.jsonl', 'b.jsonl'], differ: true }]);
		expect(m.missing).toEqual(['pooler=t5,seed=1']);
		expect(m.unexpected).toEqual([]);
		expect(m.mismatched).toEqual([]);
		// Without the spec, missing runs cannot be known.
		expect(mergeResults([{ source: 'a', results: [real(0)] }]).missing).toBeNull();
	});

	it('flags runs the spec does not have and runs trained with another config', () => {
		const m = mergeResults(
			[
				{
					source: 'a',
					results: [real(0), { ...real(1), config_hash: 'other' }, fake(9, { pooler: 'identity', seed: 1 }, () => 1)],
				},
			],
			sweep,
		);
		expect(m.unexpected).toEqual(['pooler=identity,seed=1']);
		expect(m.mismatched).toEqual(['pooler=bert,seed=2']);
	});
});

describe('results JSONL', () => {
	const r0 = fake(0, { seed: 1 }, () => 0.25);
	const r1 = fake(1, { seed: 2 }, () => 0.75);

	it('ignores a truncated last line with a warning, and the store cuts it off before appending', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-results-'));
		const path = join(dir, 'results.jsonl');
		const line1 = `${JSON.stringify(r1)}\n`;
		writeFileSync(path, `${JSON.stringify(r0)}\n${line1.slice(0, 40)}`);
		const warnings: string[] = [];
		const store = new JsonlResultsStore(path, (w) => warnings.push(w));
		expect(await store.load()).toEqual([r0]);
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/line 2 is incomplete/);
		await store.append(r1);
		expect(readFileSync(path, 'utf8')).toBe(`${JSON.stringify(r0)}\n${line1}`);
		expect(await readResultsFile(path)).toEqual([r0, r1]);
	});

	it('appends a newline first when the last complete line has none (a hand-edited file)', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-results-'));
		const path = join(dir, 'results.jsonl');
		writeFileSync(path, JSON.stringify(r0));
		const store = new JsonlResultsStore(path);
		expect(await store.load()).toEqual([r0]);
		await store.append(r1);
		expect(await new JsonlResultsStore(path).load()).toEqual([r0, r1]);
	});

	it('a bad line before the last is an error naming the line; a missing file is empty', async () => {
		expect(() => parseResultsJsonl(`${JSON.stringify(r0)}\n{"id":\n${JSON.stringify(r1)}\n`, 'f.jsonl')).toThrow(
			/^f\.jsonl line 2: not valid JSON/,
		);
		expect(() => parseResultsJsonl(`{"id":1}\n`, 'f.jsonl')).toThrow(/f\.jsonl line 1: "sweep" must be a string/);
		expect(await new JsonlResultsStore(join(tmpdir(), 'no-such-dir-dph', 'r.jsonl')).load()).toEqual([]);
	});

	it('latestById keeps the last record of an id, in run order', () => {
		const again = { ...r0, seconds: 9 };
		expect(latestById([r1, r0, again])).toEqual([again, r1]);
	});
});

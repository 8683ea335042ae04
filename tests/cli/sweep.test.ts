import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { capture } from './capture';

/** 2 poolers × 2 seeds of the nano model, 2 steps each: a few seconds per run on the cpu backend. */
const spec = {
	name: 'cli-test',
	base: {
		steps: 2,
		batchSize: 2,
		evalEvery: 2,
		optim: { warmupSteps: 0 },
		data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
	},
	grid: { seed: [1, 2], pooler: ['identity', 'bert'] },
};

function setup() {
	const dir = mkdtempSync(join(tmpdir(), 'dph-sweep-cli-'));
	const file = join(dir, 'sweep.json');
	writeFileSync(file, JSON.stringify(spec));
	return { dir, file };
}

describe('dph sweep', () => {
	it('3 shards merged give the same table as the unsharded sweep; merge reports duplicates and missing runs', async () => {
		const { dir, file } = setup();
		const io = capture();
		expect(await main(['sweep', file, '--out', join(dir, 'all'), '--backend', 'cpu', '--json'], io), io.err).toBe(0);
		const whole = JSON.parse(io.out);
		expect(whole.runs.map((r: { id: string }) => r.id)).toEqual([
			'pooler=identity,seed=1',
			'pooler=identity,seed=2',
			'pooler=bert,seed=1',
			'pooler=bert,seed=2',
		]);
		expect(whole.table.rows.map((r: { params: object; runs: number }) => [r.params, r.runs])).toEqual([
			[{ pooler: 'identity' }, 2],
			[{ pooler: 'bert' }, 2],
		]);
		// Not a TTY: one line per finished run on stderr.
		expect(io.err.match(/^run \d\/4 pooler=/gm)).toHaveLength(4);

		const shardFiles: string[] = [];
		for (let k = 0; k < 3; k++) {
			const s = capture();
			expect(
				await main(['sweep', file, '--out', join(dir, 'sharded'), '--shard', `${k}/3`, '--backend', 'cpu'], s),
				s.err,
			).toBe(0);
			shardFiles.push(join(dir, 'sharded', `results-${k}-of-3.jsonl`));
			expect(s.err).toMatch(new RegExp(`shard ${k}/3: ${k === 0 ? 2 : 1} of 4 runs`));
		}
		const lines = shardFiles.map((f) => readFileSync(f, 'utf8').trim().split('\n').length);
		expect(lines).toEqual([2, 1, 1]);

		const m = capture();
		expect(await main(['sweep', 'merge', ...shardFiles, '--spec', file, '--json'], m), m.err).toBe(0);
		const merged = JSON.parse(m.out);
		expect(merged.table).toEqual(whole.table);
		expect(merged.missing).toEqual([]);
		expect(merged.duplicates).toEqual([]);
		// Same text table too.
		const t1 = capture();
		const t2 = capture();
		await main(['sweep', 'merge', join(dir, 'all', 'results.jsonl')], t1);
		await main(['sweep', 'merge', ...shardFiles], t2);
		expect(t2.out).toBe(t1.out);
		expect(t1.out).toMatch(/^pooler\s+n\s+dph_acc/);
		expect(t1.out).toMatch(/\nidentity\s+2\s+\d\.\d\d ± \d\.\d\d/);

		// A shard given twice and one left out: a duplicate and missing runs, exit 1, the table still printed.
		const d = capture();
		expect(
			await main(['sweep', 'merge', shardFiles[0], shardFiles[0], shardFiles[1], '--spec', file, '--csv'], d),
		).toBe(1);
		expect(d.err).toMatch(/duplicate: pooler=identity,seed=1 is in .*results-0-of-3\.jsonl, .*results-0-of-3\.jsonl/);
		expect(d.err).toMatch(/missing: 1 of 4 runs of the spec are in no file: pooler=bert,seed=1/);
		expect(d.out.split('\n')[0]).toMatch(/^pooler,n,failed,dph_accuracy_mean,dph_accuracy_sd/);

		// Rerunning a finished sweep resumes with nothing to do and prints the same table.
		const again = capture();
		expect(await main(['sweep', file, '--out', join(dir, 'all'), '--backend', 'cpu', '--json'], again)).toBe(0);
		expect(JSON.parse(again.out).table).toEqual(whole.table);
		expect(again.err).toMatch(/resumed: 4 finished runs/);
	}, 300_000);

	it('usage errors name the problem and exit 2', async () => {
		const { dir, file } = setup();
		const cases: [string[], RegExp][] = [
			[['sweep'], /sweep needs a sweep spec/],
			[['sweep', file, '--shard', '3/3'], /--shard 3\/3: K must be in 0\.\.2/],
			[['sweep', file, '--shard', 'x'], /--shard must look like K\/N/],
			[['sweep', file, '--backend', 'metal'], /--backend must be one of webgpu, wasm, cpu/],
			[['sweep', file, '--json', '--csv'], /--json and --csv exclude each other/],
			[['sweep', file, '--spec', file], /--spec does not apply to a sweep run/],
			[['sweep', 'merge'], /sweep merge needs one or more results files/],
			[['sweep', 'merge', join(dir, 'nope.jsonl')], /cannot read .*nope\.jsonl/],
			[['sweep', 'merge', file, '--shard', '0/2'], /--shard does not apply to "sweep merge"/],
			[['sweep', join(dir, 'missing.json')], /cannot read .*missing\.json/],
		];
		for (const [argv, message] of cases) {
			const io = capture();
			expect(await main(argv, io), argv.join(' ')).toBe(2);
			expect(io.err).toMatch(message);
		}
		const bad = join(dir, 'bad.json');
		writeFileSync(bad, JSON.stringify({ ...spec, grid: { dphEps: [0.1, 0.2, 0.7] } }));
		const io = capture();
		expect(await main(['sweep', bad, '--out', join(dir, 'bad')], io)).toBe(2);
		expect(io.err).toMatch(/bad\.json: grid\.dphEps\[2\] = 0\.7 is out of range: valid 0 ≤ dphEps ≤ 0\.5/);
		expect(existsSync(join(dir, 'bad'))).toBe(false);
	});

	it('--help describes running, sharding and merging; sweep is no longer "coming"', async () => {
		const io = capture();
		expect(await main(['sweep', '--help'], io)).toBe(0);
		expect(io.out).toMatch(/dph sweep <sweep\.json>/);
		expect(io.out).toMatch(/dph sweep merge <results\.jsonl…> \[--spec sweep\.json\]/);
		expect(io.out).toMatch(/--shard K\/N/);
		const top = capture();
		await main(['--help'], top);
		expect(top.out).toMatch(/\n {2}sweep /);
	});
});

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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
				await main(
					['sweep', file, '--out', join(dir, 'sharded'), '--shard', `${k}/3`, '--backend', 'cpu', '--jobs', '1'],
					s,
				),
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

		const files: [string, string, RegExp][] = [
			['null.json', 'null', /null\.json: the sweep spec must be a JSON object .*got null/],
			[
				'inf.json',
				'{"grid": {"lr": [0.01, 1e999]}}',
				/inf\.json: grid\.lr\[1\] = 1e999 \(line 1, column 24\) is too large/,
			],
			[
				'path.json',
				JSON.stringify({ base: { data: { task: 'jsonl', jsonlPath: 'none.jsonl' } }, grid: { seed: [1] } }),
				/path\.json: base\.data\.jsonlPath = "none\.jsonl": cannot read .*none\.jsonl/,
			],
		];
		for (const [name, text, message] of files) {
			writeFileSync(join(dir, name), text);
			const e = capture();
			expect(await main(['sweep', join(dir, name), '--out', join(dir, 'bad')], e), name).toBe(2);
			expect(e.err).toMatch(message);
		}
		expect(existsSync(join(dir, 'bad'))).toBe(false);
	});

	it('a base with fewer steps than the preset warm-up runs, with the warm-up dph train --steps gives', async () => {
		const { dir } = setup();
		const file = join(dir, 'short.json');
		const { optim: _, ...base } = spec.base;
		writeFileSync(file, JSON.stringify({ ...spec, base, grid: { seed: [1] } }));
		const io = capture();
		expect(await main(['sweep', file, '--out', join(dir, 'short'), '--backend', 'cpu', '--json'], io), io.err).toBe(0);
		expect(JSON.parse(io.out).runs[0].steps).toBe(2);
	}, 120_000);

	it('--help describes running, sharding and merging; sweep is no longer "coming"', async () => {
		const io = capture();
		expect(await main(['sweep', '--help'], io)).toBe(0);
		expect(io.out).toMatch(/dph sweep <sweep\.json>/);
		expect(io.out).toMatch(/dph sweep merge <results\.jsonl…> \[--spec sweep\.json\]/);
		expect(io.out).toMatch(/--shard K\/N/);
		expect(io.out).toMatch(/a second process on the same file exits 75 naming the holder/);
		const top = capture();
		await main(['--help'], top);
		expect(top.out).toMatch(/\n {2}sweep /);
	});
});

/** `dph sweep …` as a real process (what `npx dph` runs), its stderr collected. */
function dphProcess(args: string[]): ChildProcess & { stderr_: () => string; exited: Promise<number | null> } {
	const child = spawn(process.execPath, ['bin/dph.mjs', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	child.stderr?.on('data', (b) => {
		err += b;
	});
	const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
	return Object.assign(child, { stderr_: () => err, exited });
}

async function until(what: string, ok: () => boolean, ms = 90_000) {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

describe('dph sweep: one process per results file', () => {
	it('a second process on the same --out and shard refuses, naming the holder; other shards run alongside; SIGTERM and SIGINT release the lock', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-sweep-lock-'));
		const file = join(dir, 'long.json');
		// Enough runs that the first processes are still busy while the others start.
		writeFileSync(
			file,
			JSON.stringify({ ...spec, name: 'lock-test', grid: { seed: Array.from({ length: 60 }, (_, i) => i + 1) } }),
		);
		const out = join(dir, 'out');
		// One run at a time: this is about the lock, and two processes of two workers each would crowd 2 cores.
		const args = (shard: string) => ['sweep', file, '--out', out, '--backend', 'cpu', '--jobs', '1', '--shard', shard];
		const lock0 = join(out, 'results-0-of-2.jsonl.lock');
		const lock1 = join(out, 'results-1-of-2.jsonl.lock');
		const a = dphProcess(args('0/2'));
		const c = dphProcess(args('1/2'));
		try {
			await until('the first shard to take its lock', () => existsSync(lock0));
			const holder = JSON.parse(readFileSync(lock0, 'utf8'));
			expect(holder).toMatchObject({ pid: a.pid, host: hostname(), command: 'dph sweep --shard 0/2' });
			expect(Date.now() - Date.parse(holder.started)).toBeLessThan(120_000);

			const b = spawnSync(process.execPath, ['bin/dph.mjs', ...args('0/2')], { encoding: 'utf8', timeout: 60_000 });
			expect(b.status, b.stderr).toBe(75);
			expect(b.stderr).toMatch(
				new RegExp(
					`^dph: .*results-0-of-2\\.jsonl is in use by dph sweep --shard 0/2 pid ${a.pid} since \\d\\d:\\d\\d:\\d\\d; wait for it to finish, or remove .*results-0-of-2\\.jsonl\\.lock if that process is gone\\n$`,
				),
			);
			expect(JSON.parse(readFileSync(lock0, 'utf8')).pid).toBe(a.pid);

			// The other shard writes its own file under its own lock, at the same time.
			await until(
				'both shards to finish a run each',
				() => lines(join(out, 'results-1-of-2.jsonl')) >= 1 && lines(join(out, 'results-0-of-2.jsonl')) >= 1,
			);
			expect(a.exitCode).toBeNull();
			expect(c.exitCode).toBeNull();
			expect(JSON.parse(readFileSync(lock1, 'utf8')).pid).toBe(c.pid);

			a.kill('SIGTERM');
			c.kill('SIGINT');
			expect(await a.exited, a.stderr_()).toBe(130);
			expect(await c.exited, c.stderr_()).toBe(130);
			expect(a.stderr_()).toMatch(/stopping \(SIGTERM\)/);
			expect(existsSync(lock0)).toBe(false);
			expect(existsSync(lock1)).toBe(false);
		} finally {
			a.kill('SIGKILL');
			c.kill('SIGKILL');
		}
	}, 300_000);

	it('a lock left by a killed process is taken over with a note; a live lock elsewhere is refused until its heartbeat is old', async () => {
		const { dir, file } = setup();
		const out = join(dir, 'out');
		const lock = join(out, 'results.jsonl.lock');
		// A real lock of a process killed with SIGKILL (no chance to clean up).
		const k = dphProcess(['sweep', file, '--out', join(dir, 'killed'), '--backend', 'cpu']);
		const killedLock = join(dir, 'killed', 'results.jsonl.lock');
		await until('the process to take its lock', () => existsSync(killedLock));
		k.kill('SIGKILL');
		await k.exited;
		expect(existsSync(killedLock)).toBe(true);
		const { mkdirSync } = await import('node:fs');
		mkdirSync(out, { recursive: true });
		writeFileSync(lock, readFileSync(killedLock));

		const io = capture();
		expect(await main(['sweep', file, '--out', out, '--backend', 'cpu'], io), io.err).toBe(0);
		expect(io.err).toMatch(
			new RegExp(
				`note: took over the stale lock .*results\\.jsonl\\.lock of dph sweep pid ${k.pid} since .*: pid ${k.pid} is no longer running`,
			),
		);
		expect(lines(join(out, 'results.jsonl'))).toBe(4);
		expect(existsSync(lock)).toBe(false);

		// Held on another machine of a shared folder: refused while its heartbeat is fresh, taken over once it is not.
		const other = {
			pid: 4242,
			host: 'some-other-node',
			started: new Date().toISOString(),
			command: 'dph sweep',
			token: 'x',
		};
		writeFileSync(lock, JSON.stringify(other));
		const busy = capture();
		expect(await main(['sweep', file, '--out', out, '--backend', 'cpu'], busy)).toBe(75);
		expect(busy.err).toMatch(/in use by dph sweep pid 4242 on some-other-node since \d\d:\d\d:\d\d/);
		const old = new Date(Date.now() - 5 * 60_000);
		utimesSync(lock, old, old);
		const again = capture();
		expect(await main(['sweep', file, '--out', out, '--backend', 'cpu'], again), again.err).toBe(0);
		expect(again.err).toMatch(
			/took over the stale lock .* of dph sweep pid 4242 on some-other-node .*: its heartbeat is 300 s old/,
		);
		expect(again.err).toMatch(/resumed: 4 finished runs/);
		expect(existsSync(lock)).toBe(false);

		// An error part-way (here: the spec changed since the stored runs) releases the lock too.
		writeFileSync(file, JSON.stringify({ ...spec, base: { ...spec.base, batchSize: 3 } }));
		const failed = capture();
		expect(await main(['sweep', file, '--out', out, '--backend', 'cpu'], failed)).toBe(1);
		expect(failed.err).toMatch(/trained with a different configuration/);
		expect(existsSync(lock)).toBe(false);
	}, 300_000);
});

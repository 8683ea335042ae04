import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { defaultJobs } from '../../src/cli/sweep-pool';
import { capture } from './capture';

/**
 * Weight decay 1e30 makes the lr = 0.01 runs diverge at step 1 (a failed run, stored with "error"), while
 * lr = 1e-31 scales the decay down to 0.1 and trains: a sweep with failed runs between good ones.
 */
const spec = {
	name: 'jobs-test',
	base: {
		steps: 3,
		batchSize: 2,
		evalEvery: 3,
		optim: { warmupSteps: 0, weightDecay: 1e30, decayInit: false, dphWeightDecay: 1e30 },
		data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
	},
	grid: { lr: [0.01, 1e-31], seed: [1, 2] },
};

function setup(s: object = spec) {
	const dir = mkdtempSync(join(tmpdir(), 'dph-sweep-jobs-'));
	const file = join(dir, 'sweep.json');
	writeFileSync(file, JSON.stringify(s));
	return { dir, file };
}

/** The timing field is the one thing a parallel sweep may change. */
const untimed = (text: string) => text.replace(/"seconds":[0-9.e+-]+/g, '"seconds":0');

describe('dph sweep --jobs', () => {
	it('--jobs 2 writes the serial sweep’s results file and table, byte for byte but for timings; failed runs are reported and the others run', async () => {
		const { dir, file } = setup();
		const one = capture();
		expect(
			await main(['sweep', file, '--out', join(dir, 'one'), '--backend', 'wasm', '--jobs', '1', '--json'], one),
			one.err,
		).toBe(1);
		const two = capture();
		expect(
			await main(['sweep', file, '--out', join(dir, 'two'), '--backend', 'wasm', '--jobs', '2', '--json'], two),
			two.err,
		).toBe(1);
		expect(one.err).toMatch(/· 1 at once ·/);
		expect(one.err).not.toMatch(/workers:/);
		expect(two.err).toMatch(/· 2 at once ·/);
		expect(two.err).toMatch(/^workers: 2 × WebAssembly$/m);
		// Each worker checks tf.memory() around every run and warns about what a run left behind.
		expect(two.err).not.toMatch(/tensors behind/);

		const file1 = readFileSync(join(dir, 'one', 'results.jsonl'), 'utf8');
		const file2 = readFileSync(join(dir, 'two', 'results.jsonl'), 'utf8');
		expect(untimed(file2)).toBe(untimed(file1));
		expect(untimed(two.out)).toBe(untimed(one.out));
		const runs = JSON.parse(two.out).runs as { id: string; error?: string; metrics: object | null }[];
		expect(runs.map((r) => [r.id, r.error === undefined])).toEqual([
			['lr=0.01,seed=1', false],
			['lr=0.01,seed=2', false],
			['lr=1e-31,seed=1', true],
			['lr=1e-31,seed=2', true],
		]);
		expect(runs[0].error).toMatch(/Training stopped at step 1: the weight norm after the update is not finite/);
		expect(runs[2].metrics).not.toBeNull();
		expect(two.err.match(/^run \d\/4 lr=/gm)).toHaveLength(4);
		expect(two.err).toMatch(/2 of 4 runs failed/);
	}, 180_000);

	it('--jobs is checked, and refused by sweep merge', async () => {
		const { file } = setup();
		for (const [argv, message] of [
			[['sweep', file, '--jobs', '0'], /--jobs must be a whole number in 1\.\.256, got "0"/],
			[['sweep', file, '--jobs', 'all'], /--jobs must be a whole number/],
			[['sweep', 'merge', file, '--jobs', '2'], /--jobs does not apply to "sweep merge"/],
		] as [string[], RegExp][]) {
			const io = capture();
			expect(await main(argv, io), argv.join(' ')).toBe(2);
			expect(io.err).toMatch(message);
		}
	});

	it('the default is one run per core, no more than free memory holds, and one on a GPU', () => {
		const MB = 2 ** 20;
		expect(defaultJobs('wasm', 300 * MB, 8, 64_000 * MB)).toEqual({ jobs: 8, why: '8 cores' });
		// 80% of 1 000 MB holds two runs of 300 MB.
		expect(defaultJobs('wasm', 300 * MB, 8, 1_000 * MB)).toEqual({
			jobs: 2,
			why: '8 cores, memory for 2 (~300 MB a run)',
		});
		expect(defaultJobs('cpu', 300 * MB, 4, 10 * MB).jobs).toBe(1);
		expect(defaultJobs('webgpu', 300 * MB, 8, 64_000 * MB)).toEqual({ jobs: 1, why: 'one GPU' });
	});
});

function dphProcess(args: string[]): ChildProcess & { err: () => string; exited: Promise<number | null> } {
	const child = spawn(process.execPath, ['bin/dph.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let err = '';
	child.stderr?.on('data', (b) => {
		err += b;
	});
	const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
	return Object.assign(child, { err: () => err, exited });
}

async function until(what: string, ok: () => boolean, ms = 90_000) {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

describe('dph sweep --jobs: stopping', () => {
	it('SIGINT stops every worker, keeps the finished runs and releases the lock; rerunning completes the serial sweep’s results', async () => {
		const { dir, file } = setup({
			...spec,
			name: 'jobs-stop',
			base: { ...spec.base, steps: 12, evalEvery: 12, optim: { warmupSteps: 0 } },
			grid: { seed: [1, 2, 3, 4, 5, 6] },
		});
		const out = join(dir, 'out');
		const args = ['sweep', file, '--out', out, '--backend', 'wasm', '--jobs', '2'];
		const p = dphProcess(args);
		try {
			await until('a first finished run', () => /^run 1\/6 /m.test(p.err()));
			p.kill('SIGINT');
			const t0 = Date.now();
			expect(await p.exited, p.err()).toBe(130);
			// Generous: the machine may be loaded; that the workers answered the stop is checked below.
			expect(Date.now() - t0).toBeLessThan(60_000);
		} finally {
			p.kill('SIGKILL');
		}
		expect(p.err()).toMatch(/stopping \(SIGINT\)/);
		// Every worker gave up its run when asked, none had to be terminated after the grace period.
		expect(p.err()).not.toMatch(/did not stop within/);
		expect(existsSync(join(out, 'results.jsonl.lock'))).toBe(false);
		const kept = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
		const reported = p.err().match(/^run \d\/6 /gm)?.length ?? 0;
		expect(kept.length).toBe(reported);
		expect(kept.length).toBeLessThan(6);

		const again = capture();
		expect(await main([...args.slice(0, -2), '--jobs', '2', '--json'], again), again.err).toBe(0);
		expect(again.err).toMatch(new RegExp(`resumed: ${kept.length} finished runs`));
		const serial = capture();
		expect(
			await main(['sweep', file, '--out', join(dir, 'serial'), '--backend', 'wasm', '--jobs', '1', '--json'], serial),
		).toBe(0);
		expect(untimed(again.out)).toBe(untimed(serial.out));
	}, 240_000);
});

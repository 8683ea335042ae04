import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { capture } from './capture';

describe('dph CLI conventions', () => {
	it('--help lists commands and exits 0; no arguments prints help and exits 2', async () => {
		const io = capture();
		expect(await main(['--help'], io)).toBe(0);
		expect(io.out).toMatch(/Usage: dph <command>/);
		expect(io.out).toMatch(/backend/);
		expect(io.out).toMatch(/2 on a usage error, 75 when the output is in use \(try again later\)/);
		const io2 = capture();
		expect(await main([], io2)).toBe(2);
	});

	it('--version prints the package version', async () => {
		const io = capture();
		expect(await main(['--version'], io)).toBe(0);
		expect(io.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
	});

	it('usage errors say "dph: …" and exit 2', async () => {
		const io = capture();
		expect(await main(['frobnicate'], io)).toBe(2);
		expect(io.err).toBe('dph: unknown command "frobnicate"; run "dph --help" for the list\n');
		const io2 = capture();
		expect(await main(['backend', '--backend', 'metal'], io2)).toBe(2);
		expect(io2.err).toMatch(/^dph: --backend must be one of webgpu, wasm, cpu, got "metal"/);
		const io3 = capture();
		expect(await main(['backend', '--no-such-flag'], io3)).toBe(2);
		expect(io3.err).toMatch(/^dph: backend: /);
	});

	it('dph backend --json reports the backend and a self-test as one JSON object', async () => {
		const io = capture();
		expect(await main(['backend', '--backend', 'cpu', '--train', '4', '--json'], io)).toBe(0);
		const j = JSON.parse(io.out);
		expect(j.backend).toBe('cpu');
		expect(j.selftest.steps).toHaveLength(4);
		expect(j.selftest.tensorGrowth).toBe(0);
	});

	it('runs as a real process through bin/dph.mjs (what `npx dph` executes)', () => {
		const out = execFileSync(process.execPath, ['bin/dph.mjs', '--help'], { encoding: 'utf8' });
		expect(out).toMatch(/dph — Direct Preference Heads workbench/);
		const bad = spawnSync(process.execPath, ['bin/dph.mjs', 'nope'], { encoding: 'utf8' });
		expect(bad.status).toBe(2);
		expect(bad.stderr).toMatch(/^dph: unknown command "nope"/);
	});
});

describe('dph loss / dph landscape through the real CLI entry', () => {
	it('accepts negative numbers as option values (--rl -0.3, --range -6:6)', async () => {
		const io = capture();
		expect(await main(['loss', '--loss', 'sepdph', '--eps', '0.1', '--rw', '1.2', '--rl', '-0.3', '--json'], io)).toBe(
			0,
		);
		const j = JSON.parse(io.out);
		// Independent float64: L = −[(1−ε)logσ(r_w) + ε logσ(−r_w)] − [ε logσ(r_l) + (1−ε)logσ(−r_l)]
		const ls = (x: number) => -Math.log1p(Math.exp(-x));
		const ref = -(0.9 * ls(1.2) + 0.1 * ls(-1.2)) - (0.1 * ls(-0.3) + 0.9 * ls(0.3));
		expect(j.loss).toBeCloseTo(ref, 12);
		expect(j.grad[0]).toBeCloseTo(0.1 - 1 / (Math.exp(1.2) + 1), 12);
		const io2 = capture();
		expect(await main(['landscape', '--loss', 'condph', '--eps', '0.1', '--range', '-6:6', '--grid', '3'], io2)).toBe(
			0,
		);
		expect(io2.out.split('\n')[0]).toBe('r_w,r_l,loss,d_rw,d_rl');
		expect(io2.out.trim().split('\n')).toHaveLength(10);
	});

	it('names the parameter, its value and the valid range for ε out of range', async () => {
		const io = capture();
		expect(await main(['loss', '--loss', 'condph', '--eps', '0.7', '--rw', '1', '--rl', '0'], io)).toBe(2);
		expect(io.err).toMatch(/eps = 0\.7 is out of range: valid 0 ≤ eps ≤ 0\.5/);
	});

	it('--help lists every command of the design, none of them "coming"', async () => {
		const io = capture();
		await main(['--help'], io);
		for (const name of ['loss', 'landscape', 'train', 'score', 'inspect', 'sweep', 'bench']) {
			expect(io.out).toMatch(new RegExp(`\\n {2}${name} `));
		}
		expect(io.out).not.toMatch(/Coming/);
	});
});

describe('dph train', () => {
	it('trains a few steps on the trivially decidable yes/no data and writes a checkpoint folder and one JSON summary', async () => {
		const { mkdtempSync, readFileSync, existsSync, writeFileSync } = await import('node:fs');
		const { join } = await import('node:path');
		const { tmpdir } = await import('node:os');
		const dir = mkdtempSync(join(tmpdir(), 'dph-train-'));
		const jsonl = Array.from({ length: 60 }, (_, i) =>
			JSON.stringify({ prompt: `q${i}`, chosen: 'yes', rejected: 'no' }),
		).join('\n');
		writeFileSync(
			join(dir, 'cfg.json'),
			JSON.stringify({ batchSize: 4, evalEvery: 3, data: { task: 'jsonl', jsonl } }),
		);
		const io = capture();
		const code = await main(
			['train', join(dir, 'cfg.json'), '--steps', '3', '--backend', 'cpu', '--out', join(dir, 'out'), '--json'],
			io,
		);
		expect(code, io.err).toBe(0);
		const j = JSON.parse(io.out.trim().split('\n').pop() ?? '{}');
		for (const k of [
			'backend',
			'steps',
			'loss_dph',
			'loss_dpo',
			'dph_accuracy',
			'logprob_accuracy',
			'reward_chosen',
			'reward_rejected',
			'margin',
			'tokens_per_s',
			'checkpoint',
		]) {
			expect(j).toHaveProperty(k);
		}
		expect(j.steps).toBe(3);
		for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'metrics.jsonl'])
			expect(existsSync(join(dir, 'out', f))).toBe(true);
		expect(JSON.parse(readFileSync(join(dir, 'out', 'config.json'), 'utf8')).architectures).toEqual(['LSWTForDPH']);
		expect(io.err).toMatch(/3\/3 loss/);
	}, 120_000);

	it('reports a bad config field as a usage error', async () => {
		const io = capture();
		expect(await main(['train', '--preset', 'nope'], io)).toBe(2);
		expect(io.err).toMatch(/--preset must be one of sepdph-demo, condph-demo/);
	});
});

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpointTensors } from '../../src/lib/dph/checkpoint/load';
import { dirFolder } from '../../src/node/checkpoint-folder';

const root = mkdtempSync(join(tmpdir(), 'dph-train-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const dph = (args: string[], env: Record<string, string> = {}) =>
	spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const train = (out: string, seed: number) => [
	'train',
	'--steps',
	'2',
	'--backend',
	'wasm',
	'--seed',
	String(seed),
	'--out',
	out,
];
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');

describe('dph train: divergence (issue 13.6)', () => {
	it('weight decay 1e30: closing JSON with "diverged", exit 1, and the written checkpoint scores to finite numbers', () => {
		const cfg = join(root, 'c.json');
		writeFileSync(
			cfg,
			JSON.stringify({ optim: { weightDecay: 1e30, decayInit: false, dphWeightDecay: 1e30 }, evalEvery: 5 }),
		);
		const out = join(root, 'diverged');
		const r = dph(['train', cfg, '--steps', '30', '--backend', 'wasm', '--out', out, '--json']);
		expect(r.status).toBe(1);
		const j = lastJson(r.stdout);
		expect(j.diverged).toEqual({ step: 1, quantity: 'the weight norm after the update', rolled_back_to: 0 });
		expect(j.checkpoint).toBe(out);
		expect(Number.isFinite(j.dph_accuracy)).toBe(true);
		expect(r.stderr).toMatch(/checkpoint of step 0 \(the initial, untrained weights\) written to/);
		const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(metrics.at(-1)).toEqual({
			kind: 'diverged',
			step: 1,
			quantity: 'the weight norm after the update',
			rolled_back_to: 0,
		});

		const items = join(root, 'items.jsonl');
		writeFileSync(items, `${JSON.stringify({ prompt: 'say a', chosen: 'a', rejected: 'b' })}\n`);
		const s = dph(['score', out, '--input', items, '--backend', 'wasm']);
		expect(s.status).toBe(0);
		const scored = JSON.parse(s.stdout.trim());
		expect([...scored.rewards, ...scored.logprobs].every((x: unknown) => Number.isFinite(x))).toBe(true);
	}, 240_000);
});

/** Start `dph train` paused at a point of its folder write; resolves once it is paused there (or has exited). */
function startPaused(out: string, seed: number, point: string): Promise<{ child: ChildProcess; paused: boolean }> {
	const child = spawn(process.execPath, ['bin/dph.mjs', ...train(out, seed)], {
		env: { ...process.env, DPH_TEST_PAUSE_FOLDER_WRITE: point },
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	return new Promise((resolve) => {
		let err = '';
		child.stderr?.on('data', (d: Buffer) => {
			err += d.toString();
			if (err.includes(`dph-test: folder write paused after ${point}`)) resolve({ child, paused: true });
		});
		child.on('exit', () => resolve({ child, paused: false }));
	});
}

async function kill9(child: ChildProcess) {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const gone = new Promise((r) => child.on('exit', r));
	child.kill('SIGKILL');
	await gone;
}

describe('dph train: checkpoint folders are swapped in whole (issue 13.7)', () => {
	const out = join(root, 'run');
	const seedOf = () => JSON.parse(readFileSync(join(out, 'training_config.json'), 'utf8')).seed;

	it('kill -9 during model.safetensors, during metrics.jsonl or between the renames: the seed-1 folder stays whole and loads', async () => {
		expect(dph(train(out, 1)).status).toBe(0);
		const weights = sha(join(out, 'model.safetensors'));
		for (const point of ['model.safetensors', 'metrics.jsonl', 'swap']) {
			const { child, paused } = await startPaused(out, 2, point);
			await kill9(child);
			expect({ point, paused }).toEqual({ point, paused: true });
			// Between the renames the folder is aside as .run.old-…; the reader puts it back.
			const folder = await dirFolder(out);
			expect(sha(join(out, 'model.safetensors'))).toBe(weights);
			expect(seedOf()).toBe(1);
			expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).not.toBe('');
			const ck = await loadCheckpointTensors(tf, folder);
			expect(ck.card.parameters).toBeGreaterThan(0);
			ck.dispose();
		}
		// The killed writers' temporaries are removed by the next writer, which replaces the folder whole.
		expect(readdirSync(root).some((n) => n.startsWith('.run.tmp-'))).toBe(true);
		expect(dph(train(out, 2)).status).toBe(0);
		expect(seedOf()).toBe(2);
		expect(sha(join(out, 'model.safetensors'))).not.toBe(weights);
		expect(readdirSync(root).filter((n) => n.startsWith('.run.'))).toEqual([]);
	}, 300_000);

	it('--out naming a folder that holds other things is refused before training, and the folder is untouched', () => {
		const other = join(root, 'notes');
		rmSync(other, { recursive: true, force: true });
		spawnSync('mkdir', ['-p', other]);
		writeFileSync(join(other, 'thesis.tex'), 'keep me');
		const r = dph(train(other, 1));
		expect(r.status).toBe(2);
		expect(r.stderr).toMatch(/holds "thesis.tex", which is not part of the checkpoint/);
		expect(readdirSync(other)).toEqual(['thesis.tex']);
		expect(existsSync(join(other, 'model.safetensors'))).toBe(false);
	}, 60_000);
});

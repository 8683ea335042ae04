/**
 * Issue 15.1: training from a checkpoint folder. One small run writes folder A (real files in a temp dir, cpu
 * backend); the rest start from it, through `dph train --from` and through loadStart + DPHTrainer in-process.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/lib/dph/checkpoint/safetensors';
import { resolveTrainConfig } from '../../src/lib/dph/train/config';
import { loadStart, StartError } from '../../src/lib/dph/train/start';
import { DPHTrainer } from '../../src/lib/dph/train/trainer';
import { dirFolder } from '../../src/node/checkpoint-folder';

const root = mkdtempSync(join(tmpdir(), 'dph-train-from-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dph = (args: string[]) => spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8' });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
const metrics = (dir: string) =>
	readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map((l) => JSON.parse(l));

// Small enough that each run takes seconds; A's own config, so an in-process trainer can repeat its validation.
const small = { data: { trainPairs: 32, validationPairs: 8 }, batchSize: 4, evalEvery: 100 };
const cfgA = resolveTrainConfig({ ...small, steps: 3, optim: { warmupSteps: 0 }, seed: 1 });
const A = join(root, 'A');

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	const file = join(root, 'a.json');
	writeFileSync(file, JSON.stringify({ ...small, optim: { warmupSteps: 0 } }));
	const r = dph(['train', file, '--steps', '3', '--seed', '1', '--backend', 'cpu', '--out', A, '--json']);
	expect(r.status, r.stderr).toBe(0);
	expect(lastJson(r.stdout).from).toBeNull();
}, 120_000);

describe('training from a checkpoint (issue 15.1)', () => {
	it('starts from A bit for bit: export before any step is A, and validation repeats A’s final metrics', async () => {
		const start = await loadStart(tf, dirFolder, A);
		const t = new DPHTrainer(tf, { ...cfgA, from: A }, start);
		try {
			expect(t.from).toBe(A);
			const files = await t.export();
			expect(Buffer.from(files['model.safetensors']).equals(readFileSync(join(A, 'model.safetensors')))).toBe(true);
			expect(files['config.json']).toBe(readFileSync(join(A, 'config.json'), 'utf8'));
			expect(files['tokenizer.json']).toBe(readFileSync(join(A, 'tokenizer.json'), 'utf8'));
			expect(files['tokenizer_config.json']).toBe(readFileSync(join(A, 'tokenizer_config.json'), 'utf8'));
			const v = await t.evaluate();
			const last = metrics(A)
				.filter((m) => m.kind === 'validation')
				.at(-1);
			// Only the cDPO loss may differ: A's reference was its random initialisation, this run's is A itself.
			for (const k of ['dphLoss', 'dphAccuracy', 'logprobAccuracy', 'rewardChosen', 'rewardRejected', 'margin']) {
				expect(v[k as keyof typeof v], k).toBe(last[k]);
			}
			expect(v.dpoLoss).toBeCloseTo(Math.LN2, 6);
		} finally {
			t.dispose();
		}
	}, 60_000);

	it('dph train --from A: another seed and task continue from A, the reference is A (cDPO log 2 at step 1)', () => {
		const file = join(root, 'b.json');
		// model.preset is overridden by A's config.json, and the run says so.
		writeFileSync(
			file,
			JSON.stringify({ ...small, model: { preset: 'tiny' }, data: { ...small.data, task: 'arithmetic' } }),
		);
		const B = join(root, 'B');
		const r = dph([
			'train',
			file,
			'--from',
			A,
			'--steps',
			'2',
			'--seed',
			'7',
			'--backend',
			'cpu',
			'--out',
			B,
			'--json',
		]);
		expect(r.status, r.stderr).toBe(0);
		expect(r.stderr).toMatch(/warning: model\.preset is ignored: the model comes from the config\.json of .*A/);
		const j = lastJson(r.stdout);
		expect(j.from).toBe(A);
		expect(readFileSync(join(B, 'config.json'), 'utf8')).toBe(readFileSync(join(A, 'config.json'), 'utf8'));
		expect(JSON.parse(readFileSync(join(B, 'training_config.json'), 'utf8')).from).toBe(A);
		// Policy and reference are both A before the first update, so every log-ratio is 0 and the cDPO loss is log 2.
		const first = metrics(B)[0];
		expect(first.kind).toBe('train');
		expect(first.dpoLoss).toBeCloseTo(Math.LN2, 6);
	}, 120_000);

	it('a separate reference (refFrom) is used: the step-1 cDPO loss is no longer log 2', async () => {
		const B = join(root, 'B');
		const cfg = { ...cfgA, seed: 3, from: A, refFrom: B };
		const t = new DPHTrainer(tf, cfg, await loadStart(tf, dirFolder, A, B));
		try {
			const m = await t.step();
			expect(Math.abs(m.dpoLoss - Math.LN2)).toBeGreaterThan(1e-4);
		} finally {
			t.dispose();
		}
	}, 60_000);

	it('from A with trainable "heads": every non-head tensor of the export is A’s, bit for bit', async () => {
		const t = new DPHTrainer(tf, { ...cfgA, seed: 5, from: A, trainable: 'heads' }, await loadStart(tf, dirFolder, A));
		try {
			await t.step();
			const tensors = (b: Uint8Array) => readSafetensors(b).tensors;
			const before = new Map(tensors(readFileSync(join(A, 'model.safetensors'))).map((x) => [x.name, x.data]));
			const after = tensors((await t.export())['model.safetensors']);
			// Bit patterns, so -0 vs 0 or a changed NaN payload would count as a change.
			const same = (x: { name: string; data: Float32Array }) => {
				const a = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length);
				const d = before.get(x.name) ?? new Float32Array();
				const b = new Uint32Array(d.buffer, d.byteOffset, d.length);
				return a.length === b.length && a.every((v, k) => v === b[k]);
			};
			const head = (n: string) => n.startsWith('pooler_pipeline.') || n.startsWith('reward_heads.');
			const frozen = after.filter((x) => !head(x.name));
			expect(frozen.length).toBe(t.frozenNames.length);
			for (const x of frozen) expect(same(x), x.name).toBe(true);
			expect(after.some((x) => head(x.name) && !same(x))).toBe(true);
		} finally {
			t.dispose();
		}
	}, 60_000);

	it('a folder that fails to load is an error naming it and what the loader found', async () => {
		const r = dph([
			'train',
			'--from',
			join(root, 'nope'),
			'--steps',
			'2',
			'--backend',
			'cpu',
			'--out',
			join(root, 'X'),
		]);
		expect(r.status).toBe(2);
		expect(r.stderr).toMatch(/dph: from ".*nope": the checkpoint could not be loaded: no such checkpoint folder/);
		expect(r.stderr.split(join(root, 'nope')).length - 1, 'the folder is named once').toBe(1);
		const bad = join(root, 'bad');
		mkdirSync(bad);
		writeFileSync(join(bad, 'config.json'), '{');
		const e = await loadStart(tf, dirFolder, bad).catch((x) => x);
		expect(e).toBeInstanceOf(StartError);
		expect(e.message).toMatch(/^from ".*bad": the checkpoint could not be loaded: config\.json is not valid JSON/);
		// A config naming `from` that nobody loaded must not quietly train a random model.
		expect(() => new DPHTrainer(tf, { ...cfgA, from: bad })).toThrow(/from ".*bad": the checkpoint was not loaded/);
	}, 60_000);
});

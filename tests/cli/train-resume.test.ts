/**
 * Issues 15.7 and 15.8 through `dph train` (in-process, cpu backend, real folders): `--resume` continues a run
 * exactly, a resumed config may only grow steps, `--dtype f16|bf16` writes a checkpoint that scores like its F32
 * source, and training_config.json records the provenance.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { runTraining } from '../../src/cli/train-run';
import { loadCheckpointTensors } from '../../src/lib/dph/checkpoint/load';
import { readSafetensors } from '../../src/lib/dph/checkpoint/safetensors';
import { makeTask } from '../../src/lib/dph/data';
import { scoreItems } from '../../src/lib/dph/score';
import { resolveTrainConfig } from '../../src/lib/dph/train/config';
import { DPHTrainer } from '../../src/lib/dph/train/trainer';
import { dirFolder } from '../../src/node/checkpoint-folder';
import { capture } from './capture';

const root = mkdtempSync(join(tmpdir(), 'dph-train-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = join(root, 'run.json');
const A = join(root, 'A');
const B = join(root, 'B');
const C = join(root, 'C');

async function dph(...args: string[]) {
	const io = capture();
	const code = await main(['train', ...args, '--backend', 'cpu', '--json'], io);
	return { code, io, json: code === 0 ? JSON.parse(io.out.trim().split('\n').at(-1) ?? 'null') : null };
}
const bytes = (dir: string, f = 'model.safetensors') => readFileSync(join(dir, f));
const json = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const trainLosses = (dir: string) =>
	readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map((l) => JSON.parse(l))
		.filter((m) => m.kind === 'train')
		.map((m) => [m.step, m.loss, m.lr, m.gradNorm]);

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	// A constant learning rate (no warm-up, no cooldown), so a run whose steps grow on resume follows the schedule a
	// straight run of the new length does; dropout, cDPO and prior regularization are on.
	writeFileSync(
		file,
		JSON.stringify({
			data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
			batchSize: 2,
			evalEvery: 100,
			optim: { warmupSteps: 0, minLrRatio: 1 },
		}),
	);
	const a = await dph(file, '--steps', '3', '--out', A);
	expect(a.code, a.io.err).toBe(0);
}, 120_000);

describe('dph train --resume (issue 15.7)', () => {
	it('3 steps + --resume to 5 = 5 straight steps: same model.safetensors bytes and per-step losses', async () => {
		const b = await dph('--resume', A, '--steps', '5', '--out', B);
		expect(b.code, b.io.err).toBe(0);
		expect(b.io.err).toMatch(/resuming at step 3 of /);
		expect(b.json.resumed_from).toEqual({ path: A, step: 3 });
		const c = await dph(file, '--steps', '5', '--out', C);
		expect(c.code, c.io.err).toBe(0);
		expect(bytes(B).equals(bytes(C))).toBe(true);
		expect(trainLosses(B)).toEqual(trainLosses(C));
		expect(trainLosses(B).map((l) => l[0])).toEqual([1, 2, 3, 4, 5]);
		// The weights moved, so the equality is not of two untouched folders.
		expect(bytes(A).equals(bytes(C))).toBe(false);
		expect(json(B, 'trainer_state.json').step).toBe(5);
		expect(json(B, 'training_config.json').provenance.resumed_from).toEqual({ path: A, step: 3 });
	}, 120_000);

	it('a run from a checkpoint (cached frozen-backbone heads) resumes exactly; a changed from is refused', async () => {
		const S = join(root, 'S');
		cpSync(C, S, { recursive: true });
		const heads = join(root, 'heads.json');
		writeFileSync(
			heads,
			JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), trainable: 'heads', objective: { dpoWeight: 0 } }),
		);
		const [H1, H2, H] = ['H1', 'H2', 'H'].map((n) => join(root, n));
		const one = await dph(heads, '--from', S, '--steps', '1', '--out', H1);
		expect(one.code, one.io.err).toBe(0);
		expect(one.io.err).toMatch(/backbone cached/);
		const resumed = await dph('--resume', H1, '--steps', '2', '--out', H2);
		expect(resumed.code, resumed.io.err).toBe(0);
		const straight = await dph(heads, '--from', S, '--steps', '2', '--out', H);
		expect(straight.code, straight.io.err).toBe(0);
		expect(bytes(H2).equals(bytes(H))).toBe(true);
		expect(bytes(H2).equals(bytes(H1))).toBe(false);
		// The starting checkpoint's weights are replaced: the reference and frozen tensors would no longer be the run's.
		writeFileSync(join(S, 'model.safetensors'), bytes(A));
		const changed = await dph('--resume', H1, '--steps', '2', '--out', join(root, 'X'));
		expect(changed.code).toBe(2);
		expect(changed.io.err).toMatch(
			/--resume: from ".*S" has changed since the run began: its model.safetensors has sha256/,
		);
	}, 120_000);

	it('a JSONL run resumes when given its file again (--data), and only that file', async () => {
		const lines = (w: string) =>
			Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `q${i}`, chosen: w, rejected: 'no' })).join('\n');
		const [yes, other] = [join(root, 'yes.jsonl'), join(root, 'other.jsonl')];
		writeFileSync(yes, lines('yes'));
		writeFileSync(other, lines('sure'));
		const J = join(root, 'J');
		const j = await dph(file, '--data', yes, '--steps', '1', '--out', J);
		expect(j.code, j.io.err).toBe(0);
		const missing = await dph('--resume', J, '--steps', '2', '--out', join(root, 'X'));
		expect(missing.code).toBe(2);
		expect(missing.io.err).toMatch(/trained on a JSONL file \(sha256 [0-9a-f]{64}\).*give it again \(--data FILE/);
		const wrong = await dph('--resume', J, '--data', other, '--steps', '2', '--out', join(root, 'X'));
		expect(wrong.code).toBe(2);
		expect(wrong.io.err).toMatch(/data\.jsonl is not the JSONL the run being resumed/);
		const right = await dph('--resume', J, '--data', yes, '--steps', '2', '--out', join(root, 'J2'));
		expect(right.code, right.io.err).toBe(0);
		expect(right.json.resumed_from.step).toBe(1);
	}, 60_000);

	it('a resumed run may not change what it trains on; each error names the field', async () => {
		const cases: [string[], RegExp][] = [
			[['--seed', '9'], /--resume .*: seed is 9 here but 1 in the run being resumed/],
			[['--trainable', 'heads'], /trainable is "heads" here but "all"/],
			[['--steps', '2'], /steps \(2\) must be more than the step the checkpoint holds \(3\)/],
		];
		for (const [flags, message] of cases) {
			const r = await dph('--resume', A, ...flags, '--out', join(root, 'X'));
			expect(r.code, flags.join(' ')).toBe(2);
			expect(r.io.err).toMatch(message);
		}
		const other = join(root, 'other.json');
		writeFileSync(other, JSON.stringify({ batchSize: 4, steps: 6 }));
		const r = await dph(other, '--resume', A, '--out', join(root, 'X'));
		expect(r.code).toBe(2);
		expect(r.io.err).toMatch(/batchSize is 4 here but 2 in the run being resumed/);
		const none = await dph('--resume', root, '--steps', '5', '--out', join(root, 'X'));
		expect(none.code).toBe(2);
		expect(none.io.err).toMatch(/has no trainer_state.json/);
	}, 60_000);
});

describe('dph train --dtype and provenance (issue 15.8)', () => {
	it('training_config.json records the source, the freezing and the final metrics', () => {
		const p = json(A, 'training_config.json');
		expect(p.seed).toBe(1);
		expect(p.provenance.from).toBeNull();
		expect(p.provenance.freezing).toEqual({
			trainable: 'all',
			frozen: [],
			trainable_embeddings: true,
			frozen_tensors: 0,
		});
		expect(p.provenance.dtype).toBe('F32');
		const lastValidation = readFileSync(join(A, 'metrics.jsonl'), 'utf8')
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l))
			.filter((m) => m.kind === 'validation')
			.at(-1);
		expect(p.provenance.final_metrics).toEqual({ ...lastValidation, kind: undefined });
	});

	it('--from records the path and the sha256 of its model.safetensors', async () => {
		const D = join(root, 'D');
		const d = await dph(file, '--from', C, '--trainable', 'heads', '--steps', '1', '--out', D);
		expect(d.code, d.io.err).toBe(0);
		const p = json(D, 'training_config.json').provenance;
		const { createHash } = await import('node:crypto');
		expect(p.from).toEqual({ path: C, sha256: createHash('sha256').update(bytes(C)).digest('hex') });
		expect(p.freezing.trainable).toBe('heads');
		expect(p.freezing.frozen_tensors).toBeGreaterThan(10);
		expect(p.freezing.frozen_tensors).toBe(d.json.frozen_tensors);
	}, 60_000);

	it('f16 scores within 2e-2 of its F32 source; bf16 round-trips through the loader', async () => {
		// The same resumed steps as B, exported in 16 bits: the F32 source of both is B.
		const F16 = join(root, 'F16');
		const BF16 = join(root, 'BF16');
		for (const [dtype, out] of [
			['f16', F16],
			['bf16', BF16],
		]) {
			const r = await dph('--resume', A, '--steps', '5', '--dtype', dtype, '--out', out);
			expect(r.code, r.io.err).toBe(0);
			expect(r.json.dtype).toBe(dtype.toUpperCase());
		}
		const src = readSafetensors(bytes(B)).tensors;
		const half = readSafetensors(bytes(F16)).tensors;
		expect(new Set(half.map((t) => t.dtype))).toEqual(new Set(['F16']));
		expect(bytes(F16).byteLength).toBeLessThan(bytes(B).byteLength * 0.6);
		const bf = new Map(readSafetensors(bytes(BF16)).tensors.map((t) => [t.name, t]));
		for (const t of src) {
			const got = bf.get(t.name)!;
			expect(got.dtype).toBe('BF16');
			// BF16 keeps the top 16 bits of each float32, rounded: relative error at most 2^-8 (half a unit in the 8th bit).
			for (let i = 0; i < t.data.length; i++) {
				expect(Math.abs(got.data[i] - t.data[i])).toBeLessThanOrEqual(Math.abs(t.data[i]) * 2 ** -8);
			}
		}
		const items = makeTask('echo', { n: 6, seed: 77, noise: 0, difficulty: 1 }).items;
		const score = async (dir: string) => {
			const ck = await loadCheckpointTensors(tf, await dirFolder(dir));
			try {
				const s = await scoreItems(tf, ck, items);
				return s.flatMap((x) => [...(x.rewards ?? []), ...x.logprobs]);
			} finally {
				ck.dispose();
			}
		};
		const ref = await score(B);
		const scale = Math.max(...ref.map(Math.abs));
		for (const dir of [F16, BF16]) {
			const got = await score(dir);
			const worst = Math.max(...got.map((g, i) => Math.abs(g - ref[i])));
			expect(worst / scale, dir).toBeLessThan(2e-2);
			expect(worst, dir).toBeGreaterThan(0);
		}
	}, 120_000);

	it('--dtype f16 with a weight beyond the F16 range: a warning naming it, and the folder is written in F32', async () => {
		const cfg = resolveTrainConfig({
			data: { trainPairs: 4, validationPairs: 2, maxLen: 32 },
			batchSize: 2,
			steps: 1,
			optim: { warmupSteps: 0 },
			trainable: 'heads',
			exportDtype: 'f16',
		});
		const t = new DPHTrainer(tf, cfg);
		// Frozen (trainable heads), so it is still 1e5 at export.
		const w = t.params['model.input_norm.weight'];
		const big = tf.tidy(() => tf.fill(w.shape, 1e5));
		w.assign(big);
		big.dispose();
		const io = capture();
		const out = join(root, 'big');
		expect(await runTraining(t, cfg, out, io, 'cpu'), io.err).toBe(0);
		expect(io.err).toMatch(
			/warning: --dtype f16: model\.input_norm\.weight has \|value\| up to 100000, beyond 65504.*bf16.*f32.*written as F32 instead/,
		);
		expect(JSON.parse(io.out).dtype).toBe('F32');
		const saved = readSafetensors(bytes(out)).tensors;
		expect(new Set(saved.map((x) => x.dtype))).toEqual(new Set(['F32']));
		expect(saved.find((x) => x.name === 'model.input_norm.weight')?.data[0]).toBe(1e5);
		expect(json(out, 'training_config.json').provenance.dtype).toBe('F32');
	}, 60_000);
});

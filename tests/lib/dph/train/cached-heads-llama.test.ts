import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headsFilesFor } from '../../../../src/lib/dph/checkpoint/dph-heads';
import { loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import type { MultipleChoiceItem } from '../../../../src/lib/dph/data/types';
import { scoreItems } from '../../../../src/lib/dph/score';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { loadStart } from '../../../../src/lib/dph/train/start';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { hfTokenizerFolder, hfTokenizerVocab } from '../../../fixtures/hf-tokenizer';
import { writeLlamaCheckpoint } from '../../../fixtures/llama-checkpoint';

const dirs: string[] = [];
let baseDir: string;

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	const f = writeLlamaCheckpoint({
		vocabSize: hfTokenizerVocab('qwen2'),
		tokenizer: (dir) => {
			for (const [n, v] of Object.entries(hfTokenizerFolder('qwen2'))) writeFileSync(join(dir, n), v);
		},
	});
	baseDir = f.dir;
	dirs.push(baseDir);
});
afterAll(() => {
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cfgOf = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 3,
		batchSize: 3,
		accumulate: 2,
		evalEvery: 3,
		from: baseDir,
		trainable: 'heads',
		data: { trainPairs: 12, validationPairs: 4 },
		objective: { dpoWeight: 0 },
		optim: { lr: 2e-2, warmupSteps: 1 },
		heads: { reinit: 'pooler+head', pooler: 'swiglu_bert', name: 'task', ...extra },
	});

async function run(cfg: ReturnType<typeof resolveTrainConfig>) {
	const before = tf.memory().numTensors;
	const t = new DPHTrainer(tf, cfg, await loadStart(tf, dirFolder, baseDir));
	const steps = [];
	for (let i = 0; i < cfg.steps; i++) steps.push(await t.step());
	const ev = await t.evaluate();
	const weights = await t.weights();
	const cached = t.cache !== null;
	return { t, steps, ev, weights, cached, before };
}

function expectClose(a: number, b: number, what: string) {
	expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
}

const items: MultipleChoiceItem[] = [
	{
		messages: [{ role: 'user', content: 'what is the answer?' }],
		candidates: ['hello there', 'the user', 'abc'],
		label: 0,
	},
];

describe("DPH heads on a frozen Llama-family backbone (the paper's Table 6 set-up)", () => {
	it('cached features equal running the backbone every step; saved heads reload beside the base and score identically', async () => {
		const cached = await run(cfgOf());
		const full = await run(cfgOf({ cache: false }));
		try {
			expect(cached.cached).toBe(true);
			expect(full.cached).toBe(false);
			cached.steps.forEach((s, i) => {
				for (const k of ['loss', 'dphLoss', 'gradNorm', 'rewardChosen', 'rewardRejected'] as const) {
					expectClose(s[k], full.steps[i][k], `step ${i + 1} ${k}`);
				}
			});
			expect(cached.steps[0].loss).not.toBe(cached.steps[2].loss);
			for (const k of ['dphLoss', 'dphAccuracy', 'rewardChosen', 'rewardRejected'] as const) {
				expectClose(cached.ev[k], full.ev[k], `evaluation ${k}`);
			}
			const byName = new Map(full.weights.map((w) => [w.name, w]));
			for (const w of cached.weights) {
				const o = byName.get(w.name)!;
				let worst = 0;
				for (let j = 0; j < w.data.length; j++) worst = Math.max(worst, Math.abs(w.data[j] - o.data[j]));
				expect(worst, w.name).toBeLessThanOrEqual(1e-5);
			}

			// Save the heads format, beside (not in) the base folder, and reload the two together.
			const t = cached.t;
			const baseBefore = Object.fromEntries(readdirSync(baseDir).map((n) => [n, readFileSync(join(baseDir, n))]));
			const files = await headsFilesFor(await dirFolder(baseDir), t.modelConfig, cached.weights, t.tokenizer, baseDir);
			const headsDir = mkdtempSync(join(tmpdir(), 'dph-llama-heads-'));
			dirs.push(headsDir);
			for (const [n, v] of Object.entries(files)) writeFileSync(join(headsDir, n), v);
			expect(readdirSync(headsDir).sort()).toEqual(['dph_config.json', 'dph_heads.safetensors']);
			const ck = await loadCheckpointTensors(tf, await dirFolder(baseDir), { heads: await dirFolder(headsDir) });
			try {
				expect(ck.config.reward_heads).toEqual(['task']);
				const live = await scoreItems(tf, { config: t.modelConfig, params: t.params, tokenizer: t.tokenizer }, items);
				const reloaded = await scoreItems(tf, ck, items);
				expect(reloaded[0].rewards).toEqual(live[0].rewards);
				expect(reloaded[0].logprobs).toEqual(live[0].logprobs);
				expect(new Set(live[0].rewards).size).toBe(3);
			} finally {
				ck.dispose();
			}
			// The base folder is byte-for-byte what it was.
			const after = Object.fromEntries(readdirSync(baseDir).map((n) => [n, readFileSync(join(baseDir, n))]));
			expect(Object.keys(after).sort()).toEqual(Object.keys(baseBefore).sort());
			for (const [n, v] of Object.entries(after)) expect(v.equals(baseBefore[n]), n).toBe(true);
		} finally {
			cached.t.dispose();
			full.t.dispose();
		}
		expect(tf.memory().numTensors).toBe(cached.before);
	}, 120_000);

	it('other trainable modes are refused for a Llama-family base, by name', async () => {
		const cfg = { ...cfgOf(), trainable: 'all' as const };
		await expect(async () => new DPHTrainer(tf, cfg, await loadStart(tf, dirFolder, baseDir))).rejects.toThrow(
			/Training other than --trainable heads works with LSWT checkpoints only so far; this is a llama model/,
		);
	});
});

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DphHeadsConfig, dphHeadsFiles } from '../../../../src/lib/dph/checkpoint/dph-heads';
import { CheckpointError, loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import type { TensorEntry } from '../../../../src/lib/dph/checkpoint/safetensors';
import { encodeCandidate } from '../../../../src/lib/dph/data/chatml';
import type { MultipleChoiceItem } from '../../../../src/lib/dph/data/types';
import { hiddenStates } from '../../../../src/lib/dph/model/llama';
import type { LlamaConfig } from '../../../../src/lib/dph/model/llama-config';
import { scoreItems } from '../../../../src/lib/dph/score';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { hfTokenizerFolder, hfTokenizerVocab } from '../../../fixtures/hf-tokenizer';
import { writeLlamaCheckpoint } from '../../../fixtures/llama-checkpoint';
import { writeFixture } from './fixtures';

const dirs: string[] = [];
const tmp = () => {
	const d = mkdtempSync(join(tmpdir(), 'dph-heads-'));
	dirs.push(d);
	return d;
};
const writeFiles = (dir: string, files: Record<string, string | Uint8Array>) => {
	for (const [n, v] of Object.entries(files)) writeFileSync(join(dir, n), v);
};

function base(kvHeads = 2) {
	const f = writeLlamaCheckpoint({
		kvHeads,
		vocabSize: hfTokenizerVocab('smollm2'),
		tokenizer: (dir) => writeFiles(dir, hfTokenizerFolder('smollm2')),
	});
	dirs.push(f.dir);
	return f;
}

/** BERT pooler (tanh(W x + b)) and two heads on d_model 16, with distinct values. */
function headTensors(): TensorEntry[] {
	const t = (name: string, shape: number[], k: number): TensorEntry => ({
		name,
		shape,
		data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 * Math.sin(k * 37 + i * 1.3)),
	});
	return [
		t('pooler_pipeline.0.weight', [16, 16], 1),
		t('pooler_pipeline.0.bias', [16], 2),
		t('reward_heads.default.weight', [1, 16], 3),
		t('reward_heads.other.weight', [1, 16], 4),
	];
}

function headsConfig(baseDir: string): DphHeadsConfig {
	return {
		format: 'dph-heads/1',
		base: {
			config_sha256: createHash('sha256')
				.update(readFileSync(join(baseDir, 'config.json')))
				.digest('hex'),
			model_type: 'llama',
			path: baseDir,
		},
		d_model: 16,
		d_ffn: 24,
		reward_pooler: 'bert',
		reward_heads: ['default', 'other'],
		reward_dropout: 0,
		reward_position: { kind: 'end_of_turn', token: '<|im_end|>' },
	};
}

const items: MultipleChoiceItem[] = [
	{ messages: [{ role: 'user', content: 'what is the answer?' }], candidates: ['hello there', 'the user'], label: 0 },
];

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});
afterAll(() => {
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a Llama-family base model with DPH heads beside it', () => {
	it('without heads: the chat template, no reward heads, rewards null', async () => {
		const b = base();
		const ck = await loadCheckpointTensors(tf, await dirFolder(b.dir));
		try {
			expect(ck.tokenizer.chat).toBeDefined();
			expect(ck.tokenizer.special.imEnd).toBe(2);
			expect(ck.config.reward_heads).toBeNull();
			expect(ck.dphHeads).toBeNull();
			const [s] = await scoreItems(tf, ck, items);
			expect(s.rewards).toBeNull();
			expect(s.logprobs.every(Number.isFinite)).toBe(true);
		} finally {
			ck.dispose();
		}
	});

	it('--heads DIR: rewards equal an independent pooler + head computation on the hidden state', async () => {
		const b = base();
		const headsDir = tmp();
		writeFiles(headsDir, dphHeadsFiles(headsConfig(b.dir), headTensors()));
		const before = tf.memory().numTensors;
		const ck = await loadCheckpointTensors(tf, await dirFolder(b.dir), { heads: await dirFolder(headsDir) });
		try {
			expect(ck.config.reward_heads).toEqual(['default', 'other']);
			expect(ck.card.rewardHeads).toEqual(['default', 'other']);
			expect(ck.card.pooler).toBe('bert');
			expect(ck.notes.join('\n')).toMatch(/DPH heads default, other \(bert pooler\) from .*dph_heads\.safetensors/);
			const [s] = await scoreItems(tf, ck, items);
			const [w, bias, head] = headTensors().map((t) => Array.from(t.data));
			items[0].candidates.forEach((cand, k) => {
				const seq = encodeCandidate(ck.tokenizer, items[0].messages, cand);
				const h = tf.tidy(() =>
					hiddenStates(tf, ck.config as LlamaConfig, ck.params, tf.tensor2d([seq.ids], undefined, 'int32')),
				);
				const row = (h.arraySync() as number[][][])[0][seq.rewardIndex];
				h.dispose();
				// float64: pooled = tanh(W·h + b), reward = head·pooled.
				const pooled = Array.from({ length: 16 }, (_, i) =>
					Math.tanh(bias[i] + row.reduce((a, x, j) => a + w[i * 16 + j] * x, 0)),
				);
				const want = pooled.reduce((a, x, i) => a + head[i] * x, 0);
				expect(s.rewards![k]).toBeCloseTo(want, 4);
			});
			// The second head is scored on request.
			const [o] = await scoreItems(tf, ck, items, { head: 'other' });
			expect(o.rewards![0]).not.toBeCloseTo(s.rewards![0], 3);
		} finally {
			ck.dispose();
		}
		expect(tf.memory().numTensors).toBe(before);
	});

	it('heads sitting in the base folder load the same; the base files are not touched by loading', async () => {
		const b = base();
		const combined = tmp();
		cpSync(b.dir, combined, { recursive: true });
		writeFiles(combined, dphHeadsFiles(headsConfig(b.dir), headTensors()));
		const headsDir = tmp();
		writeFiles(headsDir, dphHeadsFiles(headsConfig(b.dir), headTensors()));
		const a = await loadCheckpointTensors(tf, await dirFolder(combined));
		const c = await loadCheckpointTensors(tf, await dirFolder(b.dir), { heads: await dirFolder(headsDir) });
		try {
			const [sa] = await scoreItems(tf, a, items);
			const [sc] = await scoreItems(tf, c, items);
			expect(sa.rewards).toEqual(sc.rewards);
			expect(sa.logprobs).toEqual(sc.logprobs);
		} finally {
			a.dispose();
			c.dispose();
		}
	});

	it("refuses heads trained on another base model's config.json, as a CheckpointError naming both", async () => {
		const b = base();
		const other = base(4);
		const headsDir = tmp();
		writeFiles(headsDir, dphHeadsFiles(headsConfig(b.dir), headTensors()));
		const err = await loadCheckpointTensors(tf, await dirFolder(other.dir), { heads: await dirFolder(headsDir) }).catch(
			(e) => e,
		);
		expect(err).toBeInstanceOf(CheckpointError);
		expect(err.message).toContain(headsConfig(b.dir).base.config_sha256);
		expect(err.message).toContain(headsConfig(other.dir).base.config_sha256);
	});

	it('--heads with an LSWT checkpoint is refused', async () => {
		const f = await writeFixture({ seed: 3 });
		dirs.push(f.dir);
		const headsDir = tmp();
		writeFiles(headsDir, { 'dph_config.json': '{}' });
		await expect(
			loadCheckpointTensors(tf, await dirFolder(f.dir), { heads: await dirFolder(headsDir) }),
		).rejects.toThrow(/an LSWT checkpoint keeps its heads in model\.safetensors/);
	});
});

import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { familyOf } from '../../../../src/lib/dph/model/family';
import { disposeCache } from '../../../../src/lib/dph/model/kv-cache';
import type { LlamaConfig } from '../../../../src/lib/dph/model/llama-config';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { type LlamaFixtureOptions, writeLlamaCheckpoint } from '../../../fixtures/llama-checkpoint';
import { type M, reference } from './llama-reference';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const loaded: LoadedCheckpoint[] = [];
const dirs: string[] = [];
async function load(opts: LlamaFixtureOptions) {
	const f = writeLlamaCheckpoint(opts);
	dirs.push(f.dir);
	const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir));
	loaded.push(ck);
	return { f, ck };
}
afterAll(() => {
	for (const ck of loaded) ck.dispose();
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function logitsOf(ck: LoadedCheckpoint, ids: number[]): number[][] {
	const fam = familyOf(ck.config);
	const lg = tf.tidy(() => {
		const h = fam.hiddenStates(tf, ck.config, ck.params, tf.tensor2d([ids], [1, ids.length], 'int32'));
		return fam.logits(tf, ck.config, ck.params, h);
	});
	const out = (lg.arraySync() as number[][][])[0];
	lg.dispose();
	return out;
}

const ids = [3, 17, 5, 40, 2, 9, 33];
const maxDiff = (a: M, b: M) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i][j]))));

describe('Llama family forward', () => {
	for (const [what, opts] of [
		['llama, grouped-query attention (2 KV heads for 4), untied lm_head', { kvHeads: 2 }],
		['llama, one KV head, tied lm_head', { kvHeads: 1, tie: true }],
		['llama, plain multi-head (4 KV heads)', { kvHeads: 4 }],
		['qwen2: q/k/v biases, GQA', { modelType: 'qwen2', kvHeads: 2 }],
	] as [string, LlamaFixtureOptions][]) {
		it(`logits match an independent float64 forward: ${what}`, async () => {
			const { f, ck } = await load(opts);
			expect(ck.card.family).toBe('llama');
			if (opts.modelType === 'qwen2') expect(ck.params['model.layers.0.self_attn.q_proj.bias']).toBeDefined();
			if (opts.tie) expect(ck.params['lm_head.weight']).toBeUndefined();
			const before = tf.memory().numTensors;
			const got = logitsOf(ck, ids);
			expect(tf.memory().numTensors).toBe(before);
			const want = reference(ck.config as LlamaConfig, f, ids).logits;
			const scale = Math.max(...want.flat().map(Math.abs));
			expect(scale).toBeGreaterThan(0.5);
			expect(maxDiff(got, want)).toBeLessThan(1e-4 * Math.max(1, scale));
		});
	}

	it('sharded safetensors read through the index equal the single-file load', async () => {
		const one = await load({ seed: 5 });
		const three = await load({ seed: 5, shards: 3, dtype: 'BF16' });
		const single = await load({ seed: 5, dtype: 'BF16' });
		expect(three.ck.card.shards).toHaveLength(3);
		expect(three.ck.card.dtypes).toEqual(['BF16']);
		expect(Object.keys(three.ck.params).sort()).toEqual(Object.keys(single.ck.params).sort());
		for (const k of Object.keys(single.ck.params)) {
			expect(three.ck.params[k].dataSync()).toEqual(single.ck.params[k].dataSync());
		}
		expect(logitsOf(three.ck, ids)).toEqual(logitsOf(single.ck, ids));
		// BF16 storage changes the logits a little, not a lot: the shards hold the same model.
		expect(maxDiff(logitsOf(three.ck, ids), logitsOf(one.ck, ids))).toBeLessThan(0.5);
	});

	it('cached decoding (extendHidden) equals the full forward', async () => {
		const { ck } = await load({ modelType: 'qwen2', kvHeads: 2, seed: 3 });
		const fam = familyOf(ck.config);
		const before = tf.memory().numTensors;
		const full = tf.tidy(() =>
			fam.hiddenStates(tf, ck.config, ck.params, tf.tensor2d([ids, ids.slice().reverse()], undefined, 'int32')),
		);
		const x1 = tf.tensor2d([ids.slice(0, 4), ids.slice().reverse().slice(0, 4)], undefined, 'int32');
		const a = fam.extendHidden(tf, ck.config, ck.params, x1, null);
		const parts = [a.hidden];
		let cache = a.cache;
		for (let t = 4; t < ids.length; t++) {
			const x = tf.tensor2d([[ids[t]], [ids[ids.length - 1 - t]]], undefined, 'int32');
			const s = fam.extendHidden(tf, ck.config, ck.params, x, cache);
			disposeCache(cache);
			cache = s.cache;
			parts.push(s.hidden);
			x.dispose();
		}
		expect(cache.layers[0].k.shape).toEqual([2, 2, ids.length, 4]); // KV heads, not query heads, are cached
		const joined = tf.concat(parts, 1);
		const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(joined, full))).dataSync()[0]);
		expect(diff).toBeLessThan(1e-5);
		tf.dispose([...parts, joined, full, x1]);
		disposeCache(cache);
		expect(tf.memory().numTensors).toBe(before);
	});
});

describe('Llama checkpoint errors', () => {
	const fails = async (opts: LlamaFixtureOptions, ...parts: (string | RegExp)[]) => {
		const f = writeLlamaCheckpoint(opts);
		dirs.push(f.dir);
		const before = tf.memory().numTensors;
		const err = await loadCheckpointTensors(tf, await dirFolder(f.dir)).then(
			() => null,
			(e: Error) => e,
		);
		expect(err).not.toBeNull();
		for (const p of parts) expect(err?.message).toMatch(p);
		expect(tf.memory().numTensors).toBe(before);
	};
	it('an unknown model_type lists the supported ones', () =>
		fails(
			{ edit: (c) => ({ ...c, model_type: 'mistral', architectures: ['MistralForCausalLM'] }) },
			/"mistral"/,
			/lsw_transformer, llama, qwen2/,
			/MistralForCausalLM/,
		));
	it('an unimplemented rope_scaling type is refused by name', () =>
		fails({ edit: (c) => ({ ...c, rope_scaling: { rope_type: 'llama3', factor: 8 } }) }, /rope_scaling/, /"llama3"/));
	it('a missing size field is named', () => fails({ edit: ({ hidden_size: _, ...c }) => c }, /hidden_size is missing/));
	it('KV heads that do not divide the heads are refused', () =>
		fails(
			{ edit: (c) => ({ ...c, num_key_value_heads: 3 }) },
			/num_key_value_heads \(3\) must divide num_attention_heads \(4\)/,
		));
	it('a sequence-classification architecture is refused', () =>
		fails(
			{ edit: (c) => ({ ...c, architectures: ['LlamaForSequenceClassification'] }) },
			/architectures/,
			/LlamaForCausalLM/,
		));
	it('a wrong-shape tensor is named with both shapes', () =>
		fails(
			{
				tensors: (ts) =>
					ts.map((t) => (t.name === 'model.layers.1.mlp.up_proj.weight' ? { ...t, shape: [16, 24] } : t)),
			},
			/model\.layers\.1\.mlp\.up_proj\.weight is \[16,24\] but the config implies \[24,16\]/,
		));
	it('a missing tensor is named, with the shard layout', () =>
		fails(
			{ shards: 2, tensors: (ts) => ts.filter((t) => t.name !== 'model.norm.weight') },
			/model\.safetensors\.index\.json lacks 1 tensor/,
			/model\.norm\.weight/,
		));
	it('a shard the index names but the folder lacks is named', async () => {
		const f = writeLlamaCheckpoint({ shards: 2 });
		dirs.push(f.dir);
		rmSync(`${f.dir}/model-00002-of-00002.safetensors`);
		await expect(loadCheckpointTensors(tf, await dirFolder(f.dir))).rejects.toThrow(
			/model-00002-of-00002\.safetensors is missing; model\.safetensors\.index\.json puts \d+ tensor/,
		);
	});
});

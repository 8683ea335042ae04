import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { familyOf } from '../../../../src/lib/dph/model/family';
import { disposeCache } from '../../../../src/lib/dph/model/kv-cache';
import type { LlamaConfig } from '../../../../src/lib/dph/model/llama-config';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { type LlamaFixture, type LlamaFixtureOptions, writeLlamaCheckpoint } from '../../../fixtures/llama-checkpoint';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

// ---- An independent float64 forward in plain arrays, written from transformers' modeling_llama.py. ----
type M = number[][];
const byName = (f: LlamaFixture) => new Map(f.tensors.map((t) => [t.name, Array.from(t.data)]));
const mat = (flat: number[], cols: number): M =>
	Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
const lin = (x: M, w: M, b?: number[]) =>
	x.map((row) => w.map((wr, o) => wr.reduce((a, wv, i) => a + wv * row[i], b ? b[o] : 0)));
const rms = (x: M, w: number[], eps: number) =>
	x.map((row) => {
		const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
		return row.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]);
	});
const silu = (g: number) => g / (1 + Math.exp(-g));

/** Logits [S, V] of one sequence. */
function reference(c: LlamaConfig, f: LlamaFixture, ids: number[]): M {
	const P = byName(f);
	const D = c.hidden_size;
	const { num_attention_heads: H, num_key_value_heads: KV, head_dim: Dh } = c;
	const get = (k: string) => P.get(k) as number[];
	const E = mat(get('model.embed_tokens.weight'), D);
	let x: M = ids.map((t) => [...E[t]]);
	const S = ids.length;
	// rotate_half RoPE at positions 0 … S−1
	const rope = (v: number[], pos: number) => {
		const half = Dh / 2;
		return v.map((val, i) => {
			const j = i % half;
			const ang = pos / c.rope_theta ** ((2 * j) / Dh);
			const rot = i < half ? -v[i + half] : v[i - half];
			return val * Math.cos(ang) + rot * Math.sin(ang);
		});
	};
	for (let l = 0; l < c.num_hidden_layers; l++) {
		const b = `model.layers.${l}`;
		const h = rms(x, get(`${b}.input_layernorm.weight`), c.rms_norm_eps);
		const bias = (n: string) => (c.attention_bias ? get(`${b}.self_attn.${n}_proj.bias`) : undefined);
		const q = lin(h, mat(get(`${b}.self_attn.q_proj.weight`), D), bias('q'));
		const k = lin(h, mat(get(`${b}.self_attn.k_proj.weight`), D), bias('k'));
		const v = lin(h, mat(get(`${b}.self_attn.v_proj.weight`), D), bias('v'));
		const out: M = Array.from({ length: S }, () => new Array(H * Dh).fill(0));
		for (let hd = 0; hd < H; hd++) {
			const g = Math.floor(hd / (H / KV)); // repeat_kv
			const qs = q.map((r, s) => rope(r.slice(hd * Dh, (hd + 1) * Dh), s));
			const ks = k.map((r, s) => rope(r.slice(g * Dh, (g + 1) * Dh), s));
			const vs = v.map((r) => r.slice(g * Dh, (g + 1) * Dh));
			for (let i = 0; i < S; i++) {
				const sc = ks.slice(0, i + 1).map((kr) => kr.reduce((a, kv, d) => a + kv * qs[i][d], 0) / Math.sqrt(Dh));
				const m = Math.max(...sc);
				const e = sc.map((s) => Math.exp(s - m));
				const z = e.reduce((a, y) => a + y, 0);
				for (let j = 0; j <= i; j++) for (let d = 0; d < Dh; d++) out[i][hd * Dh + d] += (e[j] / z) * vs[j][d];
			}
		}
		const o = lin(out, mat(get(`${b}.self_attn.o_proj.weight`), H * Dh));
		x = x.map((r, i) => r.map((val, d) => val + o[i][d]));
		const h2 = rms(x, get(`${b}.post_attention_layernorm.weight`), c.rms_norm_eps);
		const gate = lin(h2, mat(get(`${b}.mlp.gate_proj.weight`), D));
		const up = lin(h2, mat(get(`${b}.mlp.up_proj.weight`), D));
		const inner = gate.map((r, i) => r.map((gv, j) => silu(gv) * up[i][j]));
		const down = lin(inner, mat(get(`${b}.mlp.down_proj.weight`), c.intermediate_size));
		x = x.map((r, i) => r.map((val, d) => val + down[i][d]));
	}
	const hN = rms(x, get('model.norm.weight'), c.rms_norm_eps);
	return lin(hN, c.tie_word_embeddings ? E : mat(get('lm_head.weight'), D));
}

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
			const want = reference(ck.config as LlamaConfig, f, ids);
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

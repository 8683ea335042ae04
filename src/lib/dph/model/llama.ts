/**
 * The Llama-family causal language model (Llama, TinyLlama, SmolLM, Qwen1.5/2/2.5) in tfjs — the whole forward pass
 * in one file, with Hugging Face's parameter names and [out, in] weight layout, so their safetensors load unchanged.
 * The DPH pooler and reward heads (reward.ts) sit on the final hidden states, as on LSWT.
 *
 *   x = E[ids] → N × { x += o(attn(RMSNorm x)); x += down(silu(gate(RMSNorm x)) ⊙ up(RMSNorm x)) } → RMSNorm = h
 *   logits = h · W_lmᵀ  (W_lm = E when tie_word_embeddings)         reward = head(pooler(h[reward index]))
 *
 * Shapes: B batch, S new tokens, T = cached + new tokens, D hidden_size, H query heads, KV key/value heads,
 * G = H / KV query heads per key/value head, Dh head_dim.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { mulberry32, normal } from '../random';
import { embed } from '../tfops';
import { extendWithSlots, type KVCache, type KVSlot } from './kv-cache';
import { linear } from './linear';
import type { LlamaConfig } from './llama-config';
import type { ForwardOptions, Params } from './lswt';
import { rewardShapes } from './reward';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** Every parameter name and shape, in Hugging Face's order; lm_head only when it is not tied to the embedding. */
export function parameterShapes(c: LlamaConfig): [string, number[]][] {
	const D = c.hidden_size;
	const q = c.num_attention_heads * c.head_dim;
	const kv = c.num_key_value_heads * c.head_dim;
	const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocab_size, D]]];
	for (let i = 0; i < c.num_hidden_layers; i++) {
		const b = `model.layers.${i}`;
		for (const [p, width] of [
			['q', q],
			['k', kv],
			['v', kv],
		] as const) {
			out.push([`${b}.self_attn.${p}_proj.weight`, [width, D]]);
			if (c.attention_bias) out.push([`${b}.self_attn.${p}_proj.bias`, [width]]);
		}
		out.push([`${b}.self_attn.o_proj.weight`, [D, q]]);
		out.push([`${b}.mlp.gate_proj.weight`, [c.intermediate_size, D]]);
		out.push([`${b}.mlp.up_proj.weight`, [c.intermediate_size, D]]);
		out.push([`${b}.mlp.down_proj.weight`, [D, c.intermediate_size]]);
		out.push([`${b}.input_layernorm.weight`, [D]], [`${b}.post_attention_layernorm.weight`, [D]]);
	}
	out.push(['model.norm.weight', [D]]);
	if (!c.tie_word_embeddings) out.push(['lm_head.weight', [c.vocab_size, D]]);
	out.push(...rewardShapes(c));
	return out;
}

export function countParameters(c: LlamaConfig): number {
	return parameterShapes(c).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

/** Random weights ~ N(0, std) (HF's initializer_range 0.02), norms 1, biases 0, from a seeded JS generator. */
export function initParams(tf: TF, c: LlamaConfig, seed: number, std = 0.02): Params {
	const rand = mulberry32(seed);
	const params: Params = {};
	for (const [name, shape] of parameterShapes(c)) {
		const size = shape.reduce((a, b) => a * b, 1);
		const v = new Float32Array(size);
		if (/(norm|layernorm)\.weight$/.test(name)) v.fill(1);
		else if (!name.endsWith('.bias')) for (let i = 0; i < size; i++) v[i] = std * normal(rand);
		const t = tf.tensor(v, shape);
		params[name] = tf.variable(t, true, name);
		t.dispose();
	}
	return params;
}

/** RMSNorm as HF computes it: x / sqrt(mean(x²) + eps) · w, no mean subtraction, no bias. */
function rmsNorm(tf: TF, x: Tensor, w: Tensor, eps: number): Tensor {
	const ms = tf.mean(tf.square(x), -1, true);
	return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w);
}

/**
 * cos and sin tables [S, Dh] of standard RoPE at absolute positions start … start+S−1: frequency i is
 * rope_theta^(−2i/Dh), duplicated over both halves as HF's `cat(freqs, freqs)` does for rotate_half.
 */
export function ropeTables(c: LlamaConfig, S: number, start = 0): { cos: Float32Array; sin: Float32Array } {
	const Dh = c.head_dim;
	const half = Dh / 2;
	const cos = new Float32Array(S * Dh);
	const sin = new Float32Array(S * Dh);
	for (let s = 0; s < S; s++) {
		for (let i = 0; i < half; i++) {
			const f = (start + s) / c.rope_theta ** ((2 * i) / Dh);
			cos[s * Dh + i] = cos[s * Dh + i + half] = Math.cos(f);
			sin[s * Dh + i] = sin[s * Dh + i + half] = Math.sin(f);
		}
	}
	return { cos, sin };
}

/** HF apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, rotate_half([x1, x2]) = [−x2, x1]. */
function applyRope(tf: TF, x: Tensor, cos: Tensor, sin: Tensor): Tensor {
	const [x1, x2] = tf.split(x, 2, -1);
	return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
}

interface Tables {
	/** [1, 1, S, Dh] */
	cos: Tensor;
	sin: Tensor;
	/** [1, 1, 1, S, T] additive causal mask; absent for one new token, which sees every key. */
	mask?: Tensor;
}

/**
 * Grouped-query self-attention of layer `b` on the normed input h [B, S, D]. Query heads are grouped by the
 * key/value head they share (HF repeat_kv: query head j reads key/value head ⌊j / G⌋), so keys and values are never
 * copied G times: the G·S queries of a group attend to one [T, Dh] key/value block.
 */
function attention(tf: TF, c: LlamaConfig, p: Params, b: string, h: Tensor, t: Tables, kv?: KVSlot): Tensor {
	const [B, S] = h.shape as [number, number, number];
	const { num_attention_heads: H, num_key_value_heads: KV, head_dim: Dh } = c;
	const G = H / KV;
	const proj = (n: string) => linear(tf, h, p[`${b}.self_attn.${n}_proj.weight`], p[`${b}.self_attn.${n}_proj.bias`]);
	const heads = (x: Tensor, n: number) => tf.transpose(tf.reshape(x, [B, S, n, Dh]), [0, 2, 1, 3]);
	const q = applyRope(tf, heads(proj('q'), H), t.cos, t.sin); // [B, H, S, Dh]
	let k = applyRope(tf, heads(proj('k'), KV), t.cos, t.sin); // [B, KV, S, Dh]
	let v = heads(proj('v'), KV); // [B, KV, S, Dh]
	if (kv) {
		if (kv.past) {
			k = tf.concat([kv.past.k, k], 2); // [B, KV, T, Dh]
			v = tf.concat([kv.past.v, v], 2);
		}
		kv.next = { k: tf.keep(k), v: tf.keep(v) }; // kept past the layer's tidy: the caller owns the new cache
	}
	const T = k.shape[2] as number;
	const qg = tf.reshape(q, [B, KV, G * S, Dh]); // heads j = g·… of one group are consecutive, as HF numbers them
	const raw = tf.mul(tf.matMul(qg, k, false, true), 1 / Math.sqrt(Dh)); // [B, KV, G·S, T]
	const scores = t.mask ? tf.add(tf.reshape(raw, [B, KV, G, S, T]), t.mask) : raw; // [B, KV, G, S, T]
	const att = tf.reshape(tf.softmax(scores), [B, KV, G * S, T]); // rows sum to 1 over keys ≤ the query
	const ctx = tf.reshape(tf.matMul(att, v), [B, H, S, Dh]); // [B, H, S, Dh]
	const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B, S, H * Dh]); // [B, S, H·Dh]
	return linear(tf, merged, p[`${b}.self_attn.o_proj.weight`]); // [B, S, D]
}

/** SwiGLU MLP: down(silu(gate(h)) ⊙ up(h)). */
function mlp(tf: TF, p: Params, b: string, h: Tensor): Tensor {
	const gate = linear(tf, h, p[`${b}.mlp.gate_proj.weight`]); // [B, S, I]
	const up = linear(tf, h, p[`${b}.mlp.up_proj.weight`]); // [B, S, I]
	return linear(tf, tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), p[`${b}.mlp.down_proj.weight`]); // [B, S, D]
}

/** One pre-RMSNorm decoder layer. */
function layer(tf: TF, c: LlamaConfig, p: Params, i: number, x: Tensor, t: Tables, kv?: KVSlot): Tensor {
	const b = `model.layers.${i}`;
	const eps = c.rms_norm_eps;
	const y = tf.add(x, attention(tf, c, p, b, rmsNorm(tf, x, p[`${b}.input_layernorm.weight`], eps), t, kv));
	return tf.add(y, mlp(tf, p, b, rmsNorm(tf, y, p[`${b}.post_attention_layernorm.weight`], eps)));
}

function forward(tf: TF, c: LlamaConfig, p: Params, ids: Tensor, opts: ForwardOptions, slots?: KVSlot[], past = 0) {
	return tf.tidy(() => {
		const S = ids.shape[1] as number; // ids: [B, S], right-padded: a real token never attends to later padding
		const { cos, sin } = ropeTables(c, S, past);
		const T = past + S;
		const mask = new Float32Array(S * T);
		for (let i = 0; i < S; i++) for (let j = past + i + 1; j < T; j++) mask[i * T + j] = -1e9;
		const tables: Tables = {
			cos: tf.tensor(cos, [1, 1, S, c.head_dim]),
			sin: tf.tensor(sin, [1, 1, S, c.head_dim]),
			mask: S > 1 ? tf.tensor(mask, [1, 1, 1, S, T]) : undefined,
		};
		let x = embed(tf, p['model.embed_tokens.weight'], ids, { differentiable: opts.training }); // [B, S, D]
		for (let i = 0; i < c.num_hidden_layers; i++) {
			// One tidy per layer, so one layer's intermediates are alive at a time (see lswt.ts forward).
			const input = x;
			x = tf.tidy(() => layer(tf, c, p, i, input, tables, slots?.[i]));
		}
		return rmsNorm(tf, x, p['model.norm.weight'], c.rms_norm_eps);
	});
}

/** Hidden states after the final norm, [B, S, hidden_size]. */
export function hiddenStates(tf: TF, c: LlamaConfig, p: Params, ids: Tensor, opts: ForwardOptions = {}): Tensor {
	return forward(tf, c, p, ids, opts);
}

/** Hidden states of `ids` continuing `past` (null: new sequences), and the cache of past + ids; the caller disposes both. */
export function extendHidden(
	tf: TF,
	c: LlamaConfig,
	p: Params,
	ids: Tensor,
	past: KVCache | null,
): { hidden: Tensor; cache: KVCache } {
	return extendWithSlots(tf, c.num_hidden_layers, past, ids.shape[1] as number, (slots, pastLength) =>
		forward(tf, c, p, ids, {}, slots, pastLength),
	);
}

/** The LM head's weight: lm_head, or the token embedding when tied. */
export function lmHeadWeight(c: LlamaConfig, p: Params): Tensor {
	return c.tie_word_embeddings ? p['model.embed_tokens.weight'] : p['lm_head.weight'];
}

/** Next-token logits [..., vocab]. */
export function logits(tf: TF, c: LlamaConfig, p: Params, hidden: Tensor): Tensor {
	return tf.tidy(() => linear(tf, hidden, lmHeadWeight(c, p)));
}

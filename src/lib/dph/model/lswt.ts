/**
 * The LSWT causal language model with a Direct Preference Head, in tfjs — the whole forward pass in one file.
 * Parameter names and layouts follow the reference PyTorch state dict (weights are [out, in]), so checkpoints load
 * unchanged. The Transformer-XL memory of the reference is not used for DPH training or scoring (neither does the
 * reference), so it is not implemented.
 *
 *   ids → E[ids] → ·W_inᵀ → LN → N × { x += o(attn(LN x)); x += fc2(a ⊙ silu(g)), [a, g] = fc1(LN x) } → LN_out = h
 *   logits = (h · W_headᵀ) · Eᵀ          reward = head(pooler(h[last <|im_end|>]))
 */
import type * as tfjs from '@tensorflow/tfjs';
import { mulberry32, normal } from '../random';
import { embed, mm } from '../tfops';
import type { LSWTConfig } from './config';
import { extendWithSlots, type KVCache, type KVSlot, transposedWeights } from './kv-cache';
import { applyRope, layerNorm, linear, swigluFfn, tileHeads } from './lswt-ops';

export { layerNorm };

import { rewardShapes } from './reward';

// The pooler and reward heads are family-independent (reward.ts); re-exported so callers keep importing them here.
export { pooledRewards, poolerLinears, poolerShapes, rewards, selectHidden } from './reward';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

export type Params = Record<string, tfjs.Variable>;

/** Every parameter name and shape, in the reference's order. */
export function parameterShapes(c: LSWTConfig): [string, number[]][] {
	const d = c.d_model;
	const out: [string, number[]][] = [
		['model.input_embedding.embedding.weight', [c.vocab_size, c.d_vocab]],
		['model.input_proj.weight', [d, c.d_vocab]],
		['model.input_norm.weight', [d]],
		['model.input_norm.bias', [d]],
	];
	for (let i = 0; i < c.n_layers; i++) {
		const b = `model.blocks.${i}`;
		out.push([`${b}.att_norm.weight`, [d]], [`${b}.att_norm.bias`, [d]]);
		for (const p of ['q', 'k', 'v', 'o']) {
			out.push([`${b}.att.proj_${p}.weight`, [d, d]]);
			if (c.enable_bias) out.push([`${b}.att.proj_${p}.bias`, [d]]);
		}
		out.push([`${b}.ffn_norm.weight`, [d]], [`${b}.ffn_norm.bias`, [d]]);
		// The reference's FFN linears always have a bias, whatever enable_bias says.
		out.push([`${b}.ffn.fc1.weight`, [2 * c.d_ffn, d]], [`${b}.ffn.fc1.bias`, [2 * c.d_ffn]]);
		out.push([`${b}.ffn.fc2.weight`, [d, c.d_ffn]], [`${b}.ffn.fc2.bias`, [d]]);
	}
	out.push(['model.output_norm.weight', [d]], ['model.output_norm.bias', [d]], ['head_proj.weight', [c.d_vocab, d]]);
	out.push(...rewardShapes(c));
	return out;
}

export function countParameters(c: LSWTConfig): number {
	return parameterShapes(c).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

/**
 * Initialise like the reference's _init_weights: Linear/Embedding weights ~ N(0, 0.02), biases 0, LayerNorm 1/0.
 * Values come from our seeded JS generator, so the same seed gives the same model on every backend.
 */
export function initParams(tf: TF, c: LSWTConfig, seed: number, std = 0.02): Params {
	const rand = mulberry32(seed);
	const params: Params = {};
	for (const [name, shape] of parameterShapes(c)) {
		const size = shape.reduce((a, b) => a * b, 1);
		const v = new Float32Array(size);
		if (/norm\.weight$/.test(name)) v.fill(1);
		else if (!name.endsWith('.bias')) for (let i = 0; i < size; i++) v[i] = std * normal(rand);
		// A variable shares its initial tensor's data and adds a reference: dispose the tensor or it leaks.
		const t = tf.tensor(v, shape);
		params[name] = tf.variable(t, true, name);
		t.dispose();
	}
	return params;
}

/**
 * cos and sin tables [S, d_head] for GPT-NeoX rotate-half RoPE with duplicated frequencies. With rope_reversed
 * (the reference default) positions run S−1 … 0, so the last token of every sequence sits at position 0.
 * With `start` (cached decoding) the S tokens are absolute indices start … start+S−1 at positions −i (reversed) or
 * i: the same differences, so the same scores (kv-cache.ts). Those tables change every step and are not cached.
 */
export function ropeTables(
	c: LSWTConfig,
	seqLen: number,
	start?: number,
): { cos: Float32Array; sin: Float32Array; dHead: number } {
	if (start !== undefined) return computeRopeTables(c, seqLen, start);
	return cached(`rope|${c.d_model}|${c.n_heads}|${c.rope_base_freq}|${c.rope_reversed}|${seqLen}`, () =>
		computeRopeTables(c, seqLen),
	);
}

/** Additive causal mask [S·(past+S)]: −1e9 on keys after the query, which is query i's absolute index past+i. */
export function causalMask(seqLen: number, past = 0): Float32Array {
	const make = () => {
		const T = past + seqLen;
		const m = new Float32Array(seqLen * T);
		for (let i = 0; i < seqLen; i++) for (let j = past + i + 1; j < T; j++) m[i * T + j] = -1e9;
		return m;
	};
	return past ? make() : cached(`mask|${seqLen}`, make);
}

/**
 * Every forward (policy, frozen reference, validation) needs the same tables for a sequence length: compute them
 * once per shape. A few entries cover the padded lengths a run sees.
 */
const tableCache = new Map<string, unknown>();
function cached<T>(key: string, make: () => T): T {
	let v = tableCache.get(key) as T | undefined;
	if (v === undefined) {
		if (tableCache.size >= 32) tableCache.delete(tableCache.keys().next().value as string);
		v = make();
		tableCache.set(key, v);
	}
	return v;
}

function computeRopeTables(
	c: LSWTConfig,
	seqLen: number,
	start?: number,
): { cos: Float32Array; sin: Float32Array; dHead: number } {
	const dHead = c.d_model / c.n_heads;
	const half = dHead / 2;
	const cos = new Float32Array(seqLen * dHead);
	const sin = new Float32Array(seqLen * dHead);
	for (let s = 0; s < seqLen; s++) {
		const i = start === undefined ? s : start + s;
		const t = c.rope_reversed ? (start === undefined ? seqLen - 1 - s : -i) : i;
		for (let i = 0; i < half; i++) {
			const f = t / c.rope_base_freq ** ((2 * i) / dHead);
			const cs = Math.cos(f);
			const sn = Math.sin(f);
			cos[s * dHead + i] = cs;
			cos[s * dHead + i + half] = cs;
			sin[s * dHead + i] = sn;
			sin[s * dHead + i + half] = sn;
		}
	}
	return { cos, sin, dHead };
}

export interface ForwardOptions {
	/** Enables dropout in the pooler and the gradient-safe embedding lookup. */
	training?: boolean;
	/** Seed for dropout masks (training only), for reproducible runs. */
	dropoutSeed?: number;
	/** The reward head to read (config.reward_heads); default the first, as the reference's evaluation does. */
	head?: string | null;
}

/** RoPE tables and causal mask for one sequence length, as tensors shaped to broadcast. */
export interface AttentionTables {
	/** [1, S, H, Dh]: RoPE runs on [B, S, H, Dh], before the heads are transposed out (lswt-ops.ts applyRope). */
	cos: Tensor;
	sin: Tensor;
	/** [1, 1, S, T] additive causal mask (T = cached + new tokens); absent when nothing is masked (one new token). */
	mask?: Tensor;
}

/** Block `b`'s bias for projection `n` (proj_q … proj_o): present only with enable_bias. */
export const attentionBias = (c: LSWTConfig, p: Params, b: string, n: string): Tensor | undefined =>
	c.enable_bias ? p[`${b}.att.${n}.bias`] : undefined;

/** Projection `n` (proj_q, proj_k or proj_v) of block `b`'s pre-norm input h, in heads: [B, H, S, Dh]. */
function attentionHeads(
	tf: TF,
	c: LSWTConfig,
	p: Params,
	b: string,
	n: AttentionInput,
	h: Tensor,
	t: AttentionTables,
): Tensor {
	return inHeads(tf, c, n, linear(tf, h, p[`${b}.att.${n}.weight`], attentionBias(c, p, b, n)), t);
}

export type AttentionInput = 'proj_q' | 'proj_k' | 'proj_v';

/** A q, k or v projection [B, S, D] split into heads, [B, H, S, Dh], with RoPE on q and k. */
export function inHeads(tf: TF, c: LSWTConfig, n: AttentionInput, projected: Tensor, t: AttentionTables): Tensor {
	const [B, S, D] = projected.shape as [number, number, number];
	const H = c.n_heads;
	const x = tf.reshape(projected, [B, S, H, D / H]);
	return tf.transpose(n === 'proj_v' ? x : applyRope(tf, x, t.cos, t.sin), [0, 2, 1, 3]); // [B, H, S, Dh]
}

/**
 * Scaled dot-product attention of q over k, v ([B, H, S, Dh]) with the causal mask, `kv`'s past keys and values
 * prepended (and the result written to kv.next), heads merged: [B, S, D], before proj_o.
 */
export function attend(tf: TF, q: Tensor, k: Tensor, v: Tensor, t: AttentionTables, kv?: KVSlot): Tensor {
	const [B, H, S, Dh] = q.shape as [number, number, number, number];
	if (kv) {
		if (kv.past) {
			k = tf.concat([kv.past.k, k], 2); // [B, H, T, Dh]
			v = tf.concat([kv.past.v, v], 2);
		}
		// Kept past the block's tidy: the caller owns the new cache.
		kv.next = { k: tf.keep(k), v: tf.keep(v) };
	}
	const raw = tf.mul(mm(tf, q, k, false, true), 1 / Math.sqrt(Dh)); // [B, H, S, T]
	const att = tf.softmax(t.mask ? tf.add(raw, t.mask) : raw); // [B, H, S, T], rows sum to 1 over keys ≤ query
	return tf.reshape(tf.transpose(mm(tf, att, v), [0, 2, 1, 3]), [B, S, H * Dh]); // [B, S, D]
}

/**
 * Causal multi-head self-attention of block `b` (pre-norm input `h`), the reference's `att.*` parameters:
 * q, k, v projections split into heads, RoPE on q and k, scaled dot-product with the causal mask, heads merged and
 * projected back.
 */
function attention(tf: TF, c: LSWTConfig, p: Params, b: string, h: Tensor, t: AttentionTables, kv?: KVSlot): Tensor {
	const [q, k, v] = (['proj_q', 'proj_k', 'proj_v'] as const).map((n) => attentionHeads(tf, c, p, b, n, h, t));
	const merged = attend(tf, q, k, v, t, kv); // [B, S, D]
	return linear(tf, merged, p[`${b}.att.proj_o.weight`], attentionBias(c, p, b, 'proj_o')); // [B, S, D]
}

/** The feed-forward network of block `b`: fc1 to 2·d_ffn, SwiGLU down to d_ffn, fc2 back to d_model. */
function ffn(tf: TF, p: Params, b: string, h: Tensor): Tensor {
	const w = (n: string) => p[`${b}.ffn.${n}`];
	return swigluFfn(tf, h, w('fc1.weight'), w('fc1.bias'), w('fc2.weight'), w('fc2.bias')); // [B, S, D]
}

/** One pre-norm transformer block: x + attention(norm(x)), then y + ffn(norm(y)). */
export function block(tf: TF, c: LSWTConfig, p: Params, i: number, x: Tensor, t: AttentionTables, kv?: KVSlot): Tensor {
	const b = `model.blocks.${i}`;
	const h = layerNorm(tf, x, p[`${b}.att_norm.weight`], p[`${b}.att_norm.bias`]);
	const y = tf.add(x, attention(tf, c, p, b, h, t, kv));
	return tf.add(y, ffn(tf, p, b, layerNorm(tf, y, p[`${b}.ffn_norm.weight`], p[`${b}.ffn_norm.bias`])));
}

/**
 * Hidden states after the output norm, [B, S, d_model]. Sequences are right-padded: with causal attention a real
 * token never attends to the padding after it, which is why the reference needs no padding mask either.
 */
export function hiddenStates(tf: TF, c: LSWTConfig, p: Params, ids: Tensor, opts: ForwardOptions = {}): Tensor {
	return forward(tf, c, p, ids, opts);
}

/**
 * Hidden states [B, S, d_model] of `ids` continuing the sequences in `past` (null: new sequences), and the cache
 * holding past + ids; the caller disposes both (and `past`, once it is no longer needed).
 */
export function extendHidden(
	tf: TF,
	c: LSWTConfig,
	p: Params,
	ids: Tensor,
	past: KVCache | null,
): { hidden: Tensor; cache: KVCache } {
	return extendWithSlots(tf, c.n_layers, past, ids.shape[1] as number, (slots, pastLength) =>
		forward(tf, c, p, ids, {}, slots, pastLength),
	);
}

/**
 * The tables of `S` new tokens as tensors (the caller disposes them): RoPE at the reversed positions of a whole
 * sequence (`start` undefined) or from absolute index `start` after that many cached tokens (kv-cache.ts).
 */
export function attentionTables(tf: TF, c: LSWTConfig, S: number, start: number | undefined): AttentionTables {
	const { cos, sin, dHead } = ropeTables(c, S, start);
	const [H, past] = [c.n_heads, start ?? 0];
	return {
		cos: tf.tensor(tileHeads(cos, S, H, dHead), [1, S, H, dHead]),
		sin: tf.tensor(tileHeads(sin, S, H, dHead), [1, S, H, dHead]),
		mask: S > 1 ? tf.tensor(causalMask(S, past), [1, 1, S, past + S]) : undefined,
	};
}

function forward(
	tf: TF,
	c: LSWTConfig,
	p: Params,
	ids: Tensor,
	opts: ForwardOptions,
	slots?: KVSlot[],
	past = 0,
): Tensor {
	return tf.tidy(() => {
		const S = ids.shape[1] as number; // ids: [B, S]
		const tables = attentionTables(tf, c, S, slots ? past : undefined);
		const e = embed(tf, p['model.input_embedding.embedding.weight'], ids, { differentiable: opts.training }); // [B, S, d_vocab]
		let x = layerNorm(
			tf,
			linear(tf, e, p['model.input_proj.weight']),
			p['model.input_norm.weight'],
			p['model.input_norm.bias'],
		); // [B, S, D]
		for (let i = 0; i < c.n_layers; i++) {
			// One tidy per block: without it every block's intermediates (4 copies of the [B, H, S, S] attention among
			// them) live until the forward returns, so memory grows with n_layers; under a gradient tape the tensors
			// backprop needs are kept by tfjs regardless.
			const input = x;
			x = tf.tidy(() => block(tf, c, p, i, input, tables, slots?.[i]));
		}
		return layerNorm(tf, x, p['model.output_norm.weight'], p['model.output_norm.bias']);
	});
}

/** Next-token logits [B, S, vocab]: the tied embedding through the head's down-projection. */
export function logits(tf: TF, p: Params, hidden: Tensor): Tensor {
	return tf.tidy(() => {
		const down = linear(tf, hidden, p['head_proj.weight']);
		return linear(tf, down, p['model.input_embedding.embedding.weight']);
	});
}

/** Disposes the variables and any transposed copies registered for them (kv-cache.ts pretranspose). */
export function disposeParams(p: Params): void {
	for (const v of Object.values(p)) {
		transposedWeights.get(v)?.dispose();
		transposedWeights.delete(v);
		v.dispose();
	}
}

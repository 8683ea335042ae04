/**
 * The per-layer key/value cache of incremental decoding (docs/GENERATION.md § Cached decoding).
 *
 * Keys are stored with RoPE already applied. The reference rotates with reversed positions S−1 … 0, which depend
 * on the final length S and so would change every cached key at every step; but a rotary score q_i·k_j depends on
 * the two positions only through their difference, and (S−1−i) − (S−1−j) = (−i) − (−j). So cached keys use position
 * −i for absolute index i (the origin fixed at the first token), and stay valid as the sequence grows.
 */
import type * as tfjs from '@tensorflow/tfjs';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** One layer's keys (RoPE applied) and values, [B, H, T, Dh]. */
export interface LayerKV {
	k: Tensor;
	v: Tensor;
}

export interface KVCache {
	/** Tokens held (T). */
	length: number;
	layers: LayerKV[];
}

/** What one attention call reads (the cache so far) and writes (the cache including its own tokens). */
export interface KVSlot {
	past: LayerKV | null;
	next?: LayerKV;
}

export function disposeCache(cache: KVCache | null | undefined): void {
	for (const l of cache?.layers ?? []) {
		l.k.dispose();
		l.v.dispose();
	}
}

/**
 * Runs a forward over `newTokens` that reads and fills one slot per layer (`nLayers`), and returns its hidden states
 * with the cache of past + new tokens. Every family's `extendHidden` is this around its own forward; on an error the
 * layers already written are freed, so a failed step leaks nothing.
 */
export function extendWithSlots(
	tf: TF,
	nLayers: number,
	past: KVCache | null,
	newTokens: number,
	forward: (slots: KVSlot[], pastLength: number) => Tensor,
): { hidden: Tensor; cache: KVCache } {
	const slots: KVSlot[] = Array.from({ length: nLayers }, (_, i) => ({ past: past?.layers[i] ?? null }));
	try {
		const hidden = forward(slots, past?.length ?? 0);
		const layers = slots.map((s) => s.next as NonNullable<KVSlot['next']>);
		return { hidden, cache: { length: (past?.length ?? 0) + newTokens, layers } };
	} catch (e) {
		for (const s of slots) s.next && tf.dispose([s.next.k, s.next.v]);
		throw e;
	}
}

function mapCache(tf: TF, cache: KVCache, f: (t: Tensor) => Tensor): KVCache {
	return {
		length: cache.length,
		layers: cache.layers.map((l) => tf.tidy(() => ({ k: f(l.k), v: f(l.v) }))),
	};
}

/** A batch-1 cache repeated n times along the batch axis: the N samples of one prompt share its prefill. */
export function tileCache(tf: TF, cache: KVCache, n: number): KVCache {
	return mapCache(tf, cache, (t) => tf.tile(t, [n, 1, 1, 1]));
}

/** The cache of the given batch rows only (the samples still decoding). */
export function selectRows(tf: TF, cache: KVCache, rows: readonly number[]): KVCache {
	return mapCache(tf, cache, (t) => tf.gather(t, tf.tensor1d(rows as number[], 'int32'), 0));
}

/**
 * Transposed copies of linear weights, which lswt.ts `linear` multiplies by instead of transposing the weight.
 * On wasm a transposed operand costs a copy of the weight per call (tfops.ts mm), which for one decoded token is
 * most of the step: measured 16× slower at one row of 512 × 4096. A decoder registers them for its lifetime; the
 * weights must not change meanwhile (nothing trains while it decodes).
 */
export const transposedWeights = new WeakMap<Tensor, Tensor>();

/** Most bytes of transposed copies a decoder makes: above it (the paper's medium model) memory matters more. */
export const PRETRANSPOSE_BYTES = 512 * 2 ** 20;

/**
 * Register transposed copies of every linear weight in `params` (not the embedding, which is gathered) when the
 * backend is wasm and they fit PRETRANSPOSE_BYTES; returns the function that releases them.
 */
export function pretranspose(tf: TF, params: Record<string, Tensor>): () => void {
	const keys = Object.keys(params).filter(
		(k) =>
			k.endsWith('.weight') && params[k].rank === 2 && !k.includes('input_embedding') && !k.includes('embed_tokens'),
	);
	const bytes = keys.reduce((a, k) => a + 4 * params[k].size, 0);
	if (tf.getBackend() !== 'wasm' || bytes > PRETRANSPOSE_BYTES) return () => {};
	const made: Tensor[] = [];
	for (const k of keys) {
		if (transposedWeights.has(params[k])) continue;
		const t = tf.transpose(params[k]);
		transposedWeights.set(params[k], t);
		made.push(params[k]);
	}
	return () => {
		for (const w of made) {
			transposedWeights.get(w)?.dispose();
			transposedWeights.delete(w);
		}
	};
}

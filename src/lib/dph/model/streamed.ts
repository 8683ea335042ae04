/**
 * The layer-streamed LSWT forward: the same blocks as lswt.ts, run block by block over every sequence of a pass,
 * with each linear weight taken from a WeightSource just before every sequence goes through it and released right
 * after. From a HalfStore (checkpoint/load-streamed.ts) that means one float32 matrix in the backend at a time, so
 * the paper's medium model scores inside wasm32's 4 GiB heap; from resident Params it is the plain forward.
 *
 * Sequences that share a prompt share its computation: a group's common prefix runs once (batch 1), leaving each
 * block's keys and values (kv-cache.ts, RoPE at positions −i), and the group's suffixes attend to them. A rotary
 * score depends only on position differences, so this equals running every full sequence (tested to 1e-5).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { HalfStore } from '../checkpoint/load-streamed';
import { filledTensor } from '../kernels/wasm-heap';
import { mm } from '../tfops';
import type { LSWTConfig } from './config';
import { transposedWeights } from './kv-cache';
import { type AttentionTables, attentionTables, layerNorm, type Params } from './lswt';
import { streamedBlock } from './streamed-block';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** Where the streamed forward takes its weights from. */
export interface WeightSource {
	/**
	 * float32 tensors for `names`, usable by lswt.ts (a linear weight may be a view whose transpose is registered in
	 * `transposedWeights`); `release` disposes whatever was made for the call.
	 */
	take(tf: TF, names: readonly string[]): { params: Record<string, Tensor>; release(): void };
	/**
	 * Rows [o0, o1) of linear weight `name` ([out, in] in the file), transposed: [in, o1 − o0], a new tensor the
	 * caller disposes. The streamed block multiplies by big weights a slice of outputs at a time (streamed-block.ts).
	 */
	columns(tf: TF, name: string, o0: number, o1: number): Tensor;
	/** The file's shape of `name` ([out, in] for a linear weight). */
	shape(name: string): readonly number[];
	/** Embedding rows of `ids`, [ids.length, d_vocab]. */
	embedRows(tf: TF, ids: Int32Array): Tensor;
	/** Embedding rows v0 … v1−1, [v1 − v0, d_vocab]: the tied output layer, a chunk of the vocabulary at a time. */
	embedChunk(tf: TF, v0: number, v1: number): Tensor;
}

export const EMBEDDING = 'model.input_embedding.embedding.weight';

/** Weights already on the backend: nothing to make or release. */
export function residentSource(p: Params): WeightSource {
	return {
		take: (_tf, names) => ({ params: Object.fromEntries(names.map((n) => [n, p[n]])), release: () => {} }),
		columns: (tf, name, o0, o1) =>
			tf.tidy(() => {
				const wT = transposedWeights.get(p[name]);
				return wT ? tf.slice(wT, [0, o0], [-1, o1 - o0]) : tf.transpose(tf.slice(p[name], [o0, 0], [o1 - o0, -1]));
			}),
		shape: (name) => p[name].shape,
		embedRows: (tf, ids) => tf.gather(p[EMBEDDING], tf.tensor1d(ids, 'int32')),
		embedChunk: (tf, v0, v1) => tf.slice(p[EMBEDDING], [v0, 0], [v1 - v0, -1]),
	};
}

/**
 * Weights converted from a HalfStore per call, straight into the backend's memory on wasm (kernels/wasm-heap.ts).
 */
export function storeSource(store: HalfStore): WeightSource {
	const make = (tf: TF, name: string, begin: number, end: number, shape: number[]) =>
		filledTensor(tf, shape, (out) => store.float32(name, out, begin, end));
	return {
		columns(tf, name, o0, o1) {
			const inn = store.shape(name)[1];
			return filledTensor(tf, [inn, o1 - o0], (out) => store.float32Columns(name, o0, o1, out));
		},
		shape: (name) => store.shape(name),
		take(tf, names) {
			const made: Tensor[] = [];
			const params: Record<string, Tensor> = {};
			try {
				for (const name of names) {
					const shape = store.shape(name);
					const size = shape.reduce((a, b) => a * b, 1);
					if (store.transposed(name)) {
						const wT = make(tf, name, 0, size, [shape[1], shape[0]]);
						// lswt.ts `linear` reads only the weight's shape and its registered transpose: a reshaped view of
						// the transpose gives it both without a second copy (its own values are never read).
						const w = tf.reshape(wT, shape);
						transposedWeights.set(w, wT);
						made.push(wT, w);
						params[name] = w;
					} else {
						params[name] = make(tf, name, 0, size, shape);
						made.push(params[name]);
					}
				}
			} catch (e) {
				tf.dispose(made);
				throw e;
			}
			return {
				params,
				release: () => {
					for (const t of made) transposedWeights.delete(t);
					tf.dispose(made);
				},
			};
		},
		embedRows(tf, ids) {
			const d = store.shape(EMBEDDING)[1];
			const out = new Float32Array(ids.length * d);
			ids.forEach((id, r) => {
				store.float32(EMBEDDING, out.subarray(r * d, (r + 1) * d), id * d, (id + 1) * d);
			});
			return tf.tensor2d(out, [ids.length, d]);
		},
		embedChunk(tf, v0, v1) {
			const d = store.shape(EMBEDDING)[1];
			return make(tf, EMBEDDING, v0 * d, v1 * d, [v1 - v0, d]);
		},
	};
}

/** x · Wᵀ (+ b) for x [..., in], W [out, in], through W's registered transpose when it has one. */
export function linearOf(tf: TF, x: Tensor, w: Tensor, b?: Tensor): Tensor {
	return tf.tidy(() => {
		const shape = x.shape;
		const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]) as tfjs.Tensor2D;
		const wT = transposedWeights.get(w);
		const y = wT ? tf.matMul(x2, wT) : mm(tf, x2, w, false, true);
		return tf.reshape(b ? tf.add(y, b) : y, [...shape.slice(0, -1), w.shape[0]]);
	});
}

/** Sequences whose first `prefix` tokens are the same: that prefix runs once for all of them. */
export interface SequenceGroup {
	/** Token ids of each sequence, unpadded. */
	ids: readonly (readonly number[])[];
	/** Shared leading tokens (0: none shared); every sequence must be longer than it. */
	prefix: number;
}

export interface StreamedOptions {
	pad: number;
	signal?: AbortSignal;
	/** Called after each block, (blocks done, blocks in all). */
	onBlock?: (done: number, total: number) => void;
	/** The most float32 values of a weight multiplied at once (default COLUMN_BLOCK_FLOATS, streamed-block.ts). */
	columnBlock?: number;
}

export interface GroupState {
	rows: number;
	/** [1, P, D], null without a prefix. */
	prefix: Tensor | null;
	prefixTables: AttentionTables | null;
	/** [rows, S, D], positions prefix … of each row, right-padded. */
	suffix: Tensor;
	suffixTables: AttentionTables;
}

function tables(tf: TF, c: LSWTConfig, S: number, past: number | undefined): AttentionTables {
	return attentionTables(tf, c, S, past);
}

const disposeTables = (tf: TF, t: AttentionTables | null) =>
	t && tf.dispose([t.cos, t.sin, ...(t.mask ? [t.mask] : [])]);

function stopped(signal?: AbortSignal) {
	if (signal?.aborted) throw new DOMException('Scoring was stopped', 'AbortError');
}

/**
 * Hidden states after the output norm of every group's suffix positions: one tensor per group, [rows, S, D] with S
 * its longest sequence minus its prefix (shorter rows right-padded with `pad`). The caller disposes them.
 */
export function streamedHidden(
	tf: TF,
	c: LSWTConfig,
	source: WeightSource,
	groups: readonly SequenceGroup[],
	opts: StreamedOptions,
): Tensor[] {
	const states: GroupState[] = [];
	const embedIn = source.take(tf, ['model.input_proj.weight', 'model.input_norm.weight', 'model.input_norm.bias']);
	const disposeStates = () => {
		for (const s of states) {
			tf.dispose([s.suffix, ...(s.prefix ? [s.prefix] : [])]);
			disposeTables(tf, s.prefixTables);
			disposeTables(tf, s.suffixTables);
		}
	};
	try {
		const embedIds = (ids: Int32Array, B: number, S: number) =>
			tf.tidy(() => {
				const p = embedIn.params;
				const e = tf.reshape(source.embedRows(tf, ids), [B, S, -1]);
				const x = linearOf(tf, e, p['model.input_proj.weight']);
				return layerNorm(tf, x, p['model.input_norm.weight'], p['model.input_norm.bias']);
			});
		for (const g of groups) {
			const P = g.prefix;
			const S = Math.max(...g.ids.map((r) => r.length)) - P;
			if (g.ids.some((r) => r.length <= P)) throw new Error('streamedHidden: a sequence is not longer than its prefix');
			const suffixIds = new Int32Array(g.ids.length * S).fill(opts.pad);
			g.ids.forEach((r, k) => {
				suffixIds.set(r.slice(P), k * S);
			});
			states.push({
				rows: g.ids.length,
				prefix: P ? embedIds(Int32Array.from(g.ids[0].slice(0, P)), 1, P) : null,
				prefixTables: P ? tables(tf, c, P, 0) : null,
				suffix: embedIds(suffixIds, g.ids.length, S),
				// Without a prefix, the plain forward's reversed-position tables: the same numbers as hiddenStates.
				suffixTables: tables(tf, c, S, P ? P : undefined),
			});
		}
		embedIn.release();
		for (let i = 0; i < c.n_layers; i++) {
			stopped(opts.signal);
			streamedBlock(tf, c, source, i, states, opts.columnBlock);
			opts.onBlock?.(i + 1, c.n_layers);
		}
		const out = source.take(tf, ['model.output_norm.weight', 'model.output_norm.bias']);
		try {
			const { params: q } = out;
			const hidden = states.map((s) =>
				tf.tidy(() => layerNorm(tf, s.suffix, q['model.output_norm.weight'], q['model.output_norm.bias'])),
			);
			return hidden;
		} finally {
			out.release();
		}
	} finally {
		// A second release (after an error past the embedding) finds its tensors disposed already: a no-op.
		embedIn.release();
		disposeStates();
	}
}

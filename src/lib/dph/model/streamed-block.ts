/**
 * One LSWT block of the layer-streamed forward (streamed.ts): lswt.ts's `block` over every group's prefix and
 * suffix in lockstep, one linear weight at a time, and a big weight a slice of its outputs at a time.
 *
 * Each of q, k, v, o, fc1, fc2 is made from the source, applied to every lane, and released before the next: a
 * whole block's float32 weights (113 MB for the paper's medium model) and the packed copy XNNPACK keeps of each
 * are never held at once, and each weight is still made once per pass. A weight over COLUMN_BLOCK_FLOATS is made
 * and multiplied in slices of its output columns: XNNPACK on wasm runs fc1 ([1536, 8192]) at 16–19 GFLOP/s whole
 * and at ≈ 32 in six slices of 1 366 columns (docs/BENCHMARKS.md), and a slice is all the heap holds of it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { LSWTConfig } from './config';
import type { KVSlot } from './kv-cache';
import { swiglu } from './linear';
import { type AttentionTables, attend, attentionBias, inHeads, layerNorm, type Params, parameterShapes } from './lswt';
import type { GroupState, WeightSource } from './streamed';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** The most float32 values of a weight multiplied at once (8 MB): for the paper's medium model fc1 in 6 slices, fc2 in 3, q … o in 2. */
export const COLUMN_BLOCK_FLOATS = 2 ** 21;

/** One sequence batch through a block: its input, tables and, for a group's suffix, the prefix it attends to. */
interface Lane {
	x: Tensor;
	t: AttentionTables;
	/** The suffix lane's prefix lane (same group): its keys and values come first. */
	after?: Lane;
	rows: number;
}

/**
 * xs[k] · Wᵀ + b for every lane input xs[k] ([..., in]) with W = `name` ([out, in]) made from the source a slice
 * of output columns at a time; outputs [..., out], new tensors the caller disposes.
 */
export function linearLanes(
	tf: TF,
	source: WeightSource,
	name: string,
	bias: Tensor | undefined,
	xs: Tensor[],
	blockFloats = COLUMN_BLOCK_FLOATS,
): Tensor[] {
	const [out, inn] = source.shape(name);
	const slices = Math.max(1, Math.ceil((out * inn) / blockFloats));
	const width = Math.ceil(out / slices);
	const parts: Tensor[][] = xs.map(() => []);
	try {
		for (let o0 = 0; o0 < out; o0 += width) {
			const o1 = Math.min(out, o0 + width);
			const wT = source.columns(tf, name, o0, o1); // [in, o1 − o0]
			try {
				xs.forEach((x, k) => {
					parts[k].push(
						tf.tidy(() =>
							tf.fused.matMul({
								a: tf.reshape(x, [-1, inn]) as tfjs.Tensor2D,
								b: wT as tfjs.Tensor2D,
								bias: bias && (slices > 1 ? tf.slice(bias, [o0], [o1 - o0]) : bias),
							}),
						),
					);
				});
			} finally {
				wT.dispose();
			}
		}
		return parts.map((p, k) =>
			tf.tidy(() => tf.reshape(p.length === 1 ? p[0] : tf.concat(p, -1), [...xs[k].shape.slice(0, -1), out])),
		);
	} finally {
		for (const p of parts) tf.dispose(p);
	}
}

/**
 * Block `i` over every state's lanes (see the file comment); the states' tensors are replaced by its outputs.
 * `blockFloats`: the most float32 values of a weight multiplied at once.
 */
export function streamedBlock(
	tf: TF,
	c: LSWTConfig,
	source: WeightSource,
	i: number,
	states: GroupState[],
	blockFloats = COLUMN_BLOCK_FLOATS,
): void {
	const b = `model.blocks.${i}`;
	const names = parameterShapes(c).filter(([n]) => n.startsWith(`${b}.`));
	const small = source.take(
		tf,
		names.filter(([, shape]) => shape.length === 1).map(([n]) => n),
	);
	const p = small.params as unknown as Params;
	const lanes: Lane[] = [];
	for (const s of states) {
		const prefix: Lane | undefined =
			s.prefix && s.prefixTables ? { x: s.prefix, t: s.prefixTables, rows: 1 } : undefined;
		if (prefix) lanes.push(prefix);
		lanes.push({ x: s.suffix, t: s.suffixTables, after: prefix, rows: s.rows });
	}
	// Everything made below, so an error (or Stop) part-way frees it; outputs are taken out of it at the end.
	const made = new Set<Tensor>();
	const keep = (ts: Tensor[]): Tensor[] => {
		for (const t of ts) made.add(t);
		return ts;
	};
	const drop = (ts: Iterable<Tensor>) => {
		for (const t of ts) {
			made.delete(t);
			t.dispose();
		}
	};
	const each = (f: (lane: Lane, k: number) => Tensor) => keep(lanes.map((l, k) => tf.tidy(() => f(l, k))));
	const linear = (weight: string, bias: Tensor | undefined, xs: Tensor[]) =>
		keep(linearLanes(tf, source, weight, bias, xs, blockFloats));
	try {
		const h = each((l) => layerNorm(tf, l.x, p[`${b}.att_norm.weight`], p[`${b}.att_norm.bias`]));
		const [q, k, v] = (['proj_q', 'proj_k', 'proj_v'] as const).map((n) => {
			const projected = linear(`${b}.att.${n}.weight`, attentionBias(c, p, b, n), h);
			const heads = each((l, j) => inHeads(tf, c, n, projected[j], l.t));
			drop(projected);
			return heads;
		});
		drop(h);
		// A prefix lane runs first and leaves its keys and values in `cache`; its suffix lane reads them tiled.
		const cache = new Map<Lane, KVSlot>();
		const merged = lanes.map((l, j) => {
			const slot: KVSlot = { past: null };
			const prior = l.after && cache.get(l.after)?.next;
			if (prior)
				slot.past = tf.tidy(() => ({ k: tf.tile(prior.k, [l.rows, 1, 1, 1]), v: tf.tile(prior.v, [l.rows, 1, 1, 1]) }));
			try {
				return keep([tf.tidy(() => attend(tf, q[j], k[j], v[j], l.t, slot))])[0];
			} finally {
				if (slot.past) tf.dispose([slot.past.k, slot.past.v]);
				if (slot.next) made.add(slot.next.k).add(slot.next.v);
				cache.set(l, slot);
			}
		});
		drop([...q, ...k, ...v]);
		for (const slot of cache.values()) if (slot.next) drop([slot.next.k, slot.next.v]);
		const attended = linear(`${b}.att.proj_o.weight`, attentionBias(c, p, b, 'proj_o'), merged);
		drop(merged);
		const y = each((l, j) => tf.add(l.x, attended[j]));
		drop(attended);
		const normed = each((_l, j) => layerNorm(tf, y[j], p[`${b}.ffn_norm.weight`], p[`${b}.ffn_norm.bias`]));
		const fc1 = linear(`${b}.ffn.fc1.weight`, p[`${b}.ffn.fc1.bias`], normed);
		drop(normed);
		const hidden = each((_l, j) => swiglu(tf, fc1[j]));
		drop(fc1);
		const fc2 = linear(`${b}.ffn.fc2.weight`, p[`${b}.ffn.fc2.bias`], hidden);
		drop(hidden);
		const out = each((_l, j) => tf.add(y[j], fc2[j]));
		drop([...y, ...fc2]);
		// Outputs replace the inputs, lane by lane (lanes were pushed prefix, then suffix, per state).
		let j = 0;
		for (const s of states) {
			if (s.prefix && s.prefixTables) {
				s.prefix.dispose();
				s.prefix = out[j++];
			}
			s.suffix.dispose();
			s.suffix = out[j++];
		}
		for (const t of out) made.delete(t);
	} finally {
		small.release();
		drop([...made]);
	}
}

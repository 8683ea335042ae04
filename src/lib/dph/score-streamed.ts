/**
 * One scoring pass through the layer-streamed forward (model/streamed.ts): the same rewards and log-probs as
 * score.ts's resident pass, with each block's weights converted just before use, candidates of one prompt sharing
 * the prompt's keys and values, and the tied output layer (vocab × d_vocab, the largest matrix) taken a chunk of
 * the vocabulary at a time, its log-sum-exp combined across chunks.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { makeChoiceBatch } from './data/batches';
import type { Tokenizer } from './data/tokenizer';
import type { MultipleChoiceItem } from './data/types';
import type { LSWTConfig } from './model/config';
import { headKey } from './model/heads';
import { pooledRewards, poolerShapes } from './model/reward';
import { linearOf, type SequenceGroup, streamedHidden, type WeightSource } from './model/streamed';

type TF = typeof tfjs;

/** What one pass returns: per row its reward (or null), per scored token its log-prob, row and target id. */
export interface PassResult {
	rows: number;
	rv: Float32Array | null;
	lp: Float32Array;
	rowOf: number[];
	target: (n: number) => number;
}

export interface StreamedPassOptions {
	/** Run each prompt once for all its candidates (default true). */
	sharePrefix?: boolean;
	signal?: AbortSignal;
	onBlock?: (done: number, total: number) => void;
	/** The most float32 values of a weight multiplied at once (streamed-block.ts COLUMN_BLOCK_FLOATS). */
	columnBlock?: number;
}

/** Most vocabulary rows of the output layer multiplied at once: 8192 × 768 float32 is 25 MB of heap. */
const VOCAB_CHUNK = 8192;

/**
 * Rows grouped by prompt (the same `messages` object: score.ts passes an item's own), each group's shared prefix
 * ending before its first scored position and its reward index, so every position read lies in the suffixes.
 */
function groupRows(
	pass: readonly MultipleChoiceItem[],
	b: ReturnType<typeof makeChoiceBatch>,
	share: boolean,
): { group: SequenceGroup; rows: number[] }[] {
	const L = b.length;
	const rowIds = (r: number) => Array.from(b.ids.subarray(r * L, r * L + b.seqLength[r]));
	const byPrompt = new Map<unknown, number[]>();
	pass.forEach((it, r) => {
		const key = share ? it.messages : 'all';
		byPrompt.set(key, [...(byPrompt.get(key) ?? []), r]);
	});
	const plain: number[] = [];
	const out: { group: SequenceGroup; rows: number[] }[] = [];
	for (const rows of byPrompt.values()) {
		const ids = rows.map(rowIds);
		let P = Math.min(...ids.map((x) => x.length - 1));
		for (const [k, r] of rows.entries()) {
			for (let i = 0; i < P; i++) if (ids[k][i] !== ids[0][i]) P = i;
			P = Math.min(P, b.rewardIndex[r]);
			for (let i = 0; i < P; i++) if (b.evalMask[r * L + i] > 0) P = i;
		}
		if (!share || rows.length < 2 || P < 1) plain.push(...rows);
		else out.push({ group: { ids, prefix: P }, rows });
	}
	if (plain.length) out.push({ group: { ids: plain.map(rowIds), prefix: 0 }, rows: plain });
	return out;
}

export async function streamedPass(
	tf: TF,
	model: { config: LSWTConfig; tokenizer: Tokenizer; source: WeightSource },
	pass: MultipleChoiceItem[],
	logitBytes: number,
	head: string | null,
	opts: StreamedPassOptions = {},
): Promise<PassResult> {
	const { config: c, tokenizer: tok, source } = model;
	const b = makeChoiceBatch(tok, pass, { padMultiple: 1 });
	const L = b.length;
	const groups = groupRows(pass, b, opts.sharePrefix ?? true);
	// Where each row's positions land in the groups' hidden states, concatenated and flattened.
	const where = new Int32Array(b.rows);
	const prefixOf = new Int32Array(b.rows);
	let offset = 0;
	const widths = groups.map(({ group }) => Math.max(...group.ids.map((x) => x.length)) - group.prefix);
	groups.forEach(({ group, rows }, g) => {
		rows.forEach((r, k) => {
			where[r] = offset + k * widths[g];
			prefixOf[r] = group.prefix;
		});
		offset += rows.length * widths[g];
	});
	const flat: number[] = [];
	const at: number[] = [];
	const rowOf: number[] = [];
	for (let r = 0; r < b.rows; r++) {
		for (let i = 0; i < L; i++) {
			if (b.evalMask[r * L + i] > 0) {
				flat.push(r * L + i);
				at.push(where[r] + i - prefixOf[r]);
				rowOf.push(r);
			}
		}
	}
	const hiddens = streamedHidden(
		tf,
		c,
		source,
		groups.map((g) => g.group),
		{ pad: tok.special.pad, signal: opts.signal, onBlock: opts.onBlock, columnBlock: opts.columnBlock },
	);
	const all = tf.tidy(() => tf.concat(hiddens.map((h) => tf.reshape(h, [-1, c.d_model]))));
	tf.dispose(hiddens);
	try {
		let rv: Float32Array | null = null;
		if (head !== null) {
			const names = [...poolerShapes(c).map(([n]) => n), headKey(head)];
			const w = source.take(tf, names);
			try {
				const idx = Array.from({ length: b.rows }, (_, r) => where[r] + b.rewardIndex[r] - prefixOf[r]);
				const r = tf.tidy(() => pooledRewards(tf, c, w.params, tf.gather(all, tf.tensor1d(idx, 'int32')), { head }));
				rv = (await r.data()) as Float32Array;
				r.dispose();
			} finally {
				w.release();
			}
		}
		const lp = await chunkedLogProbs(tf, c, source, all, at, (n) => b.targets[flat[n]], logitBytes);
		return { rows: b.rows, rv, lp, rowOf, target: (n) => b.targets[flat[n]] };
	} finally {
		all.dispose();
	}
}

/**
 * log p(target) at hidden rows `at` of `all`: down-projected by head_proj, then the tied embedding a chunk of the
 * vocabulary at a time, as logitsᵀ = E_chunk · downᵀ so the big operand is never transposed; per chunk the
 * log-sum-exp over its vocabulary and the targets that fall in it, combined in float64.
 */
async function chunkedLogProbs(
	tf: TF,
	c: LSWTConfig,
	source: WeightSource,
	all: tfjs.Tensor,
	at: readonly number[],
	target: (n: number) => number,
	logitBytes: number,
): Promise<Float32Array> {
	const lp = new Float32Array(at.length);
	if (!at.length) return lp;
	const V = c.vocab_size;
	const cols = Math.max(1, Math.min(at.length, Math.floor(logitBytes / (16 * VOCAB_CHUNK))));
	const w = source.take(tf, ['head_proj.weight']);
	try {
		for (let s = 0; s < at.length; s += cols) {
			const part = at.slice(s, s + cols);
			const n = part.length;
			const downT = tf.tidy(() =>
				tf.transpose(linearOf(tf, tf.gather(all, tf.tensor1d(part, 'int32')), w.params['head_proj.weight'])),
			); // [d_vocab, n]
			const max = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
			const sum = new Float64Array(n);
			const picked = new Float64Array(n);
			try {
				for (let v0 = 0; v0 < V; v0 += VOCAB_CHUNK) {
					const v1 = Math.min(V, v0 + VOCAB_CHUNK);
					const mine: number[] = [];
					const flatAt: number[] = [];
					for (let k = 0; k < n; k++) {
						const t = target(s + k);
						if (t >= v0 && t < v1) {
							mine.push(k);
							flatAt.push((t - v0) * n + k);
						}
					}
					const [lse, hit] = tf.tidy(() => {
						const lgT = tf.matMul(source.embedChunk(tf, v0, v1), downT); // [v1 − v0, n]
						const l = tf.logSumExp(lgT, 0);
						const h = flatAt.length ? tf.gather(tf.reshape(lgT, [-1]), tf.tensor1d(flatAt, 'int32')) : tf.zeros([0]);
						return [l, h];
					});
					const [lv, hv] = await Promise.all([lse.data(), hit.data()]);
					tf.dispose([lse, hit]);
					for (let k = 0; k < n; k++) {
						const m = Math.max(max[k], lv[k]);
						sum[k] = sum[k] * Math.exp(max[k] - m) + Math.exp(lv[k] - m);
						max[k] = m;
					}
					mine.forEach((k, j) => {
						picked[k] = hv[j];
					});
				}
			} finally {
				downT.dispose();
			}
			for (let k = 0; k < n; k++) lp[s + k] = picked[k] - (max[k] + Math.log(sum[k]));
		}
	} finally {
		w.release();
	}
	return lp;
}

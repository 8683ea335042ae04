/**
 * Score candidate answers with a DPH model (DESIGN.md §3.1 "Scoring"): for each candidate, the DPH reward read at
 * the last <|im_end|> after the output norm, and the average log-prob of the candidate's content tokens (not the
 * assistant header, not the closing <|im_end|>), log-softmax over all vocab_size logits at the previous position,
 * in float32. Candidates of an item share its prompt and go through the model in one batch; logits are computed
 * only at the positions that are scored, so a 50k vocabulary costs nothing at the prompt's positions.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { makeChoiceBatch } from './data/batches';
import type { Tokenizer } from './data/tokenizer';
import type { MultipleChoiceItem } from './data/types';
import type { LSWTConfig } from './model/config';
import { hiddenStates, logits, type Params, rewards } from './model/lswt';

type TF = typeof tfjs;

export interface ScoringModel {
	config: LSWTConfig;
	params: Params;
	tokenizer: Tokenizer;
}

export interface TokenScore {
	id: number;
	text: string;
	logprob: number;
}

export interface ItemScore {
	/** DPH reward per candidate; null when the model has no reward head. */
	rewards: number[] | null;
	/** Average log-prob per candidate (NaN for an empty candidate, which has no tokens). */
	logprobs: number[];
	/** Per candidate, its content tokens and their log-probs (with `tokens: true`). */
	tokens?: TokenScore[][];
}

export interface ScoreOptions {
	/** Most candidate rows per forward pass. An item is never split, so one with more candidates is its own batch. */
	batchRows?: number;
	/** Return per-token log-probs (for heatmaps). */
	tokens?: boolean;
	onProgress?: (done: number, total: number) => void;
	signal?: AbortSignal;
}

/** Group consecutive items into batches of at most `rows` candidates, never splitting an item. */
export function planBatches(items: readonly MultipleChoiceItem[], rows: number): number[][] {
	const out: number[][] = [];
	let cur: number[] = [];
	let n = 0;
	items.forEach((it, i) => {
		const k = it.candidates.length;
		if (cur.length && n + k > rows) {
			out.push(cur);
			cur = [];
			n = 0;
		}
		cur.push(i);
		n += k;
	});
	if (cur.length) out.push(cur);
	return out;
}

export async function scoreItems(
	tf: TF,
	model: ScoringModel,
	items: readonly MultipleChoiceItem[],
	opts: ScoreOptions = {},
): Promise<ItemScore[]> {
	const { config: c, params: p, tokenizer: tok } = model;
	const hasHead = Boolean(c.reward_heads?.length);
	const out: ItemScore[] = new Array(items.length);
	const batches = planBatches(items, Math.max(1, opts.batchRows ?? 16));
	let done = 0;
	for (const group of batches) {
		if (opts.signal?.aborted) throw new DOMException('Scoring was stopped', 'AbortError');
		const b = makeChoiceBatch(
			tok,
			group.map((i) => items[i]),
			{ padMultiple: 8 },
		);
		const L = b.length;
		// Scored positions: row r, position i predicts targets[r·L + i], a content token of the candidate.
		const flat: number[] = [];
		const rowOf: number[] = [];
		for (let r = 0; r < b.rows; r++) {
			for (let i = 0; i < L; i++) {
				if (b.evalMask[r * L + i] > 0) {
					flat.push(r * L + i);
					rowOf.push(r);
				}
			}
		}
		const ids = tf.tensor2d(b.ids, [b.rows, L], 'int32');
		// tidy() returns tensors only in a flat list; null stands in for "no reward head" / "no scored tokens".
		const [rT, pickedT] = tf.tidy(() => {
			const hidden = hiddenStates(tf, c, p, ids);
			const r = hasHead ? rewards(tf, c, p, hidden, tf.tensor1d(b.rewardIndex, 'int32')) : tf.zeros([0]);
			let picked: tfjs.Tensor = tf.zeros([0]);
			if (flat.length) {
				const h = tf.gather(tf.reshape(hidden, [b.rows * L, c.d_model]), tf.tensor1d(flat, 'int32'));
				const lg = logits(tf, p, h);
				const logp = tf.sub(lg, tf.logSumExp(lg, -1, true));
				const V = lg.shape[1] as number;
				const at = flat.map((f, n) => n * V + b.targets[f]);
				picked = tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(at, 'int32'));
			}
			return [r, picked];
		});
		ids.dispose();
		const rv = hasHead ? await rT.data() : null;
		const lp = await pickedT.data();
		tf.dispose([rT, pickedT]);
		const sums = new Float64Array(b.rows);
		const counts = new Int32Array(b.rows);
		const perRow: TokenScore[][] = Array.from({ length: b.rows }, () => []);
		for (let n = 0; n < flat.length; n++) {
			sums[rowOf[n]] += lp[n];
			counts[rowOf[n]]++;
			if (opts.tokens) {
				const id = b.targets[flat[n]];
				perRow[rowOf[n]].push({ id, text: tok.decode([id]), logprob: lp[n] });
			}
		}
		for (let j = 0; j < b.items; j++) {
			const rows = [];
			for (let r = b.offsets[j]; r < b.offsets[j + 1]; r++) rows.push(r);
			const item: ItemScore = {
				rewards: rv ? rows.map((r) => rv[r]) : null,
				logprobs: rows.map((r) => (counts[r] ? sums[r] / counts[r] : Number.NaN)),
			};
			if (opts.tokens) item.tokens = rows.map((r) => perRow[r]);
			out[group[b.kept[j]]] = item;
		}
		done += group.length;
		opts.onProgress?.(done, items.length);
	}
	return out;
}

/** Index of the largest value (the first on ties); -1 when all are NaN or the list is empty. */
export function argmax(xs: readonly number[]): number {
	let best = -1;
	for (let i = 0; i < xs.length; i++) if (!Number.isNaN(xs[i]) && (best < 0 || xs[i] > xs[best])) best = i;
	return best;
}

export interface Accuracy {
	/** Labelled items counted. */
	n: number;
	/** DPH prediction = highest reward; null without a reward head. */
	dph: number | null;
	/** Log-prob prediction = highest average log-prob. */
	logprob: number;
}

/** Accuracy of both predictors on the items that carry a label. */
export function accuracy(scores: readonly ItemScore[], items: readonly MultipleChoiceItem[]): Accuracy | null {
	let n = 0;
	let dph = 0;
	let lp = 0;
	let hasHead = true;
	items.forEach((it, i) => {
		if (it.label === undefined || !scores[i]) return;
		n++;
		const s = scores[i];
		if (s.rewards) dph += argmax(s.rewards) === it.label ? 1 : 0;
		else hasHead = false;
		lp += argmax(s.logprobs) === it.label ? 1 : 0;
	});
	if (!n) return null;
	return { n, dph: hasHead ? dph / n : null, logprob: lp / n };
}

/**
 * Score candidate answers with a DPH model (docs/CHECKPOINTS.md, "Scoring"): for each candidate, the DPH reward read at
 * the last <|im_end|> after the output norm, and the average log-prob of the candidate's content tokens (not the
 * assistant header, not the closing <|im_end|>), log-softmax over all vocab_size logits at the previous position,
 * in float32. Logits are computed only at the positions that are scored, so a 50k vocabulary costs nothing at the
 * prompt's positions.
 *
 * Every candidate is tokenized before any forward pass: one longer than the model's context (`maxLen`) is not
 * scored and gets an error of its own, so one runaway line cannot take the others down. The rest go through the
 * model in passes bounded by rows and by an estimate of their activation memory, splitting an item's candidates
 * across passes when they do not fit together (docs/CHECKPOINTS.md § Scoring limits).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { HalfStore } from './checkpoint/load-streamed';
import { makeChoiceBatch } from './data/batches';
import { encodeCandidate } from './data/chatml';
import { type Tokenizer, type UnknownChars, unknownCharacters } from './data/tokenizer';
import type { MultipleChoiceItem } from './data/types';
import type { LSWTConfig } from './model/config';
import { familyOf, type ModelConfig } from './model/family';
import { resolveHead } from './model/heads';
import type { Params } from './model/lswt';
import { rewards } from './model/reward';
import { residentSource, storeSource } from './model/streamed';
import { type PassResult, streamedPass } from './score-streamed';

type TF = typeof tfjs;

export interface ScoringModel {
	config: ModelConfig;
	params: Params;
	tokenizer: Tokenizer;
	/** Weights kept in 16 bits and streamed a block at a time (checkpoint/load-streamed.ts); `params` is then empty. */
	store?: HalfStore;
}

export interface TokenScore {
	id: number;
	text: string;
	logprob: number;
}

/** A candidate that was not scored, and why. */
export interface CandidateError {
	/** Index of the candidate in its item (0-based). */
	candidate: number;
	/** Its length in tokens, prompt included. */
	tokens: number;
	limit: number;
	/** "candidate 2 is 30412 tokens with its prompt; the limit is 1024". */
	message: string;
}

export interface ItemScore {
	/** DPH reward per candidate; null when the model has no reward head. NaN for a candidate in `errors`. */
	rewards: number[] | null;
	/** Average log-prob per candidate (NaN for an empty candidate, which has no tokens, and for one in `errors`). */
	logprobs: number[];
	/** Per candidate, its content tokens and their log-probs (with `tokens: true`). */
	tokens?: TokenScore[][];
	/** Candidates too long to score; the others are scored. */
	errors?: CandidateError[];
	/** Characters that became `<unk>`, in the prompt and per candidate (null where there are none). */
	unknown?: { prompt: UnknownChars | null; candidates: (UnknownChars | null)[] };
}

export interface ScoreOptions {
	/** Most candidate rows per forward pass (default 16). */
	batchRows?: number;
	/** Longest sequence scored, prompt included, in tokens. Default: the config's context (`contextLength`). */
	maxLen?: number;
	/**
	 * Estimated activation bytes one forward pass may take (default 1 GiB): rows are grouped so a pass stays under
	 * it; a single row always runs (maxLen bounds it).
	 */
	passBytes?: number;
	/** Return per-token log-probs (for heatmaps). */
	tokens?: boolean;
	/** The reward head to read (config.json reward_heads); default the first. An unknown name is a HeadError. */
	head?: string;
	onProgress?: (done: number, total: number) => void;
	signal?: AbortSignal;
	/**
	 * Run resident weights through the layer-streamed forward too (always used for a `store` model), where each
	 * prompt runs once for all its candidates (`sharePrefix`, default true).
	 */
	streamed?: boolean;
	sharePrefix?: boolean;
	/** Streamed passes only: called after each block, (blocks done, blocks in the model). */
	onBlock?: (done: number, total: number) => void;
}

export const DEFAULT_PASS_BYTES = 2 ** 30;
const PAD_MULTIPLE = 8;

/**
 * Peak bytes of one forward pass over `rows` sequences padded to `length`, as tf.profile measures it on cpu for the
 * tiny preset (within 10 %): one block's intermediates (hiddenStates releases each block's), dominated by 4 float32
 * copies of the [H, L, L] attention and ~56·d_model + 12·d_ffn floats per position.
 */
export function estimatePassBytes(c: ModelConfig, rows: number, length: number): number {
	return 4.4 * rows * (4 * c.n_heads * length * length + (56 * c.d_model + 12 * c.d_ffn) * length);
}

const padded = (n: number) => Math.ceil(n / PAD_MULTIPLE) * PAD_MULTIPLE;

/**
 * Split rows (given by their lengths, in order) into consecutive passes of at most `rows` rows whose padded
 * estimate stays under `bytes`; a row that alone is over it still gets a pass of its own.
 */
export function planPasses(
	c: ModelConfig,
	lengths: readonly number[],
	rows: number,
	bytes = DEFAULT_PASS_BYTES,
): number[][] {
	const out: number[][] = [];
	let cur: number[] = [];
	let longest = 0;
	lengths.forEach((len, i) => {
		const L = padded(Math.max(longest, len));
		if (cur.length && (cur.length + 1 > rows || estimatePassBytes(c, cur.length + 1, L) > bytes)) {
			out.push(cur);
			cur = [];
			longest = 0;
		}
		cur.push(i);
		longest = Math.max(longest, len);
	});
	if (cur.length) out.push(cur);
	return out;
}

interface Row {
	item: number;
	candidate: number;
	length: number;
}

/** Tokenize every candidate: the rows to run, and per item the candidates over the limit. */
function measure(tok: Tokenizer, items: readonly MultipleChoiceItem[], limit: number, out: ItemScore[]): Row[] {
	const rows: Row[] = [];
	items.forEach((it, i) => {
		const errors: CandidateError[] = [];
		it.candidates.forEach((cand, j) => {
			const length = encodeCandidate(tok, it.messages, cand).ids.length;
			if (length <= limit) rows.push({ item: i, candidate: j, length });
			else {
				const message = `candidate ${j + 1} is ${length} tokens with its prompt; the limit is ${limit}`;
				errors.push({ candidate: j, tokens: length, limit, message });
			}
		});
		if (errors.length) out[i].errors = errors;
		const prompt = unknownCharacters(tok, it.messages.map((m) => m.content).join('\n'));
		const candidates = it.candidates.map((cand) => unknownCharacters(tok, cand));
		if (prompt || candidates.some((u) => u)) out[i].unknown = { prompt, candidates };
	});
	return rows;
}

/** Rewards (or null) and the log-probs of the scored tokens of one pass, with the row of each scored token. */
async function forward(
	tf: TF,
	model: ScoringModel,
	pass: MultipleChoiceItem[],
	logitBytes: number,
	head: string | null,
): Promise<PassResult> {
	const { config: c, params: p, tokenizer: tok } = model;
	const b = makeChoiceBatch(tok, pass, { padMultiple: PAD_MULTIPLE });
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
	const family = familyOf(c);
	const hidden = family.hiddenStates(tf, c, p, ids);
	ids.dispose();
	try {
		let rv: Float32Array | null = null;
		if (head !== null) {
			const r = tf.tidy(() => rewards(tf, c, p, hidden, tf.tensor1d(b.rewardIndex, 'int32'), { head }));
			rv = (await r.data()) as Float32Array;
			r.dispose();
		}
		// Logits at the scored positions only, in chunks: [n, vocab] floats and the log-softmax's copies of them
		// are what a long candidate of a 50k-vocabulary model would otherwise blow up.
		const lp = new Float32Array(flat.length);
		const V = c.vocab_size;
		const chunk = Math.max(1, Math.floor(logitBytes / (16 * V)));
		for (let s = 0; s < flat.length; s += chunk) {
			const part = flat.slice(s, s + chunk);
			const picked = tf.tidy(() => {
				const h = tf.gather(tf.reshape(hidden, [b.rows * L, c.d_model]), tf.tensor1d(part, 'int32'));
				const lg = family.logits(tf, c, p, h);
				const logp = tf.logSoftmax(lg);
				const at = part.map((f, n) => n * V + b.targets[f]);
				return tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(at, 'int32'));
			});
			lp.set(await picked.data(), s);
			picked.dispose();
		}
		return { rows: b.rows, rv, lp, rowOf, target: (n: number) => b.targets[flat[n]] };
	} finally {
		hidden.dispose();
	}
}

export async function scoreItems(
	tf: TF,
	model: ScoringModel,
	items: readonly MultipleChoiceItem[],
	opts: ScoreOptions = {},
): Promise<ItemScore[]> {
	const { config: c, tokenizer: tok } = model;
	const hasHead = Boolean(c.reward_heads?.length);
	// Checked before any work: a wrong --head is an error listing the heads, not NaN rewards.
	const head = hasHead || opts.head !== undefined ? resolveHead(c, opts.head) : null;
	const limit = opts.maxLen ?? familyOf(c).contextLength(c).tokens;
	const budget = opts.passBytes ?? DEFAULT_PASS_BYTES;
	const out: ItemScore[] = items.map((it) => {
		const s: ItemScore = {
			rewards: hasHead ? it.candidates.map(() => Number.NaN) : null,
			logprobs: it.candidates.map(() => Number.NaN),
		};
		if (opts.tokens) s.tokens = it.candidates.map(() => []);
		return s;
	});
	const rows = measure(tok, items, limit, out);
	const left = new Int32Array(items.length);
	for (const r of rows) left[r.item]++;
	let done = left.reduce((a, n) => a + (n === 0 ? 1 : 0), 0);
	const passes = planPasses(
		c,
		rows.map((r) => r.length),
		Math.max(1, opts.batchRows ?? 16),
		budget,
	);
	// The streamed forward is LSWT's (model/streamed.ts): other families always run resident.
	const lswt = familyOf(c).name === 'lswt';
	if (model.store && !lswt) throw new Error('score: streamed weights are only supported for LSWT checkpoints');
	const source = model.store ? storeSource(model.store) : opts.streamed && lswt ? residentSource(model.params) : null;
	for (const pass of passes) {
		if (opts.signal?.aborted) throw new DOMException('Scoring was stopped', 'AbortError');
		const batch = pass.map((k) => ({
			messages: items[rows[k].item].messages,
			candidates: [items[rows[k].item].candidates[rows[k].candidate]],
		}));
		const f = source
			? await streamedPass(tf, { config: c as LSWTConfig, tokenizer: tok, source }, batch, budget / 4, head, opts)
			: await forward(tf, model, batch, budget / 4, head);
		const sums = new Float64Array(f.rows);
		const counts = new Int32Array(f.rows);
		for (let n = 0; n < f.lp.length; n++) {
			const r = f.rowOf[n];
			sums[r] += f.lp[n];
			counts[r]++;
			if (opts.tokens) {
				const id = f.target(n);
				const { item, candidate } = rows[pass[r]];
				out[item].tokens?.[candidate].push({ id, text: tok.decode([id]), logprob: f.lp[n] });
			}
		}
		pass.forEach((k, r) => {
			const { item, candidate } = rows[k];
			const s = out[item];
			if (s.rewards && f.rv) s.rewards[candidate] = f.rv[r];
			s.logprobs[candidate] = counts[r] ? sums[r] / counts[r] : Number.NaN;
			if (--left[item] === 0) done++;
		});
		opts.onProgress?.(done, items.length);
	}
	if (!passes.length) opts.onProgress?.(items.length, items.length);
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

/** Accuracy of both predictors on the items that carry a label and were scored whole (no candidate in `errors`). */
export function accuracy(scores: readonly ItemScore[], items: readonly MultipleChoiceItem[]): Accuracy | null {
	let n = 0;
	let dph = 0;
	let lp = 0;
	let hasHead = true;
	items.forEach((it, i) => {
		const s = scores[i];
		if (it.label === undefined || !s || s.errors?.length) return;
		n++;
		if (s.rewards) dph += argmax(s.rewards) === it.label ? 1 : 0;
		else hasHead = false;
		lp += argmax(s.logprobs) === it.label ? 1 : 0;
	});
	if (!n) return null;
	return { n, dph: hasHead ? dph / n : null, logprob: lp / n };
}

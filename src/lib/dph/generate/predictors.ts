/**
 * The predictors a candidate answer is ranked by (docs/GENERATION.md § Predictors), for generated and typed
 * candidates alike, computed from token ids so a generated sample is scored on exactly the tokens it was decoded
 * as (re-tokenizing its text could merge BPE pieces differently):
 *
 *   reward          the DPH reward of a head, read at the closing <|im_end|>
 *   logprob         mean log π(y_t | x, y_<t) over the answer's content tokens (as dph score)
 *   logprob_sum     the same sum, not divided
 *   implicit_reward β · Σ_t [log π(y_t | …) − log π_ref(y_t | …)] over the content tokens and the closing <|im_end|>
 *                   (DPO's implicit reward; needs the reference model)
 *
 * Log-probs are a log-softmax over all vocab_size logits at the previous position, in float32, like scoring.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { encodeCandidate } from '../data/chatml';
import type { ChatMessage } from '../data/types';
import { familyOf } from '../model/family';
import { headNames } from '../model/heads';
import { pooledRewards, selectHidden } from '../model/reward';
import { DEFAULT_PASS_BYTES, planPasses, type ScoringModel } from '../score';

type TF = typeof tfjs;

/** A prompt and one answer as token ids: the answer is `ids[answerStart, end)` and `ids[end]` is its <|im_end|>. */
export interface AnswerSequence {
	ids: number[];
	answerStart: number;
	end: number;
}

/** Prompt + generated ids; a sample cut off by the length limit is closed with <|im_end|> to be scored. */
export function sampleSequence(prompt: readonly number[], answer: readonly number[], imEnd: number): AnswerSequence {
	const ids = [...prompt, ...answer];
	if (answer.at(-1) !== imEnd) ids.push(imEnd);
	return { ids, answerStart: prompt.length, end: ids.length - 1 };
}

/**
 * A typed candidate in the scoring layout (chatml.ts encodeCandidate), cut after its <|im_end|>: the `\n` after
 * it changes nothing at or before that position in a causal model.
 */
export function candidateSequence(tok: ScoringModel['tokenizer'], context: readonly ChatMessage[], text: string) {
	const s = encodeCandidate(tok, context, text);
	return { ids: s.ids.slice(0, s.rewardIndex + 1), answerStart: s.answerStart, end: s.rewardIndex };
}

export interface SequenceScore {
	/** Reward of every head by name; null when the model has none or rewards were not asked for. */
	rewards: Record<string, number> | null;
	/** log π of each answer token and then of the closing <|im_end|> (length end − answerStart + 1). */
	tokenLogprobs: Float32Array;
}

export interface SequenceScoreOptions {
	/** Read the reward heads (default true); a reference model only needs log-probs. */
	rewards?: boolean;
	batchRows?: number;
	passBytes?: number;
}

/** Rewards and per-token log-probs of each sequence, in passes bounded like scoreItems'. */
export async function scoreSequences(
	tf: TF,
	model: ScoringModel,
	seqs: readonly AnswerSequence[],
	opts: SequenceScoreOptions = {},
): Promise<SequenceScore[]> {
	const { config: c, params: p } = model;
	const heads = opts.rewards === false ? [] : headNames(c);
	const budget = opts.passBytes ?? DEFAULT_PASS_BYTES;
	const out: SequenceScore[] = [];
	const passes = planPasses(
		c,
		seqs.map((s) => s.ids.length),
		opts.batchRows ?? 16,
		budget,
	);
	for (const pass of passes) {
		const rows = pass.map((k) => seqs[k]);
		const L = Math.max(...rows.map((s) => s.ids.length));
		const ids = rows.flatMap((s) => [...s.ids, ...new Array(L - s.ids.length).fill(c.pad_token_id)]);
		// Position r·L + i predicts ids[i + 1]: the answer's tokens and its <|im_end|>.
		const at: number[] = [];
		const target: number[] = [];
		rows.forEach((s, r) => {
			for (let i = s.answerStart; i <= s.end; i++) {
				at.push(r * L + i - 1);
				target.push(s.ids[i]);
			}
		});
		const x = tf.tensor2d(ids, [rows.length, L], 'int32');
		const hidden = familyOf(c).hiddenStates(tf, c, p, x);
		x.dispose();
		try {
			const byHead: Record<string, Float32Array> = {};
			if (heads.length) {
				const sel = tf.tidy(() =>
					selectHidden(
						tf,
						hidden,
						tf.tensor1d(
							rows.map((s) => s.end),
							'int32',
						),
					),
				);
				for (const head of heads) {
					const r = pooledRewards(tf, c, p, sel, { head });
					byHead[head] = (await r.data()) as Float32Array;
					r.dispose();
				}
				sel.dispose();
			}
			const lp = await pickedLogprobs(tf, model, hidden, at, target, budget / 4);
			let o = 0;
			rows.forEach((s, r) => {
				const n = s.end - s.answerStart + 1;
				out[pass[r]] = {
					rewards: heads.length ? Object.fromEntries(heads.map((h) => [h, byHead[h][r]])) : null,
					tokenLogprobs: lp.slice(o, o + n),
				};
				o += n;
			});
		} finally {
			hidden.dispose();
		}
	}
	return out;
}

/** log-softmax at flat positions `at` of hidden [B, L, D], read at `target`; chunked so [n, vocab] stays bounded. */
async function pickedLogprobs(
	tf: TF,
	model: ScoringModel,
	hidden: tfjs.Tensor,
	at: readonly number[],
	target: readonly number[],
	bytes: number,
): Promise<Float32Array> {
	const V = model.config.vocab_size;
	const D = model.config.d_model;
	const out = new Float32Array(at.length);
	const chunk = Math.max(1, Math.floor(bytes / (16 * V)));
	for (let s = 0; s < at.length; s += chunk) {
		const part = at.slice(s, s + chunk);
		const picked = tf.tidy(() => {
			const h = tf.gather(tf.reshape(hidden, [-1, D]), tf.tensor1d(part, 'int32'));
			const lg = familyOf(model.config).logits(tf, model.config, model.params, h);
			const logp = tf.logSoftmax(lg);
			const flat = part.map((_, n) => n * V + target[s + n]);
			return tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(flat, 'int32'));
		});
		out.set((await picked.data()) as Float32Array, s);
		picked.dispose();
	}
	return out;
}

export interface Predictors {
	/** The chosen head's reward (null without a head). */
	reward: number | null;
	/** Every head's reward by name. */
	rewards: Record<string, number> | null;
	/** NaN for an empty answer (no content tokens). */
	logprob: number;
	logprob_sum: number;
	/** Null without a reference model. */
	implicit_reward: number | null;
}

/** The predictors of one candidate from its policy (and reference) scores. */
export function predictors(
	policy: SequenceScore,
	ref: SequenceScore | null,
	o: { beta: number; head: string | null },
): Predictors {
	const lp = policy.tokenLogprobs;
	const content = lp.length - 1;
	let sum = 0;
	for (let i = 0; i < content; i++) sum += lp[i];
	let implicit: number | null = null;
	if (ref) {
		let d = 0;
		for (let i = 0; i < lp.length; i++) d += lp[i] - ref.tokenLogprobs[i];
		implicit = o.beta * d;
	}
	return {
		reward: policy.rewards && o.head !== null ? (policy.rewards[o.head] ?? null) : null,
		rewards: policy.rewards,
		logprob: content ? sum / content : Number.NaN,
		logprob_sum: sum,
		implicit_reward: implicit,
	};
}

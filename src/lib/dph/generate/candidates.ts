/**
 * Inference-time alignment on one prompt (docs/GENERATION.md): sample N answers with the cached decoder, score
 * every candidate (generated or typed) with all predictors, and pick the best by each. Input problems — an empty
 * prompt, one longer than the context, N over MAX_SAMPLES, an unknown head, a reference model with another
 * vocabulary — throw a GenerateError that names the thing.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { encodePrompt } from '../data/chatml';
import type { ChatMessage } from '../data/types';
import { contextLength } from '../model/family';
import { HeadError, resolveHead } from '../model/heads';
import { argmax, type ScoringModel } from '../score';
import { type DecodeOptions, decode, type Finish } from './decode';
import {
	type AnswerSequence,
	candidateSequence,
	type Predictors,
	predictors,
	sampleSequence,
	scoreSequences,
} from './predictors';
import { checkSampling, type SamplingOptions } from './sample';

type TF = typeof tfjs;

/** Most samples per prompt: the N rows' caches and the scoring pass grow with it. */
export const MAX_SAMPLES = 64;
export const DEFAULT_BETA = 0.1;

export class GenerateError extends Error {
	override name = 'GenerateError';
}

export interface Models {
	policy: ScoringModel;
	/** The reference (SFT) model of the implicit reward; null without one. */
	ref?: ScoringModel | null;
	/** β of the implicit reward (default 0.1). */
	beta?: number;
	/** The reward head to rank by (default the first). */
	head?: string | null;
}

export interface Candidate extends Predictors {
	text: string;
	/** Answer ids: generated ids (the final <|im_end|> included when generated), or a typed answer's content. */
	ids: number[];
	/** How a generated sample ended; absent for a typed one. */
	finish?: Finish;
}

export type PredictorName = 'reward' | 'logprob' | 'logprob_sum' | 'implicit_reward';
export type Best = Record<PredictorName, number | null>;

/** The index each predictor picks (its highest score, first on ties; null when it scores nothing). */
export function bestPicks(cands: readonly Candidate[]): Best {
	const pick = (f: (c: Candidate) => number | null) => {
		const i = argmax(cands.map((c) => f(c) ?? Number.NaN));
		return i < 0 ? null : i;
	};
	return {
		reward: pick((c) => c.reward),
		logprob: pick((c) => c.logprob),
		logprob_sum: pick((c) => c.logprob_sum),
		implicit_reward: pick((c) => c.implicit_reward),
	};
}

/** The head to rank by, or null for a model without heads; an unknown name is a GenerateError. */
export function rankingHead(m: Models): string | null {
	const c = m.policy.config;
	if (!c.reward_heads?.length && (m.head === undefined || m.head === null)) return null;
	try {
		return resolveHead(c, m.head);
	} catch (e) {
		if (e instanceof HeadError) throw new GenerateError(`--head: ${e.message}`);
		throw e;
	}
}

/** Refuse a reference model that would compare log-probs of different tokens. */
export function checkReference(policy: ScoringModel, ref: ScoringModel, probes: readonly string[] = []): void {
	const a = policy.tokenizer;
	const b = ref.tokenizer;
	if (policy.config.vocab_size !== ref.config.vocab_size) {
		throw new GenerateError(
			`--ref: the reference model's vocab_size is ${ref.config.vocab_size}, the model's ${policy.config.vocab_size}; the implicit reward compares log-probs of the same tokens, so both need one vocabulary`,
		);
	}
	if (a.vocabSize !== b.vocabSize) {
		throw new GenerateError(
			`--ref: the reference tokenizer has ${b.vocabSize} tokens, the model's ${a.vocabSize}; both need one tokenizer`,
		);
	}
	for (const k of Object.keys(a.special) as (keyof typeof a.special)[]) {
		if (a.special[k] !== b.special[k]) {
			throw new GenerateError(
				`--ref: the reference tokenizer's ${k} id is ${b.special[k]}, the model's ${a.special[k]}; both need one tokenizer`,
			);
		}
	}
	for (const text of ['<|im_start|>user\nThe quick brown fox, 42 × 7.<|im_end|>\n', ...probes]) {
		if (a.encode(text).join() !== b.encode(text).join()) {
			throw new GenerateError(
				`--ref: the reference tokenizer splits ${JSON.stringify(text.slice(0, 40))} differently from the model's; both need one tokenizer`,
			);
		}
	}
}

/** The longest sequence both models take. */
function limit(m: Models): number {
	const own = contextLength(m.policy.config).tokens;
	return m.ref ? Math.min(own, contextLength(m.ref.config).tokens) : own;
}

/** The context followed by `<|im_start|>assistant\n` (a chat template's generation prompt), checked against the context length. */
export function promptIds(m: Models, messages: readonly ChatMessage[]): number[] {
	if (messages.length === 0) throw new GenerateError('the prompt is empty: "messages" has no messages');
	if (messages.every((x) => x.content.trim() === '')) {
		throw new GenerateError("the prompt is empty: every message's content is blank");
	}
	const ids = encodePrompt(m.policy.tokenizer, messages);
	const max = limit(m);
	// Room for at least one answer token and the <|im_end|> it is scored with.
	if (ids.length + 2 > max) {
		throw new GenerateError(
			`the prompt is ${ids.length} tokens with its ChatML markup; the context is ${max} tokens (${contextLength(m.policy.config).from}), which leaves no room for an answer (at most ${max - 2} prompt tokens)`,
		);
	}
	return ids;
}

async function score(tf: TF, m: Models, seqs: AnswerSequence[]): Promise<Predictors[]> {
	const head = rankingHead(m);
	const pol = await scoreSequences(tf, m.policy, seqs);
	const ref = m.ref ? await scoreSequences(tf, m.ref, seqs, { rewards: false }) : null;
	return pol.map((s, k) => predictors(s, ref?.[k] ?? null, { beta: m.beta ?? DEFAULT_BETA, head }));
}

/** Typed candidates of one context, with every predictor. */
export async function scoreCandidates(
	tf: TF,
	m: Models,
	messages: readonly ChatMessage[],
	texts: readonly string[],
): Promise<Candidate[]> {
	const max = limit(m);
	const seqs = texts.map((t, j) => {
		const s = candidateSequence(m.policy.tokenizer, messages, t);
		if (s.ids.length > max) {
			throw new GenerateError(`candidate ${j + 1} is ${s.ids.length} tokens with its prompt; the limit is ${max}`);
		}
		return s;
	});
	const ps = await score(tf, m, seqs);
	return ps.map((p, j) => ({ ...p, text: texts[j], ids: seqs[j].ids.slice(seqs[j].answerStart, seqs[j].end) }));
}

export interface GenerateOptions extends SamplingOptions {
	n: number;
	maxNewTokens: number;
	seed?: number;
	onToken?: DecodeOptions['onToken'];
	signal?: AbortSignal;
}

export function checkGenerate(o: GenerateOptions): void {
	checkSampling(o);
	if (!Number.isInteger(o.n) || o.n < 1 || o.n > MAX_SAMPLES) {
		throw new GenerateError(`n (samples per prompt) must be a whole number in 1..${MAX_SAMPLES}, got ${o.n}`);
	}
	if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) {
		throw new GenerateError(`max new tokens must be a whole number ≥ 1, got ${o.maxNewTokens}`);
	}
}

/** N sampled answers to `messages`, scored by every predictor, and each predictor's pick. */
export async function generateCandidates(
	tf: TF,
	m: Models,
	messages: readonly ChatMessage[],
	o: GenerateOptions,
): Promise<{ samples: Candidate[]; best: Best }> {
	checkGenerate(o);
	rankingHead(m);
	const tok = m.policy.tokenizer;
	const prompt = promptIds(m, messages);
	// The sequence scored is the prompt, the answer and an <|im_end|>: it must fit the context.
	const maxNewTokens = Math.min(o.maxNewTokens, limit(m) - prompt.length - 1);
	const decoded = await decode(tf, m.policy.config, m.policy.params, prompt, {
		...o,
		maxNewTokens,
		stopId: tok.special.imEnd,
	});
	const seqs = decoded.map((d) => sampleSequence(prompt, d.ids, tok.special.imEnd));
	const ps = await score(tf, m, seqs);
	const samples = ps.map((p, k) => {
		const ids = decoded[k].ids;
		const content = decoded[k].finish === 'im_end' ? ids.slice(0, -1) : ids;
		return { text: tok.decode(content), ids, finish: decoded[k].finish, ...p };
	});
	return { samples, best: bestPicks(samples) };
}

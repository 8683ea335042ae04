/**
 * The `generate` job: sample N answers per prompt from the held checkpoint and rank them, with the prompt's typed
 * candidates, by every predictor (docs/GENERATION.md). Composed from the generate/ modules rather than calling
 * generateCandidates, for two things the page needs that the CLI does not: Stop keeps what was decoded so far
 * (scored like a sample cut off by the length limit), and each candidate's per-token log-probs for the heatmap,
 * taken from the same scoring pass as the predictors.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { LoadedCheckpoint } from '../dph/checkpoint/load';
import {
	bestPicks,
	type Candidate,
	checkGenerate,
	DEFAULT_BETA,
	GenerateError,
	type Models,
	promptIds,
	rankingHead,
} from '../dph/generate/candidates';
import { type DecodedSample, decode } from '../dph/generate/decode';
import {
	type AnswerSequence,
	candidateSequence,
	predictors,
	sampleSequence,
	scoreSequences,
} from '../dph/generate/predictors';
import { contextLength } from '../dph/model/family';
import { deriveSeed } from '../dph/random';
import type { TokenScore } from '../dph/score';
import type { JobContext, JobSpecs } from './job-specs';

type TF = typeof tfjs;
type Params = JobSpecs['generate']['params'];

export interface RankedSample extends Candidate {
	/** Typed by the user, or sampled by the model. */
	source: 'typed' | 'generated';
	/** Sample (or typed candidate) number within its source, from 0. */
	index: number;
	/** Generated, then cut short by Stop. */
	stopped?: boolean;
	/** The answer's content tokens and their log-probs (with `tokens: true`). */
	tokens?: TokenScore[];
}

export interface GeneratedPrompt {
	/** Typed candidates first, then the samples, in that order (the page sorts). */
	candidates: RankedSample[];
	/** Each predictor's pick, an index into `candidates` (over typed and generated alike). */
	best: ReturnType<typeof bestPicks>;
	/** Typed candidates that were not scored (over the context), by message. */
	errors: string[];
	/** Why the prompt could not be generated for (empty, too long), or null. */
	error: string | null;
	/** Tokens generated for this prompt. */
	tokens: number;
}

/** Streamed texts are posted at most this often: a progress message per token would flood the page. */
const STREAM_MS = 60;

export async function runGenerate(
	tf: TF,
	ck: LoadedCheckpoint,
	params: Params,
	ctx: JobContext<'generate'>,
): Promise<JobSpecs['generate']['result']> {
	const n = params.n;
	if (n > 0) checkGenerate({ ...params, n });
	const models: Models = { policy: ck, head: params.head ?? null };
	const head = rankingHead(models);
	const t0 = performance.now();
	const out: GeneratedPrompt[] = [];
	let generated = 0;
	for (let i = 0; i < params.prompts.length && !ctx.signal.aborted; i++) {
		try {
			const r = await onePrompt(tf, ck, params, i, head, ctx);
			generated += r.tokens;
			out.push(r);
		} catch (e) {
			if (!(e instanceof GenerateError)) throw e;
			out.push({ candidates: [], best: bestPicks([]), errors: [], error: e.message, tokens: 0 });
		}
		ctx.progress({ step: i + 1, total: params.prompts.length, prompt: i, texts: [], tokens: 0 });
	}
	const seconds = (performance.now() - t0) / 1000;
	return {
		prompts: out,
		stopped: ctx.signal.aborted,
		head,
		heads: [...(ck.config.reward_heads ?? [])],
		seconds,
		tokensPerSecond: seconds > 0 ? generated / seconds : 0,
	};
}

async function onePrompt(
	tf: TF,
	ck: LoadedCheckpoint,
	params: Params,
	i: number,
	head: string | null,
	ctx: JobContext<'generate'>,
): Promise<GeneratedPrompt> {
	const tok = ck.tokenizer;
	const imEnd = tok.special.imEnd;
	const { messages, candidates: typed = [] } = params.prompts[i];
	const limit = contextLength(ck.config).tokens;
	const seqs: AnswerSequence[] = [];
	const meta: Omit<RankedSample, keyof Candidate>[] = [];
	const texts: string[] = [];
	const finishes: (Candidate['finish'] | undefined)[] = [];
	const errors: string[] = [];
	typed.forEach((text, j) => {
		const s = candidateSequence(tok, messages, text);
		if (s.ids.length > limit) {
			errors.push(`candidate ${j + 1} is ${s.ids.length} tokens with its prompt; the limit is ${limit}`);
			return;
		}
		seqs.push(s);
		meta.push({ source: 'typed', index: j });
		texts.push(text);
		finishes.push(undefined);
	});
	let tokens = 0;
	if (params.n > 0) {
		const prompt = promptIds({ policy: ck }, messages);
		// The scored sequence is the prompt, the answer and an <|im_end|>: all of it must fit the context.
		const maxNewTokens = Math.min(params.maxNewTokens, limit - prompt.length - 1);
		const ids: number[][] = Array.from({ length: params.n }, () => []);
		let last = 0;
		const stream = () => {
			last = performance.now();
			const partial = ids.map((x) => tok.decode(x.at(-1) === imEnd ? x.slice(0, -1) : x));
			const t = ids.reduce((a, x) => a + x.length, 0);
			ctx.progress({ step: i, total: params.prompts.length, prompt: i, texts: partial, tokens: t });
		};
		let decoded: DecodedSample[];
		let stopped = false;
		try {
			decoded = await decode(tf, ck.config, ck.params, prompt, {
				temperature: params.temperature,
				topK: params.topK,
				topP: params.topP,
				n: params.n,
				maxNewTokens,
				seed: deriveSeed(params.seed ?? 0, 'line', i + 1),
				stopId: imEnd,
				signal: ctx.signal,
				onToken: (k, id) => {
					ids[k].push(id);
					if (performance.now() - last > STREAM_MS) stream();
				},
			});
		} catch (e) {
			if ((e as Error).name !== 'AbortError') throw e;
			// Stop: keep what each sample had, scored like one the length limit cut off.
			stopped = true;
			decoded = ids.map((x) => ({ ids: x, finish: x.at(-1) === imEnd ? 'im_end' : 'length' }));
		}
		stream();
		decoded.forEach((d, k) => {
			tokens += d.ids.length;
			seqs.push(sampleSequence(prompt, d.ids, imEnd));
			meta.push({ source: 'generated', index: k, ...(stopped && d.finish === 'length' ? { stopped } : {}) });
			texts.push(tok.decode(d.finish === 'im_end' ? d.ids.slice(0, -1) : d.ids));
			finishes.push(d.finish);
		});
	}
	const scored = seqs.length ? await scoreSequences(tf, ck, seqs) : [];
	const candidates: RankedSample[] = scored.map((s, k) => {
		const seq = seqs[k];
		const answer = seq.ids.slice(seq.answerStart, seq.end);
		const generatedIds = meta[k].source === 'generated' ? seq.ids.slice(seq.answerStart) : answer;
		const fin = finishes[k];
		return {
			...predictors(s, null, { beta: DEFAULT_BETA, head }),
			...meta[k],
			text: texts[k],
			// A generated sample's ids as decoded: the closing <|im_end|> only when it was generated.
			ids: fin === 'length' ? answer : generatedIds,
			...(fin ? { finish: fin } : {}),
			...(params.tokens
				? { tokens: answer.map((id, t) => ({ id, text: tok.decode([id]), logprob: s.tokenLogprobs[t] })) }
				: {}),
		};
	});
	return { candidates, best: bestPicks(candidates), errors, error: null, tokens };
}

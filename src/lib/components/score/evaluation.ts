/**
 * What the Score page computes from `generate` job results for a batch: the RewardBench-style evaluation items of
 * a labelled JSONL (each predictor's pick, per category) and the best-of-N pools of a prompts JSONL. The predictor
 * names and the exact-match rule are those of `dph eval` and `dph bestofn`, so the page and the CLI agree.
 */
import type { MultipleChoiceItem } from '$lib/dph/data/types';
import type { BestOfNCurves, Pool } from '$lib/dph/eval/best-of-n';
import { bestOfNCurves } from '$lib/dph/eval/best-of-n';
import type { EvalItem } from '$lib/dph/eval/table';
import type { GeneratedPrompt, RankedSample } from '$lib/workers/generate-job';
import type { GeneratePrompt } from '$lib/workers/job-specs';

type Scorer = (c: RankedSample) => number | null;

/** One reward per head ("reward" when there is one head), then the mean and the summed log-prob. */
export function predictorList(heads: readonly string[]): [string, Scorer][] {
	const out: [string, Scorer][] = heads.map((h) => [
		heads.length === 1 ? 'reward' : `reward:${h}`,
		(c) => c.rewards?.[h] ?? null,
	]);
	out.push(['logprob', (c) => c.logprob], ['logprob_sum', (c) => c.logprob_sum]);
	return out;
}

/** The first index of the highest score, NaN and null never picked; -1 when nothing is scored. */
function pick(scores: readonly (number | null)[]): number {
	let best = -1;
	scores.forEach((s, i) => {
		if (s !== null && !Number.isNaN(s) && (best < 0 || s > (scores[best] as number))) best = i;
	});
	return best;
}

/**
 * Evaluation items of the labelled lines: each predictor's pick among the line's candidates. A line whose
 * candidates were not all scored (over the context) is left out, as `dph eval` leaves it out.
 */
export function evalItemsOf(
	items: readonly MultipleChoiceItem[],
	categories: readonly (string | undefined)[],
	results: readonly GeneratedPrompt[],
	heads: readonly string[],
): EvalItem[] {
	const preds = predictorList(heads);
	const out: EvalItem[] = [];
	items.forEach((it, i) => {
		const r = results[i];
		if (it.label === undefined || !r || r.error || r.errors.length) return;
		const picks = Object.fromEntries(preds.map(([name, f]) => [name, pick(r.candidates.map(f))]));
		out.push({ label: it.label, ...(categories[i] !== undefined ? { category: categories[i] } : {}), picks });
	});
	return out;
}

/** Exact match after trimming surrounding whitespace, as `dph bestofn` checks a sample. */
export const matches = (text: string, reference: string): boolean => text.trim() === reference.trim();

export interface PromptsFile {
	prompts: GeneratePrompt[];
	references: string[];
	errors: string[];
}

/** Lines `{"messages":[…],"reference":"…"}`; a line without messages or a string reference is an error. */
export function parsePromptsJsonl(text: string, file: string): PromptsFile {
	const out: PromptsFile = { prompts: [], references: [], errors: [] };
	text
		.replace(/^\uFEFF/, '')
		.split(/\r?\n/)
		.forEach((s, i) => {
			if (!s.trim()) return;
			const where = `${file}: line ${i + 1}`;
			let o: Record<string, unknown>;
			try {
				o = JSON.parse(s);
			} catch (e) {
				out.errors.push(`${where}: not valid JSON (${(e as Error).message})`);
				return;
			}
			const m = o?.messages;
			const ok =
				Array.isArray(m) &&
				m.every((x) => typeof x?.content === 'string' && ['system', 'user', 'assistant'].includes(x?.role));
			if (!ok) out.errors.push(`${where}: "messages" must be an array of {"role","content"} messages`);
			else if (typeof o.reference !== 'string')
				out.errors.push(`${where}: no string "reference" answer to check the samples against`);
			else {
				out.prompts.push({
					messages: m.map((x: { role: 'system' | 'user' | 'assistant'; content: string }) => ({
						role: x.role,
						content: x.content,
					})),
				});
				out.references.push(o.reference);
			}
		});
	return out;
}

/** Best-of-N curves of every predictor (and random) from one pool of samples per prompt; null without a pool. */
export function curvesOf(
	results: readonly GeneratedPrompt[],
	references: readonly string[],
	heads: readonly string[],
): BestOfNCurves | null {
	const preds = predictorList(heads);
	// An empty answer has no mean log-prob; it is ranked last, as the page's ranking puts it.
	const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : -1e9);
	const pools: Pool[] = [];
	results.forEach((r, i) => {
		const s = r.candidates.filter((c) => c.source === 'generated');
		if (r.error || !s.length) return;
		pools.push({
			quality: s.map((c) => (matches(c.text, references[i]) ? 1 : 0)),
			scores: Object.fromEntries(preds.map(([name, f]) => [name, s.map((c) => finite(f(c)))])),
		});
	});
	return pools.length ? bestOfNCurves(pools) : null;
}

import { type LoadedCheckpoint, loadCheckpointTensors } from '../../lib/dph/checkpoint/load.ts';
import type { ChatMessage } from '../../lib/dph/data/types.ts';
import { bestOfNCurves, type Pool } from '../../lib/dph/eval/best-of-n.ts';
import type { Candidate } from '../../lib/dph/generate/candidates.ts';
import { candidateSequence, scoreSequences } from '../../lib/dph/generate/predictors.ts';
import { resolveHead } from '../../lib/dph/model/heads.ts';
import type { ScoringModel } from '../../lib/dph/score.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import { type CliCommand, flag, str, UsageError } from '../args.ts';
import {
	GENERATE_HELP,
	GENERATE_OPTIONS,
	generateArgs,
	generateLines,
	loadModels,
	parsePromptLines,
	readInput,
} from './generate.ts';

/** Exact match after trimming surrounding whitespace: a trailing newline is not a different answer. */
export const matches = (text: string, reference: string): boolean => text.trim() === reference.trim();

/**
 * A predictor's score for ranking: one it cannot give (an empty answer has no mean log-prob) ranks below every
 * scored sample, tied with the other unscored ones.
 */
const rank = (x: number | null): number => (x === null || Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x);

/**
 * Quality as a judge checkpoint's reward (the overoptimisation set-up of Gao et al.): each sample's text in its
 * context, encoded with the judge's own tokenizer, scored by the judge's head.
 */
async function judgeQualities(
	tf: Parameters<typeof scoreSequences>[0],
	judge: ScoringModel,
	head: string,
	messages: readonly ChatMessage[],
	texts: readonly string[],
): Promise<number[]> {
	const seqs = texts.map((t) => candidateSequence(judge.tokenizer, messages, t));
	const scored = await scoreSequences(tf, judge, seqs);
	return scored.map((x) => x.rewards?.[head] ?? Number.NaN);
}

export const bestofnCommand: CliCommand = {
	name: 'bestofn',
	summary: 'best-of-N curves: expected correctness of each predictor’s pick among N samples, N = 1…n',
	usage:
		'dph bestofn <checkpoint-dir> --input prompts.jsonl --n 16 [--max-new-tokens 64] [--temperature 0.7] [--top-k K] [--top-p 0.95] [--seed S] [--ref DIR] [--head NAME] [--heads DIR] [--judge DIR [--judge-head NAME]] [--json]',
	help: `Samples n answers per prompt (as dph generate) and, from that one pool per prompt, computes exactly over all
N-subsets the expected quality of the sample each predictor picks among N (order statistics: docs/GENERATION.md),
averaged over prompts, with random choice as the baseline. Quality is exact match (surrounding whitespace
trimmed) of a sample's text against the line's "reference" answer. Lines: {"messages":[…],"reference":"…"}.
With --judge DIR, quality is instead that checkpoint's reward of each sample (its --judge-head, default the
first), and lines need no reference: the overoptimisation set-up of Gao et al.
A line without a string "reference" (and no --judge), or that cannot be generated for, is reported on stderr
(exit code 1).
Predictors: reward (the --head), logprob, logprob_sum, and implicit_reward with --ref.
Options:
${GENERATE_HELP.replace('1..', 'default 16, 1..')}
  --judge DIR           quality = this checkpoint's DPH reward of each sample instead of exact match
  --judge-head NAME     the judge's reward head (default its first)
  --json                print {"N":[…],"curves":{"random":[…],"reward":[…],…},"pools":P}`,
	options: { ...GENERATE_OPTIONS, judge: { type: 'string' }, 'judge-head': { type: 'string' } },
	async run(args, io) {
		const input = str(args, 'input');
		if (!input) throw new UsageError('--input prompts.jsonl is required (use - for stdin)');
		const o = generateArgs(args, 16);
		const lines = parsePromptLines(readInput(input));
		const judgeDir = str(args, 'judge');
		for (const l of lines) {
			if (!judgeDir && l.raw && typeof l.raw.reference !== 'string') {
				l.messages = undefined;
				l.error = `line ${l.line}: no string "reference" answer to check the samples against`;
			}
		}
		const { tf, models, dispose } = await loadModels(args, io, 'bestofn');
		let judge: { model: LoadedCheckpoint; head: string } | null = null;
		try {
			if (judgeDir) {
				const model = await loadCheckpointTensors(tf, await dirFolder(judgeDir)).catch((e: Error) => {
					throw new UsageError(`--judge ${judgeDir}: the checkpoint could not be loaded: ${e.message}`);
				});
				try {
					judge = { model, head: resolveHead(model.config, str(args, 'judge-head')) };
				} catch (e) {
					model.dispose();
					throw new UsageError(`--judge ${judgeDir}: ${(e as Error).message}`);
				}
			}
			const names: [string, (c: Candidate) => number | null][] = [
				['reward', (c) => c.reward],
				['logprob', (c) => c.logprob],
				['logprob_sum', (c) => c.logprob_sum],
			];
			if (models.ref) names.push(['implicit_reward', (c) => c.implicit_reward]);
			const usable = names.filter(([n]) => n !== 'reward' || models.policy.config.reward_heads?.length);
			const pools: Pool[] = [];
			// Judged after generation, one prompt at a time, so the judge's passes never interleave with decoding.
			const toJudge: { k: number; messages: readonly ChatMessage[]; texts: string[] }[] = [];
			const bad = await generateLines(tf, models, lines, o, io, (l, r) => {
				if ('error' in r) {
					io.stderr(`${input}: ${r.error}\n`);
					return;
				}
				const scores = Object.fromEntries(usable.map(([n, f]) => [n, r.samples.map((s) => rank(f(s)))]));
				const texts = r.samples.map((s) => s.text);
				if (judge && l.messages) {
					toJudge.push({ k: pools.length, messages: l.messages, texts });
					pools.push({ quality: [], scores });
				} else {
					const ref = l.raw?.reference as string;
					pools.push({ quality: texts.map((t) => (matches(t, ref) ? 1 : 0)), scores });
				}
			});
			for (const j of toJudge) {
				if (!judge) break;
				pools[j.k] = { ...pools[j.k], quality: await judgeQualities(tf, judge.model, judge.head, j.messages, j.texts) };
			}
			if (!pools.length) {
				io.stderr('no prompt could be sampled\n');
				return 1;
			}
			const curves = bestOfNCurves(pools);
			if (flag(args, 'json')) io.stdout(`${JSON.stringify(curves)}\n`);
			else {
				const cols = Object.keys(curves.curves);
				const w = Math.max(...cols.map((c) => c.length)) + 2;
				const what = judge ? `reward of judge ${judgeDir} (head ${judge.head})` : 'exact-match accuracy';
				io.stdout(`Best-of-N, expected ${what} over ${curves.pools} prompt(s):\n`);
				io.stdout(`${'N'.padStart(4)}${cols.map((c) => c.padStart(w)).join('')}\n`);
				curves.N.forEach((N, i) => {
					io.stdout(
						`${String(N).padStart(4)}${cols.map((c) => curves.curves[c][i].toFixed(4).padStart(w)).join('')}\n`,
					);
				});
			}
			if (bad) io.stderr(`${bad} line(s) left out\n`);
			return bad ? 1 : 0;
		} finally {
			judge?.model.dispose();
			dispose();
		}
	},
};

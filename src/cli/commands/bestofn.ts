import { bestOfNCurves, type Pool } from '../../lib/dph/eval/best-of-n.ts';
import type { Candidate } from '../../lib/dph/generate/candidates.ts';
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

export const bestofnCommand: CliCommand = {
	name: 'bestofn',
	summary: 'best-of-N curves: expected correctness of each predictor’s pick among N samples, N = 1…n',
	usage:
		'dph bestofn <checkpoint-dir> --input prompts.jsonl --n 16 [--max-new-tokens 64] [--temperature 0.7] [--top-k K] [--top-p 0.95] [--seed S] [--ref DIR] [--head NAME] [--json]',
	help: `Samples n answers per prompt (as dph generate) and, from that one pool per prompt, computes exactly over all
N-subsets the expected quality of the sample each predictor picks among N (order statistics: docs/GENERATION.md),
averaged over prompts, with random choice as the baseline. Quality is exact match (surrounding whitespace
trimmed) of a sample's text against the line's "reference" answer. Lines: {"messages":[…],"reference":"…"}.
A line without a string "reference", or that cannot be generated for, is reported on stderr (exit code 1).
Predictors: reward (the --head), logprob, logprob_sum, and implicit_reward with --ref.
Options:
${GENERATE_HELP.replace('1..', 'default 16, 1..')}
  --json                print {"N":[…],"curves":{"random":[…],"reward":[…],…},"pools":P}`,
	options: GENERATE_OPTIONS,
	async run(args, io) {
		const input = str(args, 'input');
		if (!input) throw new UsageError('--input prompts.jsonl is required (use - for stdin)');
		const o = generateArgs(args, 16);
		const lines = parsePromptLines(readInput(input));
		for (const l of lines) {
			if (l.raw && typeof l.raw.reference !== 'string') {
				l.messages = undefined;
				l.error = `line ${l.line}: no string "reference" answer to check the samples against`;
			}
		}
		const { tf, models, dispose } = await loadModels(args, io, 'bestofn');
		try {
			const names: [string, (c: Candidate) => number | null][] = [
				['reward', (c) => c.reward],
				['logprob', (c) => c.logprob],
				['logprob_sum', (c) => c.logprob_sum],
			];
			if (models.ref) names.push(['implicit_reward', (c) => c.implicit_reward]);
			const usable = names.filter(([n]) => n !== 'reward' || models.policy.config.reward_heads?.length);
			const pools: Pool[] = [];
			const bad = await generateLines(tf, models, lines, o, io, (l, r) => {
				if ('error' in r) {
					io.stderr(`${input}: ${r.error}\n`);
					return;
				}
				const ref = l.raw?.reference as string;
				pools.push({
					quality: r.samples.map((s) => (matches(s.text, ref) ? 1 : 0)),
					scores: Object.fromEntries(usable.map(([n, f]) => [n, r.samples.map((s) => rank(f(s)))])),
				});
			});
			if (!pools.length) {
				io.stderr('no prompt could be sampled\n');
				return 1;
			}
			const curves = bestOfNCurves(pools);
			if (flag(args, 'json')) io.stdout(`${JSON.stringify(curves)}\n`);
			else {
				const cols = Object.keys(curves.curves);
				const w = Math.max(...cols.map((c) => c.length)) + 2;
				io.stdout(`Best-of-N, expected exact-match accuracy over ${curves.pools} prompt(s):\n`);
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
			dispose();
		}
	},
};

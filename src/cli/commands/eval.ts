import { parseJsonl } from '../../lib/dph/data/jsonl.ts';
import { agreementMatrix, type EvalItem, evaluationCsv, evaluationTable } from '../../lib/dph/eval/table.ts';
import { type Candidate, GenerateError, scoreCandidates } from '../../lib/dph/generate/candidates.ts';
import { argmax } from '../../lib/dph/score.ts';
import { type CliCommand, flag, str, UsageError } from '../args.ts';
import { loadModels, readInput } from './generate.ts';

/** Predictor names and how each scores a candidate: one reward per head ("reward" when there is one head). */
function predictorList(heads: readonly string[], withRef: boolean): [string, (c: Candidate) => number | null][] {
	const out: [string, (c: Candidate) => number | null][] = heads.map((h) => [
		heads.length === 1 ? 'reward' : `reward:${h}`,
		(c) => c.rewards?.[h] ?? null,
	]);
	out.push(['logprob', (c) => c.logprob], ['logprob_sum', (c) => c.logprob_sum]);
	if (withRef) out.push(['implicit_reward', (c) => c.implicit_reward]);
	return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const evalCommand: CliCommand = {
	name: 'eval',
	summary: 'accuracy of every predictor on labelled items, overall and per category, with 95 % Wilson intervals',
	usage: 'dph eval <checkpoint-dir> --input items.jsonl [--ref DIR] [--by category] [--head NAME] [--csv] [--json]',
	help: `Scores every candidate of every labelled line with each predictor — the DPH reward of each head, the mean
and summed log-prob, and the DPO implicit reward with --ref — and prints, RewardBench-style, each predictor's
accuracy (its highest-scored candidate is the label) overall and per group with 95 % Wilson intervals, then
how often each two predictors pick the same candidate. Formulas: docs/GENERATION.md.
Input lines: {"messages":[…],"candidates":["…",…],"label":i,"category"?:"…"} or TRL {"prompt","chosen","rejected"}
(label 0 = chosen). A line without a label, or that cannot be scored, is reported on stderr (exit code 1).
Options:
  --input FILE   the JSONL file, or - for stdin (required)
  --ref DIR      reference (SFT) checkpoint for the implicit reward; same tokenizer and vocabulary
  --beta B       β of the implicit reward (default 0.1; it does not change the ranking)
  --by FIELD     group rows by this field of each line (e.g. category); without it, "all" only
  --head NAME    check that this head exists (every head is a predictor anyway)
  --csv          print the table as CSV (group,predictor,correct,n,accuracy,ci95_lo,ci95_hi)
  --json         print {"rows":[…],"agreement":[[a,b,fraction]…]}
  --backend NAME webgpu, wasm or cpu`,
	options: {
		input: { type: 'string' },
		ref: { type: 'string' },
		beta: { type: 'string' },
		by: { type: 'string' },
		head: { type: 'string' },
		csv: { type: 'boolean' },
		json: { type: 'boolean' },
		backend: { type: 'string' },
	},
	async run(args, io) {
		const input = str(args, 'input');
		if (!input) throw new UsageError('--input items.jsonl is required (use - for stdin)');
		const by = str(args, 'by');
		const text = readInput(input);
		const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
		const parsed = parseJsonl(text);
		let bad = parsed.errors.length;
		for (const e of parsed.errors) io.stderr(`${input}: ${e.message}\n`);
		const { tf, models, dispose } = await loadModels(args, io, 'eval');
		try {
			const preds = predictorList(models.policy.config.reward_heads ?? [], Boolean(models.ref));
			const items: EvalItem[] = [];
			for (const r of parsed.records) {
				if (r.item.label === undefined) {
					io.stderr(`${input}: line ${r.line}: no "label": it cannot be evaluated\n`);
					bad++;
					continue;
				}
				let cands: Candidate[];
				try {
					cands = await scoreCandidates(tf, models, r.item.messages, r.item.candidates);
				} catch (e) {
					if (!(e instanceof GenerateError)) throw e;
					io.stderr(`${input}: line ${r.line}: ${e.message}\n`);
					bad++;
					continue;
				}
				const picks = Object.fromEntries(
					preds.map(([name, f]) => [name, argmax(cands.map((c) => f(c) ?? Number.NaN))]),
				);
				const it: EvalItem = { label: r.item.label, picks };
				if (by !== undefined) {
					const v = (JSON.parse(raw[r.line - 1]) as Record<string, unknown>)[by];
					it.category = v === undefined || v === null ? '(none)' : String(v);
				}
				items.push(it);
				if (io.isTTY) io.stderr(`\rscored ${items.length}/${parsed.records.length}\x1b[K`);
			}
			if (io.isTTY) io.stderr('\n');
			if (!items.length) {
				io.stderr('no labelled item could be scored\n');
				return 1;
			}
			const names = preds.map(([n]) => n);
			const rows = evaluationTable(items, names);
			const agree = agreementMatrix(items, names);
			if (flag(args, 'json')) io.stdout(`${JSON.stringify({ rows, agreement: agree })}\n`);
			else if (flag(args, 'csv')) io.stdout(evaluationCsv(rows));
			else {
				const g = Math.max(5, ...rows.map((r) => r.group.length)) + 2;
				const p = Math.max(9, ...names.map((n) => n.length)) + 2;
				io.stdout(
					`${'group'.padEnd(g)}${'predictor'.padEnd(p)}${'accuracy'.padStart(9)}   95% CI          correct/n\n`,
				);
				for (const r of rows) {
					const ci = `[${pct(r.lo)}, ${pct(r.hi)}]`;
					io.stdout(
						`${r.group.padEnd(g)}${r.predictor.padEnd(p)}${pct(r.accuracy).padStart(9)}   ${ci.padEnd(16)}${r.correct}/${r.n}\n`,
					);
				}
				io.stdout('\nAgreement (fraction of items where both pick the same candidate):\n');
				for (const [a, b, f] of agree) io.stdout(`  ${a} · ${b}: ${f.toFixed(3)}\n`);
			}
			if (bad) io.stderr(`${bad} line(s) could not be evaluated\n`);
			return bad ? 1 : 0;
		} finally {
			dispose();
		}
	},
};

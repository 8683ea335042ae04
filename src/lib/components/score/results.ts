/**
 * What the Score page shows of a ScoreResult, as plain functions: the ranked single-item table, the batch table
 * and its CSV, and the lines a batch could not score. Kept out of the page so it stays markup.
 */

import { unknownMessage } from '$lib/dph/data/tokenizer';
import type { MultipleChoiceItem } from '$lib/dph/data/types';
import { argmax, type ItemScore, type TokenScore } from '$lib/dph/score';
import { recordsToCsv } from '$lib/format/csv';

export interface RankedCandidate {
	i: number;
	text: string;
	reward: number | null;
	logprob: number;
	tokens: TokenScore[];
	/** Why it was not scored (too long), or null. */
	error: string | null;
	/** Characters that became <unk>, in words, or null. */
	unknown: string | null;
}

/** Candidates sorted by reward (or log-prob without a head), unscored ones last. */
export function rankCandidates(item: MultipleChoiceItem, s: ItemScore): RankedCandidate[] {
	const rows = item.candidates.map((text, i) => {
		const u = s.unknown?.candidates[i];
		return {
			i,
			text,
			reward: s.rewards ? s.rewards[i] : null,
			logprob: s.logprobs[i],
			tokens: s.tokens?.[i] ?? [],
			error: s.errors?.find((e) => e.candidate === i)?.message ?? null,
			unknown: u ? unknownMessage(u) : null,
		};
	});
	const key = (r: RankedCandidate) => {
		const k = r.reward ?? r.logprob;
		return Number.isNaN(k) ? Number.NEGATIVE_INFINITY : k;
	};
	return rows.sort((a, b) => key(b) - key(a) || a.i - b.i);
}

export interface BatchRow {
	line: number;
	prompt: string;
	label: number | null;
	byReward: number;
	byLogprob: number;
	rewards: number[] | null;
	logprobs: number[];
}

/** One row per scored item; items with an over-long candidate are left out (they are listed by `batchErrors`). */
export function batchRows(
	items: readonly MultipleChoiceItem[],
	lines: readonly number[],
	scores: readonly ItemScore[],
) {
	const rows: BatchRow[] = [];
	items.forEach((it, i) => {
		const s = scores[i];
		if (!s || s.errors?.length) return;
		rows.push({
			line: lines[i],
			prompt: it.messages.at(-1)?.content ?? '',
			label: it.label ?? null,
			byReward: s.rewards ? argmax(s.rewards) : -1,
			byLogprob: argmax(s.logprobs),
			rewards: s.rewards,
			logprobs: s.logprobs,
		});
	});
	return rows;
}

/** "file: line N: …" for every item with a candidate over the limit, and a warning per line with <unk>. */
export function batchProblems(file: string, lines: readonly number[], scores: readonly ItemScore[]) {
	const errors: string[] = [];
	const warnings: string[] = [];
	scores.forEach((s, i) => {
		if (s.errors?.length) errors.push(`${file}: line ${lines[i]}: ${s.errors.map((e) => e.message).join('; ')}`);
		const u = s.unknown;
		if (!u) return;
		const parts = [
			u.prompt ? `prompt: ${unknownMessage(u.prompt)}` : null,
			...u.candidates.map((c, j) => (c ? `candidate ${j + 1}: ${unknownMessage(c)}` : null)),
		];
		warnings.push(`${file}: line ${lines[i]}: ${parts.filter(Boolean).join('; ')}`);
	});
	return { errors, warnings };
}

const BATCH_COLUMNS = ['line', 'prompt', 'label', 'dph_choice', 'logprob_choice', 'rewards', 'logprobs'] as const;

export function batchCsv(rows: readonly BatchRow[]): string {
	return recordsToCsv(
		BATCH_COLUMNS,
		rows.map((r) => ({
			line: r.line,
			prompt: r.prompt,
			label: r.label ?? '',
			dph_choice: r.byReward,
			logprob_choice: r.byLogprob,
			rewards: r.rewards ? JSON.stringify(r.rewards.map((x) => +x.toFixed(6))) : '',
			logprobs: JSON.stringify(r.logprobs.map((x) => (Number.isNaN(x) ? null : +x.toFixed(6)))),
		})),
	);
}

export const fmt = (x: number | null | undefined, d = 3): string =>
	x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d);

export const mb = (b: number): string => (b / 1e6).toFixed(b < 1e7 ? 2 : 0);

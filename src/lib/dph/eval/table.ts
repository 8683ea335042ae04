/**
 * RewardBench-style evaluation of labelled items: for each predictor (DPH reward per head, log-prob, summed
 * log-prob, DPO implicit reward), the accuracy of its pick overall and per category with 95 % Wilson intervals,
 * and how often two predictors pick the same candidate.
 *
 * The Wilson score interval (Wilson 1927; Newcombe 1998, method 3) is used rather than the normal approximation
 * because it stays inside [0, 1] and keeps its coverage at the small counts a category often has.
 */
import { type CsvCell, recordsToCsv } from '../../format/csv';

/** z for a two-sided 95 % interval: Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/** The Wilson score interval for k successes in n trials. */
export function wilson(k: number, n: number, z = Z95): { lo: number; hi: number } {
	if (!Number.isInteger(k) || !Number.isInteger(n) || n < 1 || k < 0 || k > n) {
		throw new RangeError(`a Wilson interval needs whole 0 ≤ k ≤ n, n ≥ 1, got k = ${k}, n = ${n}`);
	}
	const p = k / n;
	const z2 = z * z;
	const d = 1 + z2 / n;
	const centre = (p + z2 / (2 * n)) / d;
	const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
	return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** One labelled item: the index of the right candidate, and the candidate each predictor picked. */
export interface EvalItem {
	label: number;
	category?: string;
	picks: Readonly<Record<string, number>>;
}

export interface EvalRow {
	/** "all", or a category. */
	group: string;
	predictor: string;
	correct: number;
	n: number;
	accuracy: number;
	lo: number;
	hi: number;
}

/** Rows for "all" first, then each category in first-seen order; predictors in the order given. */
export function evaluationTable(items: readonly EvalItem[], predictors: readonly string[]): EvalRow[] {
	if (items.length === 0) throw new RangeError('an evaluation table needs at least one labelled item');
	const groups = new Map<string, EvalItem[]>([['all', [...items]]]);
	for (const it of items) {
		if (it.category === undefined) continue;
		const g = groups.get(`category:${it.category}`) ?? [];
		g.push(it);
		groups.set(`category:${it.category}`, g);
	}
	const rows: EvalRow[] = [];
	for (const [key, group] of groups) {
		for (const predictor of predictors) {
			let correct = 0;
			for (const it of group) {
				const pick = it.picks[predictor];
				if (pick === undefined) throw new RangeError(`an item has no pick from predictor "${predictor}"`);
				if (pick === it.label) correct++;
			}
			const { lo, hi } = wilson(correct, group.length);
			const name = key === 'all' ? 'all' : key.slice('category:'.length);
			rows.push({ group: name, predictor, correct, n: group.length, accuracy: correct / group.length, lo, hi });
		}
	}
	return rows;
}

/** The fraction of items on which predictors a and b pick the same candidate. */
export function agreement(items: readonly EvalItem[], a: string, b: string): number {
	if (items.length === 0) throw new RangeError('agreement needs at least one item');
	return items.filter((it) => it.picks[a] === it.picks[b]).length / items.length;
}

/** Every pair of predictors' agreement, as [a, b, fraction] with a before b in the given order. */
export function agreementMatrix(items: readonly EvalItem[], predictors: readonly string[]): [string, string, number][] {
	const out: [string, string, number][] = [];
	for (let i = 0; i < predictors.length; i++) {
		for (let j = i + 1; j < predictors.length; j++) {
			out.push([predictors[i], predictors[j], agreement(items, predictors[i], predictors[j])]);
		}
	}
	return out;
}

const COLUMNS = ['group', 'predictor', 'correct', 'n', 'accuracy', 'ci95_lo', 'ci95_hi'] as const;

export function evaluationCsv(rows: readonly EvalRow[]): string {
	return recordsToCsv(
		COLUMNS,
		rows.map(
			(r): Record<(typeof COLUMNS)[number], CsvCell> => ({
				group: r.group,
				predictor: r.predictor,
				correct: r.correct,
				n: r.n,
				accuracy: r.accuracy,
				ci95_lo: r.lo,
				ci95_hi: r.hi,
			}),
		),
	);
}

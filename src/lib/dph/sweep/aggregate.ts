/**
 * Aggregation and merging of sweep results.
 *   aggregate()   group runs by every parameter except the seed → one row per configuration with mean ± sample
 *                 sd (n − 1 in the denominator; null when n = 1) of each validation metric over its seeds
 *   mergeResults() combine result files (shards): duplicates reported (the first kept), and with the spec, the
 *                 runs no file has (missing) and the runs the spec does not know (unexpected)
 *   formatTable() the table as aligned text (`0.91 ± 0.03`), CSV or JSON
 * Failed (diverged) runs are counted per row but kept out of the statistics.
 */
import { toCsv } from '../../format/csv';
import { METRICS, type RunMetrics, type RunResult } from './results';
import { AXES, type Axis, type ExpandedSweep, type ParamValue } from './spec';

export interface Stat {
	mean: number;
	/** Sample standard deviation (n − 1); null for a single value. */
	sd: number | null;
	n: number;
}

export interface TableRow {
	/** The row's parameters (every axis but seed). */
	params: Partial<Record<Axis, ParamValue>>;
	/** Runs in the group, failed ones included. */
	runs: number;
	failed: number;
	/** Seeds of the successful runs. */
	seeds: number[];
	metrics: Record<keyof RunMetrics, Stat | null>;
}

export interface SweepTable {
	/** Axes that tell rows apart, in run order. */
	axes: Axis[];
	metrics: (keyof RunMetrics)[];
	rows: TableRow[];
}

export function meanSd(xs: readonly number[]): Stat | null {
	const n = xs.length;
	if (!n) return null;
	let sum = 0;
	for (const x of xs) sum += x;
	const mean = sum / n;
	if (n === 1) return { mean, sd: null, n };
	// Two-pass: no cancellation from subtracting large sums of squares.
	let ss = 0;
	for (const x of xs) ss += (x - mean) ** 2;
	return { mean, sd: Math.sqrt(ss / (n - 1)), n };
}

export function aggregate(results: readonly RunResult[]): SweepTable {
	const present = new Set<string>();
	for (const r of results) for (const k of Object.keys(r.params)) present.add(k);
	const axes = AXES.filter((a) => a !== 'seed' && present.has(a));
	const groups = new Map<string, { first: number; params: TableRow['params']; runs: RunResult[] }>();
	for (const r of results) {
		const params: TableRow['params'] = {};
		for (const a of axes) if (r.params[a] !== undefined) params[a] = r.params[a];
		const key = JSON.stringify(axes.map((a) => params[a] ?? null));
		const g = groups.get(key);
		if (g) {
			g.runs.push(r);
			g.first = Math.min(g.first, r.index);
		} else groups.set(key, { first: r.index, params, runs: [r] });
	}
	const rows = [...groups.values()]
		.sort((a, b) => a.first - b.first)
		.map((g): TableRow => {
			const ok = [...g.runs].sort((a, b) => a.index - b.index).filter((r) => !r.error && r.metrics);
			const metrics = {} as TableRow['metrics'];
			for (const m of METRICS) metrics[m] = meanSd(ok.map((r) => (r.metrics as RunMetrics)[m]));
			return {
				params: g.params,
				runs: g.runs.length,
				failed: g.runs.length - ok.length,
				seeds: ok.map((r) => r.params.seed).filter((s): s is number => typeof s === 'number'),
				metrics,
			};
		});
	return { axes, metrics: [...METRICS], rows };
}

export interface MergeInput {
	/** A file name, for reports. */
	source: string;
	results: readonly RunResult[];
}

export interface MergeReport {
	/** One result per id (the first seen), in run order. */
	results: RunResult[];
	/** Ids found in more than one place; `sources` lists where, the kept one first. */
	duplicates: { id: string; sources: string[]; differ: boolean }[];
	/** Ids of the spec that no file has (only with a spec). */
	missing: string[] | null;
	/** Ids in the files that the spec does not have, or whose config differs from the spec's (only with a spec). */
	unexpected: string[] | null;
	mismatched: string[] | null;
	/** Sweep names and spec hashes seen in the files: more than one means files from different sweeps. */
	sweeps: { sweep: string; spec_hash: string; runs: number }[];
}

export function mergeResults(inputs: readonly MergeInput[], sweep?: ExpandedSweep): MergeReport {
	const kept = new Map<string, { r: RunResult; source: string }>();
	const dups = new Map<string, { sources: string[]; differ: boolean }>();
	const sweeps = new Map<string, { sweep: string; spec_hash: string; runs: number }>();
	for (const { source, results } of inputs) {
		for (const r of results) {
			const key = `${r.sweep}\u0000${r.spec_hash}`;
			const s = sweeps.get(key) ?? { sweep: r.sweep, spec_hash: r.spec_hash, runs: 0 };
			s.runs++;
			sweeps.set(key, s);
			const first = kept.get(r.id);
			if (!first) {
				kept.set(r.id, { r, source });
				continue;
			}
			const d = dups.get(r.id) ?? { sources: [first.source], differ: false };
			d.sources.push(source);
			d.differ ||= JSON.stringify(first.r.metrics) !== JSON.stringify(r.metrics) || first.r.error !== r.error;
			dups.set(r.id, d);
		}
	}
	const results = [...kept.values()].map((k) => k.r).sort((a, b) => a.index - b.index);
	let missing: string[] | null = null;
	let unexpected: string[] | null = null;
	let mismatched: string[] | null = null;
	if (sweep) {
		const spec = new Map(sweep.runs.map((r) => [r.id, r]));
		missing = sweep.runs.filter((r) => !kept.has(r.id)).map((r) => r.id);
		unexpected = results.filter((r) => !spec.has(r.id)).map((r) => r.id);
		mismatched = results.filter((r) => spec.has(r.id) && spec.get(r.id)?.configHash !== r.config_hash).map((r) => r.id);
	}
	return {
		results,
		duplicates: [...dups].map(([id, d]) => ({ id, ...d })),
		missing,
		unexpected,
		mismatched,
		sweeps: [...sweeps.values()],
	};
}

/** Column labels of the text table: short, so seven metrics fit a terminal. */
const SHORT: Record<keyof RunMetrics, string> = {
	dph_accuracy: 'dph_acc',
	logprob_accuracy: 'logprob_acc',
	reward_chosen: 'r_w',
	reward_rejected: 'r_l',
	margin: 'margin',
	loss_dph: 'loss_dph',
	loss_dpo: 'loss_dpo',
};

export function formatStat(s: Stat | null, digits = 2): string {
	if (!s) return '—';
	return s.sd === null ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
}

export type TableFormat = 'text' | 'csv' | 'json';

export function formatTable(t: SweepTable, format: TableFormat = 'text', digits = 2): string {
	if (format === 'json') return `${JSON.stringify(t)}\n`;
	if (format === 'csv') {
		const head = [...t.axes, 'n', 'failed', ...t.metrics.flatMap((m) => [`${m}_mean`, `${m}_sd`])];
		return toCsv(
			head,
			t.rows.map((r) => [
				...t.axes.map((a) => r.params[a]),
				r.runs - r.failed,
				r.failed,
				...t.metrics.flatMap((m) => [r.metrics[m]?.mean, r.metrics[m]?.sd]),
			]),
		);
	}
	const head = [...t.axes, 'n', ...t.metrics.map((m) => SHORT[m])];
	const anyFailed = t.rows.some((r) => r.failed);
	if (anyFailed) head.splice(t.axes.length + 1, 0, 'failed');
	const body = t.rows.map((r) => [
		...t.axes.map((a) => String(r.params[a] ?? '')),
		String(r.runs - r.failed),
		...(anyFailed ? [String(r.failed)] : []),
		...t.metrics.map((m) => formatStat(r.metrics[m], digits)),
	]);
	const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
	// Parameters left-aligned, numbers right-aligned, as in a paper's table.
	const fmt = (row: string[]) =>
		row
			.map((c, i) => (i < t.axes.length ? c.padEnd(widths[i]) : c.padStart(widths[i])))
			.join('  ')
			.trimEnd();
	return `${[fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n')}\n`;
}

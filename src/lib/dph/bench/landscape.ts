/**
 * Landscape timings: the structured fast path of computeLandscape against a naive per-cell loop (Math.log /
 * Math.exp in every cell, as a straightforward port would do), for SepDPH and ConDPH at 256² and 1024².
 * Medians of many repetitions after a warm-up, so JIT compilation and GC pauses do not dominate.
 * Not a unit test: absolute times depend on the machine. Used by `dph bench` and docs/BENCHMARKS.md.
 */
import { computeLandscape, type Landscape } from '../landscape/index';
import { DPH_OBJECTIVES, type DphObjective } from '../losses';

export interface LandscapeBenchRow {
	loss: DphObjective;
	n: number;
	/** `structured`: computeLandscape reusing its output; `naive`: per-cell loop; `generic`: computeLandscape's per-cell fallback. */
	method: 'structured' | 'naive' | 'generic';
	medianMs: number;
	minMs: number;
	reps: number;
}

export interface LandscapeBenchOptions {
	/** Repetitions per measurement (default 200 for 256², 40 for 1024²). */
	reps?: number;
	warmup?: number;
	sizes?: number[];
	/** Also time computeLandscape's generic per-cell method (slow; default false). */
	generic?: boolean;
}

const now = (): number => performance.now();

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The per-cell loop a direct port would write: three arrays, log/exp in every cell. Exported so a unit test can
 * check that it computes what computeLandscape does (the bench compares their speed, the test only their values).
 */
export function naiveLandscape(
	loss: DphObjective,
	eps: number,
	lo: number,
	hi: number,
	n: number,
	out: Landscape,
): void {
	const step = (hi - lo) / (n - 1);
	const { loss: L, drw, drl } = out;
	for (let j = 0; j < n; j++) {
		const rl = lo + j * step;
		for (let i = 0; i < n; i++) {
			const rw = lo + i * step;
			const k = j * n + i;
			if (loss === 'sepdph') {
				L[k] =
					(1 - eps) * Math.log1p(Math.exp(-rw)) +
					eps * Math.log1p(Math.exp(rw)) +
					eps * Math.log1p(Math.exp(-rl)) +
					(1 - eps) * Math.log1p(Math.exp(rl));
				drw[k] = eps - 1 / (Math.exp(rw) + 1);
				drl[k] = 1 / (Math.exp(-rl) + 1) - eps;
			} else {
				const d = rw - rl;
				L[k] = (1 - eps) * Math.log1p(Math.exp(-d)) + eps * Math.log1p(Math.exp(d));
				const g = eps - 1 / (Math.exp(d) + 1);
				drw[k] = g;
				drl[k] = -g;
			}
		}
	}
}

function time(fn: () => void, reps: number, warmup: number): { median: number; min: number } {
	for (let i = 0; i < warmup; i++) fn();
	const ts: number[] = [];
	for (let i = 0; i < reps; i++) {
		const t0 = now();
		fn();
		ts.push(now() - t0);
	}
	return { median: median(ts), min: Math.min(...ts) };
}

export function benchLandscape(opts: LandscapeBenchOptions = {}): LandscapeBenchRow[] {
	const rows: LandscapeBenchRow[] = [];
	const lo = -6;
	const hi = 6;
	const eps = 0.1;
	for (const n of opts.sizes ?? [256, 1024]) {
		const reps = opts.reps ?? (n <= 256 ? 200 : 40);
		const warmup = opts.warmup ?? Math.max(5, reps >> 2);
		for (const loss of DPH_OBJECTIVES) {
			const out = computeLandscape(loss, { eps }, { lo, hi, n });
			const s = time(() => computeLandscape(loss, { eps }, { lo, hi, n }, out), reps, warmup);
			rows.push({ loss, n, method: 'structured', medianMs: s.median, minMs: s.min, reps });
			const v = time(() => naiveLandscape(loss, eps, lo, hi, n, out), reps, warmup);
			rows.push({ loss, n, method: 'naive', medianMs: v.median, minMs: v.min, reps });
			if (opts.generic) {
				const gr = Math.max(3, reps >> 3);
				const g = time(() => computeLandscape(loss, { eps }, { lo, hi, n }, out, { method: 'generic' }), gr, 2);
				rows.push({ loss, n, method: 'generic', medianMs: g.median, minMs: g.min, reps: gr });
			}
		}
	}
	return rows;
}

/** naive / structured median time per loss at grid size n (how many times faster the structured path is). */
export function landscapeSpeedup(rows: LandscapeBenchRow[], n: number): Partial<Record<DphObjective, number>> {
	const out: Partial<Record<DphObjective, number>> = {};
	for (const loss of DPH_OBJECTIVES) {
		const at = (method: LandscapeBenchRow['method']) =>
			rows.find((r) => r.n === n && r.loss === loss && r.method === method)?.medianMs;
		const fast = at('structured');
		const slow = at('naive');
		if (fast !== undefined && slow !== undefined && fast > 0) out[loss] = slow / fast;
	}
	return out;
}

/** Plain-text table of the rows, for the CLI and docs. */
export function formatLandscapeBench(rows: LandscapeBenchRow[]): string {
	const lines = ['loss     grid       method       median ms   min ms'];
	for (const r of rows) {
		lines.push(
			`${r.loss.padEnd(8)} ${`${r.n}×${r.n}`.padEnd(10)} ${r.method.padEnd(12)} ${r.medianMs.toFixed(3).padStart(9)} ${r.minMs.toFixed(3).padStart(8)}`,
		);
	}
	for (const n of new Set(rows.map((r) => r.n))) {
		const sp = Object.entries(landscapeSpeedup(rows, n));
		if (sp.length)
			lines.push(`structured vs naive at ${n}×${n}: ${sp.map(([l, x]) => `${l} ${x.toFixed(1)}× faster`).join(', ')}`);
	}
	return `${lines.join('\n')}\n`;
}

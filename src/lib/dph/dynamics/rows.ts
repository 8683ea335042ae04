/** Recorded series as rows for Observable Plot, thinned to every k-th step. */
import type { SimulationResult } from './simulation';

/** One row per recorded step up to `step`, ready for Observable Plot. */
export interface DynamicsRow {
	step: number;
	meanRw: number;
	meanRl: number;
	meanMargin: number;
	sdMargin: number;
	meanSum: number;
	loss: number;
	accuracy: number;
}

/** Steps 0, every, 2·every, … and always the latest one, so thinned curves still end where the run is. */
function sampledSteps(step: number, every: number): number[] {
	const k = Math.max(1, Math.floor(every));
	const out: number[] = [];
	for (let t = 0; t <= step; t += k) out.push(t);
	if (out[out.length - 1] !== step) out.push(step);
	return out;
}

export function rows(res: SimulationResult, every = 1): DynamicsRow[] {
	const out: DynamicsRow[] = [];
	for (const t of sampledSteps(res.step, every)) {
		out.push({
			step: t,
			meanRw: res.meanRw[t],
			meanRl: res.meanRl[t],
			meanMargin: res.meanMargin[t],
			sdMargin: res.sdMargin[t],
			meanSum: res.meanSum[t],
			loss: res.loss[t],
			accuracy: res.accuracy[t],
		});
	}
	return out;
}

/** The tracked pairs as long-format rows {pair, step, rw, rl, margin} up to `step`. */
export function trackedRows(
	res: SimulationResult,
	every = 1,
): { pair: number; flipped: boolean; step: number; rw: number; rl: number; margin: number }[] {
	const out: { pair: number; flipped: boolean; step: number; rw: number; rl: number; margin: number }[] = [];
	const ts = sampledSteps(res.step, every);
	for (const tp of res.tracked) {
		for (const t of ts) {
			out.push({
				pair: tp.pair,
				flipped: tp.flipped,
				step: t,
				rw: tp.rw[t],
				rl: tp.rl[t],
				margin: tp.rw[t] - tp.rl[t],
			});
		}
	}
	return out;
}

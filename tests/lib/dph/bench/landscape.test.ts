import { describe, expect, it } from 'vitest';
import {
	benchLandscape,
	formatLandscapeBench,
	landscapeSpeedup,
	naiveLandscape,
} from '../../../../src/lib/dph/bench/landscape';
import { computeLandscape } from '../../../../src/lib/dph/landscape/index';
import { DPH_OBJECTIVES } from '../../../../src/lib/dph/losses/index';

/** Equal up to float32 rounding of float64 sums done in a different order: a few ulp of float32. */
const close = (a: number, b: number) => Math.abs(a - b) <= 4 * 2 ** -23 * Math.max(Math.abs(a), Math.abs(b), 1e-6);

// `dph bench` times the structured landscape against this naive loop; here only their values are compared, so the
// speed claim rests on two paths that compute the same grid.
describe('landscape bench: the naive loop it races computes the same grid as computeLandscape', () => {
	it.each(DPH_OBJECTIVES)('%s', (loss) => {
		for (const eps of [0.1, 0.3]) {
			const grid = { lo: -6, hi: 6, n: 48 };
			const fast = computeLandscape(loss, { eps }, grid);
			const slow = computeLandscape(loss, { eps }, grid);
			slow.loss.fill(Number.NaN);
			naiveLandscape(loss, eps, grid.lo, grid.hi, grid.n, slow);
			for (let k = 0; k < fast.loss.length; k++) {
				expect(close(fast.loss[k], slow.loss[k]), `loss[${k}] ${fast.loss[k]} vs ${slow.loss[k]}`).toBe(true);
				expect(close(fast.drw[k], slow.drw[k]), `drw[${k}]`).toBe(true);
				expect(close(fast.drl[k], slow.drl[k]), `drl[${k}]`).toBe(true);
			}
		}
	});

	it('reports the speed-up as a ratio of one run (its size is not asserted: it depends on the machine)', () => {
		const rows = benchLandscape({ sizes: [16], reps: 3, warmup: 1 });
		const sp = landscapeSpeedup(rows, 16);
		for (const loss of DPH_OBJECTIVES) expect(Number.isFinite(sp[loss])).toBe(true);
		expect(formatLandscapeBench(rows)).toMatch(/structured vs naive at 16×16: sepdph [\d.]+× faster/);
	});
});

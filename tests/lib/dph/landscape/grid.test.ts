import { describe, expect, it } from 'vitest';
import { computeLandscape, gridCoordinate } from '../../../../src/lib/dph/landscape/grid';
import { optimalRegion } from '../../../../src/lib/dph/landscape/region';
import { getLoss, LOSS_NAMES, type LossParams, withLabelNoise } from '../../../../src/lib/dph/losses/index';
import { PARAM_SETS } from '../losses/reference';

const cases: [string, string, LossParams][] = [];
for (const name of LOSS_NAMES) for (const p of PARAM_SETS[name]) cases.push([`${name} ${JSON.stringify(p)}`, name, p]);

/** Equal up to float32 rounding: ≤ 2 ulp of float32 at the larger magnitude. */
function f32close(a: number, b: number): boolean {
	return Math.abs(a - b) <= 2 * 2 ** -23 * Math.max(Math.abs(a), Math.abs(b)) + 1e-30;
}

describe('computeLandscape: structured fast path = generic per-cell float64 computation', () => {
	it.each(cases)('%s', (_label, name, params) => {
		const loss = getLoss(name);
		const p = loss.validate(params);
		for (const grid of [
			{ lo: -6, hi: 6, n: 64 },
			{ lo: -2.5, hi: 7, n: 33 },
		]) {
			const fast = computeLandscape(name, params, grid);
			const slow = computeLandscape(name, params, grid, undefined, { method: 'generic' });
			expect(fast.method).toBe(loss.structure.kind);
			expect(slow.method).toBe('generic');
			const { n, lo, step } = fast;
			let checked = 0;
			for (let j = 0; j < n; j++) {
				for (let i = 0; i < n; i++) {
					const rw = lo + i * step;
					const rl = lo + j * step;
					// The hinge's subgradient jumps at the kink; Δ there can round either way between the two paths.
					if (name === 'slic' && Math.abs(rw - rl - p.delta) < 1e-9) continue;
					const k = j * n + i;
					const at = `(${rw}, ${rl})`;
					expect(f32close(fast.loss[k], slow.loss[k]), `loss ${at}: ${fast.loss[k]} vs ${slow.loss[k]}`).toBe(true);
					expect(f32close(fast.drw[k], slow.drw[k]), `drw ${at}`).toBe(true);
					expect(f32close(fast.drl[k], slow.drl[k]), `drl ${at}`).toBe(true);
					checked++;
				}
			}
			expect(checked).toBeGreaterThan(n * n - 2 * n);
			expect(f32close(fast.min, slow.min)).toBe(true);
			expect(f32close(fast.max, slow.max)).toBe(true);
			expect(fast.optimum).toEqual(loss.optimum(p));
		}
	});

	it('a loss without structure takes the generic per-cell path', () => {
		const base = getLoss('condph');
		const plain = { ...base, structure: { kind: 'none' as const } };
		const r = computeLandscape(plain, { eps: 0.2 }, { lo: -3, hi: 3, n: 16 });
		expect(r.method).toBe('generic');
		const ref = computeLandscape('condph', { eps: 0.2 }, { lo: -3, hi: 3, n: 16 });
		for (let k = 0; k < 256; k++) expect(f32close(r.loss[k], ref.loss[k])).toBe(true);
		// the noise wrapper keeps the structure, so it is fast too
		expect(computeLandscape(withLabelNoise(getLoss('dpo'), 0.1), {}, { lo: -3, hi: 3, n: 16 }).method).toBe('margin');
	});
});

describe('grid convention', () => {
	it('index j·n + i holds r_w = lo + i·step (fastest), r_l = lo + j·step', () => {
		const sep = getLoss('sepdph');
		const p = { eps: 0.1 };
		const g = computeLandscape('sepdph', p, { lo: -4, hi: 8, n: 7 });
		expect(g.step).toBe(2);
		expect(gridCoordinate(g, 0)).toBe(-4);
		expect(gridCoordinate(g, 6)).toBe(8);
		for (const [i, j] of [
			[0, 0],
			[6, 0],
			[0, 6],
			[2, 5],
			[5, 2],
		]) {
			const rw = -4 + 2 * i;
			const rl = -4 + 2 * j;
			const k = j * 7 + i;
			expect(g.loss[k]).toBe(Math.fround(sep.value(rw, rl, p)));
			expect(g.drw[k]).toBe(Math.fround(sep.grad(rw, rl, p)[0]));
			expect(g.drl[k]).toBe(Math.fround(sep.grad(rw, rl, p)[1]));
		}
		// r_w fastest: along a row only ∂/∂r_w changes for a separable loss
		expect(g.drl[7 * 3 + 0]).toBe(g.drl[7 * 3 + 6]);
		expect(g.drw[7 * 0 + 4]).toBe(g.drw[7 * 6 + 4]);
	});

	it('margin losses: constant along diagonals, ∂/∂r_l = −∂/∂r_w, min/max are the stored extremes', () => {
		const g = computeLandscape('condph', { eps: 0.25 }, { lo: -6, hi: 6, n: 50 });
		const { n } = g;
		expect(g.loss[3 * n + 5]).toBe(g.loss[10 * n + 12]);
		let min = Number.POSITIVE_INFINITY;
		let max = Number.NEGATIVE_INFINITY;
		for (let k = 0; k < n * n; k++) {
			expect(g.drl[k]).toBe(-g.drw[k]);
			min = Math.min(min, g.loss[k]);
			max = Math.max(max, g.loss[k]);
		}
		expect(g.min).toBe(min);
		expect(g.max).toBe(max);
		const s = computeLandscape('sepdph', { eps: 0.25 }, { lo: -6, hi: 6, n: 50 });
		expect(s.min).toBe(Math.min(...s.loss));
		expect(s.max).toBe(Math.max(...s.loss));
	});

	it('reuses the output buffers when passed `out` (allocation-free at a fixed n), reallocates when n changes', () => {
		const a = computeLandscape('sepdph', { eps: 0.1 }, { lo: -6, hi: 6, n: 32 });
		const { loss, drw, drl } = a;
		const b = computeLandscape('condph', { eps: 0.3 }, { lo: -3, hi: 3, n: 32 }, a);
		expect(b).toBe(a);
		expect(b.loss).toBe(loss);
		expect(b.drw).toBe(drw);
		expect(b.drl).toBe(drl);
		expect(b.lossName).toBe('condph');
		expect(b.method).toBe('margin');
		expect(b.optimum).toMatchObject({ kind: 'margin' });
		const fresh = computeLandscape('condph', { eps: 0.3 }, { lo: -3, hi: 3, n: 32 });
		expect(Array.from(b.loss)).toEqual(Array.from(fresh.loss));
		const c = computeLandscape('condph', { eps: 0.3 }, { lo: -3, hi: 3, n: 40 }, a);
		expect(c.loss.length).toBe(1600);
		expect(c.n).toBe(40);
	});

	it('rejects bad grids and bad parameters with clear messages', () => {
		expect(() => computeLandscape('sepdph', {}, { lo: 1, hi: 1, n: 8 })).toThrow(
			'grid range 1:1 is invalid: need finite lo < hi',
		);
		expect(() => computeLandscape('sepdph', {}, { lo: 0, hi: Number.NaN, n: 8 })).toThrow(/invalid/);
		expect(() => computeLandscape('sepdph', {}, { lo: -1, hi: 1, n: 1 })).toThrow('grid size n = 1 is invalid');
		expect(() => computeLandscape('sepdph', {}, { lo: -1, hi: 1, n: 2.5 })).toThrow(/grid size/);
		expect(() => computeLandscape('sepdph', { eps: 0.7 }, { lo: -1, hi: 1, n: 4 })).toThrow(
			'sepdph: eps = 0.7 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		expect(() => computeLandscape('nope', {}, { lo: -1, hi: 1, n: 4 })).toThrow(/unknown loss "nope"/);
	});

	it('ε = 0 draws fine and reports a diverging optimum', () => {
		const g = computeLandscape('condph', { eps: 0 }, { lo: -1e4, hi: 1e4, n: 64 });
		expect(g.optimum.kind).toBe('diverges');
		for (const v of g.loss) expect(Number.isFinite(v)).toBe(true);
		expect(optimalRegion(g.optimum, g.lo, g.hi)).toMatchObject({ kind: 'none' });
	});
});

import { describe, expect, it } from 'vitest';
import {
	expectedGradUnderNoise,
	expectedUnderNoise,
	getLoss,
	LOSS_NAMES,
	minimise,
	minimise1D,
	withLabelNoise,
} from '../../../../src/lib/dph/losses/index';
import { close, d1, d2, POINTS, REFERENCE } from './reference';

const EPSILONS = [0.01, 0.05, 0.1, 0.25, 0.4, 0.5];
const H = (e: number) => -e * Math.log(e) - (1 - e) * Math.log(1 - e);
const refSep = (rw: number, rl: number, eps: number) => REFERENCE.sepdph(rw, rl, { eps });
const refCon = (rw: number, rl: number, eps: number) => REFERENCE.condph(rw, rl, { eps });

describe('Theorem 1 (SepDPH): minimiser r_w* = log((1−ε)/ε), r_l* = −r_w*', () => {
	const sep = getLoss('sepdph');

	it.each(EPSILONS)('ε = %f', (eps) => {
		const p = sep.validate({ eps });
		const star = Math.log((1 - eps) / eps);
		const opt = sep.optimum(p);
		expect(opt.kind).toBe('point');
		if (opt.kind !== 'point') return;
		expect(opt.rw).toBeCloseTo(star, 13);
		expect(opt.rl).toBeCloseTo(-star, 13);
		expect(opt.closedForm).toBe(true);
		if (eps === 0.5) expect([opt.rw, opt.rl]).toEqual([0, -0]);
		// Zero gradient there, also by differences of the independent reference value.
		for (const g of sep.grad(opt.rw, opt.rl, p)) expect(Math.abs(g)).toBeLessThan(1e-15);
		expect(Math.abs(d1((x) => refSep(x, -star, eps), star))).toBeLessThan(1e-9);
		expect(Math.abs(d1((y) => refSep(star, y, eps), -star))).toBeLessThan(1e-9);
		// Minimum value 2·H(ε).
		expect(close(opt.value, 2 * H(eps), 1e-12, 1e-15)).toBe(true);
		expect(close(refSep(star, -star, eps), opt.value, 1e-12, 1e-15)).toBe(true);
		// Larger at every perturbed point (8 directions, two radii), by the reference formula.
		for (const r of [1e-3, 0.5]) {
			for (let k = 0; k < 8; k++) {
				const a = (k * Math.PI) / 4;
				expect(refSep(star + r * Math.cos(a), -star + r * Math.sin(a), eps)).toBeGreaterThan(opt.value);
			}
		}
		// A numeric minimiser started elsewhere lands there.
		for (const start of [
			{ rw: 0, rl: 0 },
			{ rw: -5, rl: 6 },
			{ rw: 8, rl: -9 },
		]) {
			const m = minimise(sep, p, start);
			expect(m.converged).toBe(true);
			expect(m.rw).toBeCloseTo(star, 9);
			expect(m.rl).toBeCloseTo(-star, 9);
		}
	});

	it('independent minimiser: golden-section search on the reference value lands on the same point', () => {
		for (const eps of EPSILONS) {
			const star = Math.log((1 - eps) / eps);
			expect(golden((x) => refSep(x, 0, eps), -20, 20)).toBeCloseTo(star, 6);
			expect(golden((y) => refSep(0, y, eps), -20, 20)).toBeCloseTo(-star, 6);
		}
	});

	it('appendix A.1: ∂L/∂r_w = ε − 1/(e^{r_w}+1), ∂L/∂r_l = 1/(e^{−r_l}+1) − ε, second derivatives e^r/(e^r+1)², by differences of the value', () => {
		for (const eps of EPSILONS) {
			for (const [rw, rl] of POINTS) {
				const gw = d1((x) => refSep(x, rl, eps), rw);
				const gl = d1((y) => refSep(rw, y, eps), rl);
				expect(close(gw, eps - 1 / (Math.exp(rw) + 1), 1e-6, 1e-10)).toBe(true); // eq. 8a
				expect(close(gl, 1 / (Math.exp(-rl) + 1) - eps, 1e-6, 1e-10)).toBe(true); // eq. 8b
				const hw = d2((x) => refSep(x, rl, eps), rw);
				const hl = d2((y) => refSep(rw, y, eps), rl);
				expect(close(hw, Math.exp(rw) / (Math.exp(rw) + 1) ** 2, 1e-6, 1e-8)).toBe(true); // eq. 9a
				expect(close(hl, Math.exp(rl) / (Math.exp(rl) + 1) ** 2, 1e-6, 1e-8)).toBe(true); // eq. 9b
				// and the module's analytic gradient agrees with the paper's form
				const [aw, al] = getLoss('sepdph').grad(rw, rl, { eps });
				expect(close(aw, eps - 1 / (Math.exp(rw) + 1), 1e-13, 1e-15)).toBe(true);
				expect(close(al, 1 / (Math.exp(-rl) + 1) - eps, 1e-13, 1e-15)).toBe(true);
			}
		}
	});
});

describe('Theorem 2 (ConDPH, and cDPO on implicit rewards): optimal margin log((1−ε)/ε)', () => {
	for (const name of ['condph', 'cdpo']) {
		const loss = getLoss(name);
		it.each(EPSILONS)(`${name}, ε = %f`, (eps) => {
			const p = loss.validate({ eps });
			const m = Math.log((1 - eps) / eps);
			const opt = loss.optimum(p);
			expect(opt.kind).toBe('margin');
			if (opt.kind !== 'margin') return;
			expect(opt.margin).toBeCloseTo(m, 13);
			if (eps === 0.5) expect(opt.margin).toBe(0);
			expect(close(opt.value, H(eps), 1e-12, 1e-15)).toBe(true);
			for (const c of [-3, 0, 2.5]) {
				// Anywhere on the line: zero gradient, the minimum value, and larger values off the line.
				const rw = c + m / 2;
				const rl = c - m / 2;
				for (const g of loss.grad(rw, rl, p)) expect(Math.abs(g)).toBeLessThan(1e-15);
				expect(Math.abs(d1((x) => refCon(x, rl, eps), rw))).toBeLessThan(1e-9);
				expect(close(refCon(rw, rl, eps), opt.value, 1e-12, 1e-15)).toBe(true);
				for (const r of [1e-3, 0.5]) {
					expect(refCon(rw + r, rl, eps)).toBeGreaterThan(opt.value);
					expect(refCon(rw, rl + r, eps)).toBeGreaterThan(opt.value);
					expect(refCon(rw - r, rl - r, eps)).toBeCloseTo(opt.value, 14); // flat along the line
				}
			}
			for (const start of [
				{ rw: 0, rl: 0 },
				{ rw: -5, rl: 6 },
				{ rw: 9, rl: -2 },
			]) {
				const r = minimise(loss, p, start);
				expect(r.converged).toBe(true);
				expect(r.rw - r.rl).toBeCloseTo(m, 9);
				expect((r.rw + r.rl) / 2).toBeCloseTo((start.rw + start.rl) / 2, 12);
			}
			expect(golden((x) => refCon(x, 0, eps), -20, 20)).toBeCloseTo(m, 6);
		});
	}

	it('appendix A.2: dL/dΔ = ε − 1/(e^Δ+1) (eq. 11), d²L/dΔ² = e^Δ/(e^Δ+1)² (eq. 12), ∂/∂r_l = e^{r_l}/(e^{r_l}+e^{r_w}) − ε (eq. 10b)', () => {
		for (const eps of EPSILONS) {
			for (const [rw, rl] of POINTS) {
				const D = rw - rl;
				const f = (x: number) => refCon(x, 0, eps);
				expect(close(d1(f, D), eps - 1 / (Math.exp(D) + 1), 1e-6, 1e-10)).toBe(true);
				expect(close(d2(f, D), Math.exp(D) / (Math.exp(D) + 1) ** 2, 1e-6, 1e-8)).toBe(true);
				const gl = d1((y) => refCon(rw, y, eps), rl);
				expect(close(gl, Math.exp(rl) / (Math.exp(rl) + Math.exp(rw)) - eps, 1e-6, 1e-10)).toBe(true);
				expect(
					close(
						-gl,
						d1((x) => refCon(x, rl, eps), rw),
						1e-6,
						1e-10,
					),
				).toBe(true); // eq. 10a = −10b
			}
		}
	});
});

describe('optima of the other losses', () => {
	it('ε = 0: SepDPH, ConDPH and cDPO have no finite optimum (margins diverge)', () => {
		for (const name of ['sepdph', 'condph', 'cdpo']) {
			const l = getLoss(name);
			const o = l.optimum(l.validate({ eps: 0 }));
			expect(o.kind).toBe('diverges');
			if (o.kind !== 'diverges') continue;
			expect(o.infimum).toBe(0);
			expect(o.towards[0]).toBeGreaterThan(0);
			expect(o.towards[1]).toBeLessThan(0);
			expect(o.reason).toMatch(/ε = 0/);
			expect(minimise(l, l.validate({ eps: 0 })).converged).toBe(false);
		}
	});

	it('DPO, BT, SimPO, BCO, rDPO diverge; the numeric minimiser agrees', () => {
		for (const name of ['dpo', 'bt', 'simpo', 'bco', 'rdpo']) {
			const l = getLoss(name);
			const p = l.validate({});
			expect(l.optimum(p).kind).toBe('diverges');
			const m = minimise(l, p, { rw: 0.2, rl: -0.1 });
			expect(m.converged).toBe(false);
			expect(m.rw - m.rl).toBeGreaterThan(100);
		}
		const r = getLoss('rdpo');
		const o = r.optimum({ eps: 0.2 });
		expect(o.kind === 'diverges' && o.infimum).toBe(Number.NEGATIVE_INFINITY);
		const o0 = r.optimum({ eps: 0 });
		expect(o0.kind === 'diverges' && o0.infimum).toBe(0);
	});

	it('IPO: the line r_w − r_l = ½ (log-ratio margin 1/(2β)), value 0', () => {
		const ipo = getLoss('ipo');
		for (const beta of [0.1, 0.6, 2]) {
			const o = ipo.optimum({ beta });
			expect(o).toMatchObject({ kind: 'margin', margin: 0.5, value: 0 });
			expect(ipo.value(1.25, 0.75, { beta })).toBe(0);
			expect(ipo.grad(1.25, 0.75, { beta })).toEqual([0, -0]);
			const m = minimise(ipo, { beta }, { rw: 3, rl: 4 });
			expect(m.rw - m.rl).toBeCloseTo(0.5, 12);
			// in log-ratio units h = Δ/β the target is 1/(2β)
			expect((m.rw - m.rl) / beta).toBeCloseTo(1 / (2 * beta), 10);
		}
	});

	it('SLiC: the half-plane r_w − r_l ≥ δ; the minimiser stops on it', () => {
		const s = getLoss('slic');
		const o = s.optimum({ delta: 1.5 });
		expect(o).toMatchObject({ kind: 'set', marginMin: 1.5, value: 0 });
		const m = minimise(s, { delta: 1.5 }, { rw: -2, rl: 3 });
		expect(m.converged).toBe(true);
		expect(m.rw - m.rl).toBeGreaterThanOrEqual(1.5 - 1e-12);
		expect(m.value).toBe(0);
	});

	it('minimise1D certifies a kink minimum and does not mistake a far flat tail for one', () => {
		const kink = { value: (x: number) => Math.abs(x - 0.3), d1: (x: number) => (x < 0.3 ? -1 : 1), d2: () => 0 };
		const r = minimise1D(kink, {}, 5);
		expect(r.converged).toBe(true);
		expect(r.x).toBeCloseTo(0.3, 9);
		const tail = getLoss('dpo').structure;
		if (tail.kind !== 'margin') throw new Error('dpo is a margin loss');
		expect(minimise1D(tail.f, {}, 0).converged).toBe(false);
	});
});

describe('label noise', () => {
	it('E over flips at rate η of DPO is ConDPH with ε = η; its optimum margin is log((1−η)/η)', () => {
		const dpo = getLoss('dpo');
		const con = getLoss('condph');
		for (const eta of [0.05, 0.2, 0.4]) {
			for (const [rw, rl] of POINTS) {
				expect(close(expectedUnderNoise(dpo, rw, rl, eta, {}), con.value(rw, rl, { eps: eta }), 1e-12, 1e-14)).toBe(
					true,
				);
				const [gw, gl] = expectedGradUnderNoise(dpo, rw, rl, eta, {});
				expect(
					close(
						gw,
						d1((x) => expectedUnderNoise(dpo, x, rl, eta, {}), rw),
						1e-6,
						1e-10,
					),
				).toBe(true);
				expect(
					close(
						gl,
						d1((y) => expectedUnderNoise(dpo, rw, y, eta, {}), rl),
						1e-6,
						1e-10,
					),
				).toBe(true);
			}
			const o = withLabelNoise(dpo, eta).optimum({});
			expect(o.kind).toBe('margin');
			if (o.kind === 'margin') expect(o.margin).toBeCloseTo(Math.log((1 - eta) / eta), 9);
		}
	});

	it('rDPO is unbiased: its expectation under flips at η = ε is exactly DPO', () => {
		const r = getLoss('rdpo');
		const dpo = getLoss('dpo');
		for (const eps of [0.1, 0.3, 0.45]) {
			for (const [rw, rl] of POINTS) {
				expect(close(expectedUnderNoise(r, rw, rl, eps, { eps }), dpo.value(rw, rl, {}), 1e-9, 1e-11)).toBe(true);
			}
			expect(withLabelNoise(r, eps).optimum({ eps }).kind).toBe('diverges');
		}
	});

	it('SepDPH(ε) under noise η is SepDPH(ε′) with ε′ = ε(1−η) + η(1−ε): targets shrink to ±log((1−ε′)/ε′)', () => {
		const sep = getLoss('sepdph');
		for (const [eps, eta] of [
			[0.1, 0.1],
			[0.05, 0.3],
			[0, 0.2],
		]) {
			const e2 = eps * (1 - eta) + eta * (1 - eps);
			const noisy = withLabelNoise(sep, eta);
			expect(noisy.structure.kind).toBe('separable');
			for (const [rw, rl] of POINTS) {
				expect(close(noisy.value(rw, rl, { eps }), sep.value(rw, rl, { eps: e2 }), 1e-12, 1e-14)).toBe(true);
			}
			const o = noisy.optimum({ eps });
			expect(o.kind).toBe('point');
			if (o.kind === 'point') {
				expect(o.rw).toBeCloseTo(Math.log((1 - e2) / e2), 9);
				expect(o.closedForm).toBe(false);
			}
		}
	});

	it('the noisy wrapper has consistent gradient and Hessian and the same structure kind', () => {
		for (const name of LOSS_NAMES) {
			const base = getLoss(name);
			const noisy = withLabelNoise(base, 0.15);
			const p = base.validate({});
			expect(noisy.structure.kind).toBe(base.structure.kind);
			for (const [rw, rl] of POINTS.slice(0, 8)) {
				if (name === 'slic' && (Math.abs(rw - rl - 1) < 0.05 || Math.abs(rl - rw - 1) < 0.05)) continue;
				const [gw, gl] = noisy.grad(rw, rl, p);
				expect(
					close(
						gw,
						d1((x) => noisy.value(x, rl, p), rw),
						1e-6,
						1e-9,
					),
				).toBe(true);
				expect(
					close(
						gl,
						d1((y) => noisy.value(rw, y, p), rl),
						1e-6,
						1e-9,
					),
				).toBe(true);
				const [[a, b], [, d]] = noisy.hessian(rw, rl, p);
				expect(
					close(
						a,
						d1((x) => noisy.grad(x, rl, p)[0], rw),
						1e-6,
						1e-9,
					),
				).toBe(true);
				expect(
					close(
						b,
						d1((y) => noisy.grad(rw, y, p)[0], rl),
						1e-6,
						1e-9,
					),
				).toBe(true);
				expect(
					close(
						d,
						d1((y) => noisy.grad(rw, y, p)[1], rl),
						1e-6,
						1e-9,
					),
				).toBe(true);
				// structure functions agree with value()
				const s = noisy.structure;
				const v =
					s.kind === 'margin'
						? s.f.value(rw - rl, p)
						: s.kind === 'separable'
							? s.w.value(rw, p) + s.l.value(rl, p)
							: Number.NaN;
				expect(close(v, noisy.value(rw, rl, p), 1e-12, 1e-13)).toBe(true);
			}
		}
	});

	it('η outside [0, 1] is rejected', () => {
		expect(() => expectedUnderNoise(getLoss('dpo'), 0, 0, 1.5, {})).toThrow(
			'eta = 1.5 is out of range: valid 0 ≤ eta ≤ 1',
		);
		expect(() => withLabelNoise(getLoss('dpo'), Number.NaN)).toThrow(/eta = NaN/);
	});
});

/** Golden-section search for the minimiser of a unimodal function on [a, b] — shares nothing with minimise(). */
function golden(f: (x: number) => number, a: number, b: number): number {
	const g = (Math.sqrt(5) - 1) / 2;
	let c = b - g * (b - a);
	let d = a + g * (b - a);
	for (let i = 0; i < 200; i++) {
		if (f(c) < f(d)) b = d;
		else a = c;
		c = b - g * (b - a);
		d = a + g * (b - a);
	}
	return (a + b) / 2;
}

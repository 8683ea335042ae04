/**
 * The closed forms stated in notebooks/label-noise.html, checked against the library (expectedUnderNoise,
 * withLabelNoise(...).optimum, i.e. its numeric minimiser) and against independent float64 math (the naive
 * reference formulas and a golden-section search that shares no code with src/lib/dph).
 */
import { describe, expect, it } from 'vitest';
import { descend } from '../../../../src/lib/dph/landscape/index';
import {
	condph,
	dpo,
	expectedUnderNoise,
	getLoss,
	ipo,
	type Optimum,
	rdpo,
	sepdph,
	withLabelNoise,
} from '../../../../src/lib/dph/losses/index';
import { close, REFERENCE, sig } from './reference';

/** Two independent flips at rates a and b: the label ends up flipped with probability a + b − 2ab. */
const flip = (a: number, b: number) => a + b - 2 * a * b;
/** log((1 − e)/e), the optimal margin of the label-smoothed logistic loss. */
const logitComp = (e: number) => Math.log((1 - e) / e);
const H = (e: number) => -e * Math.log(e) - (1 - e) * Math.log(1 - e);

/** The expected loss under flips, written out from the reference formulas (no library code). */
const refNoisy = (name: string, delta: number, eta: number, p: Record<string, number>) =>
	(1 - eta) * REFERENCE[name](delta, 0, p) + eta * REFERENCE[name](0, delta, p);

/** Golden-section search for the minimiser of a unimodal f on [a, b]. */
function golden(f: (x: number) => number, a: number, b: number, tol = 1e-10): number {
	const g = (Math.sqrt(5) - 1) / 2;
	let c = b - g * (b - a);
	let d = a + g * (b - a);
	while (b - a > tol) {
		if (f(c) < f(d)) b = d;
		else a = c;
		c = b - g * (b - a);
		d = a + g * (b - a);
	}
	return (a + b) / 2;
}

function marginOf(o: Optimum): number {
	if (o.kind !== 'margin') throw new Error(`expected a margin optimum, got ${o.kind}`);
	return o.margin;
}

const EPS = [0, 0.01, 0.1, 0.25, 0.4, 0.5];
const ETA = [0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.49];
const MARGINS = [-6, -2.5, -0.3, 0, 0.7, 1.9, 4, 9];

describe('ConDPH under label noise: effective smoothing ε′ = ε + η − 2εη', () => {
	it('the expected loss is exactly ConDPH with ε′ (identity in Δ, against the reference formulas)', () => {
		for (const eps of EPS) {
			for (const eta of [0, ...ETA]) {
				const ep = flip(eps, eta);
				for (const x of MARGINS) {
					const lib = expectedUnderNoise(condph, x, 0, eta, { eps });
					expect(close(lib, REFERENCE.condph(x, 0, { eps: ep }), 1e-12, 1e-14)).toBe(true);
					expect(close(refNoisy('condph', x, eta, { eps }), REFERENCE.condph(x, 0, { eps: ep }), 1e-12, 1e-14)).toBe(
						true,
					);
				}
			}
		}
	});

	it('the library minimiser lands on log((1 − ε′)/ε′) = 2·artanh((1 − 2ε)(1 − 2η)), value H(ε′)', () => {
		for (const eps of EPS) {
			for (const eta of ETA) {
				const ep = flip(eps, eta);
				const star = logitComp(ep);
				expect(Math.abs(star - 2 * Math.atanh((1 - 2 * eps) * (1 - 2 * eta)))).toBeLessThan(1e-12);
				expect(1 - 2 * ep).toBeCloseTo((1 - 2 * eps) * (1 - 2 * eta), 15);
				const o = withLabelNoise(condph, eta).optimum({ eps });
				expect(Math.abs(marginOf(o) - star)).toBeLessThan(1e-9);
				expect(close(o.kind === 'margin' ? o.value : Number.NaN, H(ep), 1e-12, 1e-14)).toBe(true);
			}
		}
	});

	it('an independent golden-section search on the reference expected loss agrees', () => {
		for (const [eps, eta] of [
			[0.1, 0.2],
			[0, 0.2],
			[0.25, 0.05],
			[0.4, 0.3],
		]) {
			const x = golden((d) => refNoisy('condph', d, eta, { eps }), -10, 10);
			expect(Math.abs(x - logitComp(flip(eps, eta)))).toBeLessThan(1e-6);
		}
	});

	it('smoothing and noise are interchangeable: the optimum is symmetric in (ε, η)', () => {
		for (const a of [0.02, 0.1, 0.3]) {
			for (const b of [0.05, 0.2, 0.45]) {
				const m1 = marginOf(withLabelNoise(condph, b).optimum({ eps: a }));
				const m2 = marginOf(withLabelNoise(condph, a).optimum({ eps: b }));
				expect(Math.abs(m1 - m2)).toBeLessThan(1e-9);
			}
		}
	});

	it('noise caps the margin: for every ε ≥ 0, Δ* ≤ log((1 − η)/η), with equality only at ε = 0', () => {
		for (const eta of ETA) {
			const cap = logitComp(eta);
			expect(Math.abs(marginOf(withLabelNoise(condph, eta).optimum({ eps: 0 })) - cap)).toBeLessThan(1e-9);
			for (const eps of EPS.filter((e) => e > 0)) {
				expect(marginOf(withLabelNoise(condph, eta).optimum({ eps }))).toBeLessThan(cap);
			}
		}
	});

	it('smoothing ε = (τ − η)/(1 − 2η) reaches the target margin log((1 − τ)/τ) under noise η (τ ≥ η)', () => {
		for (const [tau, eta] of [
			[0.1, 0.05],
			[0.25, 0.2],
			[0.3, 0.1],
			[0.1, 0.1],
		]) {
			const eps = (tau - eta) / (1 - 2 * eta);
			expect(Math.abs(marginOf(withLabelNoise(condph, eta).optimum({ eps })) - logitComp(tau))).toBeLessThan(1e-9);
		}
	});
});

describe('calibration: the implied preference probability σ(Δ*) = 1 − ε′', () => {
	it('ε = 0 (Bradley–Terry) is calibrated to the noisy labels: σ(Δ*) = 1 − η, for DPO and ConDPH alike', () => {
		for (const eta of ETA) {
			expect(sig(marginOf(withLabelNoise(condph, eta).optimum({ eps: 0 })))).toBeCloseTo(1 - eta, 10);
			expect(sig(marginOf(withLabelNoise(dpo, eta).optimum({})))).toBeCloseTo(1 - eta, 10);
		}
	});

	it('ε = η counts the noise twice: σ(Δ*) = 1 − 2η(1 − η) < 1 − η', () => {
		for (const eta of ETA) {
			const s = sig(marginOf(withLabelNoise(condph, eta).optimum({ eps: eta })));
			expect(s).toBeCloseTo(1 - 2 * eta * (1 - eta), 10);
			expect(s).toBeLessThan(1 - eta);
		}
		// The notebook's example: 0.68 instead of 0.8 at η = 0.2.
		expect(sig(marginOf(withLabelNoise(condph, 0.2).optimum({ eps: 0.2 })))).toBeCloseTo(0.68, 10);
	});

	it('the notebook default (η = 0.2, ε = 0.1): ε′ = 0.26, Δ* = log(0.74/0.26) = 1.046, σ = 0.74', () => {
		const m = marginOf(withLabelNoise(condph, 0.2).optimum({ eps: 0.1 }));
		expect(m).toBeCloseTo(Math.log(0.74 / 0.26), 10);
		expect(m.toFixed(3)).toBe('1.046');
		expect(sig(m)).toBeCloseTo(0.74, 10);
		// The browser test moves η to 0.3: ε′ = 0.34.
		expect(Math.log(0.66 / 0.34).toFixed(3)).toBe('0.663');
	});
});

describe('robust DPO: negative smoothing ε̃ = −ε/(1 − 2ε), effective ε′ = (η − ε)/(1 − 2ε)', () => {
	it('rDPO(ε) is the smoothed logistic loss with ε̃ = −ε/(1 − 2ε)', () => {
		for (const eps of [0.05, 0.1, 0.3, 0.45]) {
			const et = -eps / (1 - 2 * eps);
			for (const x of MARGINS) {
				const smoothed = -(1 - et) * Math.log(sig(x)) - et * Math.log(sig(-x));
				expect(close(rdpo.value(x, 0, { eps }), smoothed, 1e-11, 1e-13)).toBe(true);
				expect(close(REFERENCE.rdpo(x, 0, { eps }), smoothed, 1e-11, 1e-13)).toBe(true);
			}
		}
	});

	it('unbiased: under noise η = ε the expected rDPO loss equals clean DPO at every margin', () => {
		for (const eps of [0.05, 0.1, 0.2, 0.4]) {
			for (const x of MARGINS) {
				const lib = expectedUnderNoise(rdpo, x, 0, eps, { eps });
				expect(close(lib, REFERENCE.dpo(x, 0, {}), 1e-9, 1e-11)).toBe(true);
				expect(close(refNoisy('rdpo', x, eps, { eps }), REFERENCE.dpo(x, 0, {}), 1e-9, 1e-11)).toBe(true);
			}
			// ... so, like clean DPO, it has no finite minimiser (bounded below by 0).
			expect(withLabelNoise(rdpo, eps).optimum({ eps }).kind).toBe('diverges');
		}
	});

	it('noise underestimated (η > ε): a finite optimum log((1 − ε′)/ε′), larger than Bradley–Terry’s', () => {
		for (const [eps, eta] of [
			[0.1, 0.2],
			[0.05, 0.3],
			[0.2, 0.45],
		]) {
			const ep = (eta - eps) / (1 - 2 * eps);
			expect(1 - 2 * ep).toBeCloseTo((1 - 2 * eta) / (1 - 2 * eps), 14);
			const m = marginOf(withLabelNoise(rdpo, eta).optimum({ eps }));
			expect(Math.abs(m - logitComp(ep))).toBeLessThan(1e-9);
			expect(m).toBeGreaterThan(logitComp(eta));
			const x = golden((d) => refNoisy('rdpo', d, eta, { eps }), -10, 20);
			expect(Math.abs(x - logitComp(ep))).toBeLessThan(1e-6);
		}
		// The notebook default: rDPO(0.1) under η = 0.2 → ε′ = 0.125, Δ* = log 7.
		expect(marginOf(withLabelNoise(rdpo, 0.2).optimum({ eps: 0.1 }))).toBeCloseTo(Math.log(7), 9);
	});

	it('noise overestimated (η < ε): unbounded below, falling linearly with slope ε′ < 0', () => {
		for (const [eps, eta] of [
			[0.1, 0],
			[0.2, 0.1],
			[0.45, 0.3],
		]) {
			const ep = (eta - eps) / (1 - 2 * eps);
			expect(ep).toBeLessThan(0);
			const o = withLabelNoise(rdpo, eta).optimum({ eps });
			expect(o.kind).toBe('diverges');
			if (o.kind === 'diverges') expect(o.infimum).toBe(Number.NEGATIVE_INFINITY);
			const slope = expectedUnderNoise(rdpo, 41, 0, eta, { eps }) - expectedUnderNoise(rdpo, 40, 0, eta, { eps });
			expect(slope).toBeCloseTo(ep, 12);
		}
	});

	it('per pair, rDPO is unbounded below for every ε > 0', () => {
		for (const eps of [0.01, 0.1, 0.4]) {
			const o = rdpo.optimum({ eps });
			expect(o.kind).toBe('diverges');
			if (o.kind === 'diverges') expect(o.infimum).toBe(Number.NEGATIVE_INFINITY);
			expect(rdpo.value(1e6, 0, { eps })).toBeLessThan(-1e4);
		}
	});
});

describe('IPO under label noise: the target ½ shrinks to (1 − 2η)/2', () => {
	it('optimum (1 − 2η)/2 in reward units, minimum η(1 − η)/β², for several β', () => {
		for (const beta of [0.1, 0.6, 2]) {
			for (const eta of [0, ...ETA]) {
				const o = withLabelNoise(ipo, eta).optimum({ beta });
				expect(Math.abs(marginOf(o) - (1 - 2 * eta) / 2)).toBeLessThan(1e-12);
				expect(close(o.kind === 'margin' ? o.value : Number.NaN, (eta * (1 - eta)) / beta ** 2, 1e-12, 1e-15)).toBe(
					true,
				);
				// The log-ratio margin h = Δ/β.
				expect(marginOf(o) / beta).toBeCloseTo((1 - 2 * eta) / (2 * beta), 10);
				// Completing the square, with the reference formula.
				for (const x of MARGINS) {
					const square = ((x - (1 - 2 * eta) / 2) ** 2 + eta * (1 - eta)) / beta ** 2;
					expect(close(refNoisy('ipo', x, eta, { beta }), square, 1e-12, 1e-13)).toBe(true);
				}
			}
		}
	});

	it('ConDPH keeps less of its clean margin than IPO’s 1 − 2η (artanh is convex)', () => {
		for (const eps of [0.01, 0.1, 0.25, 0.45]) {
			for (const eta of ETA) {
				const ratio = marginOf(withLabelNoise(condph, eta).optimum({ eps })) / logitComp(eps);
				expect(ratio).toBeLessThan(1 - 2 * eta + 1e-12);
			}
		}
	});
});

describe('SepDPH under label noise: per-reward targets ±log((1 − ε′)/ε′)', () => {
	it('the library minimiser lands on r_w* = log((1 − ε′)/ε′), r_l* = −r_w*', () => {
		for (const eps of EPS) {
			for (const eta of ETA) {
				const star = logitComp(flip(eps, eta));
				const o = withLabelNoise(sepdph, eta).optimum({ eps });
				expect(o.kind).toBe('point');
				if (o.kind !== 'point') continue;
				expect(Math.abs(o.rw - star)).toBeLessThan(1e-9);
				expect(Math.abs(o.rl + star)).toBeLessThan(1e-9);
				expect(close(o.value, 2 * H(flip(eps, eta)), 1e-12, 1e-14)).toBe(true);
			}
		}
	});
});

describe('gradient descent on the expected loss (the notebook’s Figure 6)', () => {
	it('ConDPH, Bradley–Terry and IPO settle at their closed forms; unbiased rDPO keeps growing', () => {
		const eta = 0.2;
		const run = (name: string, p: Record<string, number>, noise: number) =>
			descend(withLabelNoise(getLoss(name), noise), p, { rw0: 0, rl0: 0, lr: 0.05, steps: 3000 }).margin;
		const last = (m: Float64Array) => m[m.length - 1];
		expect(last(run('condph', { eps: 0.1 }, eta))).toBeCloseTo(logitComp(flip(0.1, eta)), 6);
		expect(last(run('dpo', {}, eta))).toBeCloseTo(logitComp(eta), 6);
		expect(last(run('ipo', { beta: 0.6 }, eta))).toBeCloseTo((1 - 2 * eta) / 2, 10);
		const unbiased = run('rdpo', { eps: eta }, eta);
		expect(last(unbiased)).toBeGreaterThan(5);
		expect(last(unbiased)).toBeGreaterThan(unbiased[1500]);
	});
});

describe('an uncertain true preference p is one more flip at rate 1 − p', () => {
	it('ConDPH lands at log((1 − ε″)/ε″) with ε″ = ε ⊕ η ⊕ (1 − p); unbiased rDPO recovers logit(p)', () => {
		for (const [p, eta, eps] of [
			[0.9, 0.2, 0.1],
			[0.75, 0.1, 0.05],
		]) {
			// Expected over the true preference and the flips, from the reference formulas.
			const total = (name: string, x: number, params: Record<string, number>) =>
				p * refNoisy(name, x, eta, params) + (1 - p) * refNoisy(name, -x, eta, params);
			const epp = flip(flip(eps, eta), 1 - p);
			expect(Math.abs(golden((x) => total('condph', x, { eps }), -10, 10) - logitComp(epp))).toBeLessThan(1e-6);
			expect(
				Math.abs(marginOf(withLabelNoise(condph, flip(eta, 1 - p)).optimum({ eps })) - logitComp(epp)),
			).toBeLessThan(1e-9);
			const pLogit = Math.log(p / (1 - p));
			expect(Math.abs(golden((x) => total('rdpo', x, { eps: eta }), -10, 10) - pLogit)).toBeLessThan(1e-6);
			expect(Math.abs(marginOf(withLabelNoise(rdpo, flip(eta, 1 - p)).optimum({ eps: eta })) - pLogit)).toBeLessThan(
				1e-9,
			);
		}
	});
});

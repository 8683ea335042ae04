import { describe, expect, it } from 'vitest';
import {
	convergence,
	convergenceGrid,
	convergenceStep,
	createOptimizer,
	DynamicsSpecError,
	effectiveEps,
	linearOptimum,
	rows,
	type SimulationResult,
	simulate,
	simulateSteps,
	stepsToConverge,
	theoreticalTargets,
	trackedRows,
	validateSpec,
} from '../../../src/lib/dph/dynamics';
import { condph, LossParamError, sepdph, withLabelNoise } from '../../../src/lib/dph/losses/index';

const logOdds = (eps: number) => Math.log((1 - eps) / eps);

/** Mean of a recorded series over its last `frac` of steps: averages out the jitter that label noise causes. */
function tailMean(series: Float64Array, frac = 0.25): number {
	const end = series.length - 1;
	const start = Math.floor(end * (1 - frac));
	let s = 0;
	for (let t = start; t <= end; t++) s += series[t];
	return s / (end - start + 1);
}

describe('optimizers: one and two steps equal a hand-computed float64 update (2 parameters)', () => {
	const p0 = [0.5, -1.25];
	const g1 = [0.3, -0.02];
	const g2 = [-0.1, 0.4];
	const lr = 0.01;
	const [b1, b2, eps] = [0.9, 0.95, 1e-8];

	function run(name: 'sgd' | 'adam' | 'laprop') {
		const opt = createOptimizer(name, 2, { lr });
		const p = Float64Array.from(p0);
		opt.step(p, Float64Array.from(g1));
		const after1 = Array.from(p);
		opt.step(p, Float64Array.from(g2));
		return { after1, after2: Array.from(p), t: opt.t };
	}

	it('SGD: p − lr·g', () => {
		const { after1, after2, t } = run('sgd');
		expect(t).toBe(2);
		for (let i = 0; i < 2; i++) {
			expect(after1[i]).toBe(p0[i] - lr * g1[i]);
			expect(after2[i]).toBe(p0[i] - lr * g1[i] - lr * g2[i]);
		}
	});

	it('Adam: bias-corrected m / (√v̂ + eps)', () => {
		const { after1, after2 } = run('adam');
		for (let i = 0; i < 2; i++) {
			// Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps) ≈ lr·sign(g).
			const step1 = (lr * g1[i]) / (Math.abs(g1[i]) + eps);
			expect(after1[i]).toBeCloseTo(p0[i] - step1, 15);
			expect(after1[i]).toBeCloseTo(p0[i] - lr * Math.sign(g1[i]), 6);
			const m = b1 * (1 - b1) * g1[i] + (1 - b1) * g2[i];
			const v = b2 * (1 - b2) * g1[i] ** 2 + (1 - b2) * g2[i] ** 2;
			const mHat = m / (1 - b1 ** 2);
			const vHat = v / (1 - b2 ** 2);
			expect(after2[i]).toBeCloseTo(after1[i] - (lr * mHat) / (Math.sqrt(vHat) + eps), 15);
		}
	});

	it('LaProp: normalise each gradient by the running RMS first, then take momentum of the normalised steps', () => {
		const { after1, after2 } = run('laprop');
		for (let i = 0; i < 2; i++) {
			// Step 1: v = (1−β2)g², u = g/(√v + eps)·√(1−β2) ≈ sign(g); m = (1−β1)·lr·u; divided by (1−β1).
			const v1 = (1 - b2) * g1[i] ** 2;
			const u1 = (g1[i] / (Math.sqrt(v1) + eps)) * Math.sqrt(1 - b2);
			expect(after1[i]).toBeCloseTo(p0[i] - lr * u1, 15);
			expect(after1[i]).toBeCloseTo(p0[i] - lr * Math.sign(g1[i]), 6);
			// Step 2: the second gradient is normalised by the RMS that includes it, then averaged with u1.
			const v2 = b2 * v1 + (1 - b2) * g2[i] ** 2;
			const u2 = (g2[i] / (Math.sqrt(v2) + eps)) * Math.sqrt(1 - b2 ** 2);
			const m2 = b1 * (1 - b1) * lr * u1 + (1 - b1) * lr * u2;
			expect(after2[i]).toBeCloseTo(after1[i] - m2 / (1 - b1 ** 2), 15);
		}
	});

	it('LaProp and Adam differ once gradients change scale (momentum of normalised vs normalised momentum)', () => {
		const a = run('adam').after2;
		const l = run('laprop').after2;
		expect(Math.abs(a[1] - l[1])).toBeGreaterThan(1e-4);
	});

	it('rejects bad optimizer settings, naming the field and the valid range', () => {
		expect(() => createOptimizer('adam', 2, { lr: 0 })).toThrow(/lr = 0 is invalid: valid lr > 0/);
		expect(() => createOptimizer('laprop', 2, { lr: 0.1, beta2: 1 })).toThrow(
			/beta2 = 1 is invalid: valid 0 ≤ beta2 < 1/,
		);
		const opt = createOptimizer('sgd', 2, { lr: 0.1 });
		expect(() => opt.step(new Float64Array(3), new Float64Array(3))).toThrow(/created for 2 parameters/);
	});
});

describe('Theorem 1 (SepDPH): free rewards converge to r_w* = log((1−ε)/ε), r_l* = −r_w*', () => {
	it.each([0.1, 0.25, 0.4])('SGD, ε = %s, from an offset start', (eps) => {
		const res = simulate({
			loss: 'sepdph',
			params: { eps },
			optimizer: 'sgd',
			lr: 4,
			pairs: 64,
			batchSize: 64,
			steps: 600,
			init: { offset: 1.5, spread: 1 },
		});
		const t = res.step;
		expect(res.meanRw[t]).toBeCloseTo(logOdds(eps), 6);
		expect(res.meanRl[t]).toBeCloseTo(-logOdds(eps), 6);
		// Absolute targets: the offset the rewards started with is gone.
		expect(res.meanSum[0]).toBeGreaterThan(2);
		expect(Math.abs(res.meanSum[t])).toBeLessThan(1e-6);
		expect(res.targets).toMatchObject({ kind: 'point', rw: logOdds(eps), rl: -logOdds(eps), sum: 0 });
		// The minimum value is 2·H(ε), the binary entropy of each smoothed label.
		expect(res.loss[t]).toBeCloseTo(2 * (-eps * Math.log(eps) - (1 - eps) * Math.log(1 - eps)), 9);
	});

	it.each(['adam', 'laprop'] as const)('%s with a small learning rate settles on the same targets', (optimizer) => {
		const res = simulate({
			loss: 'sepdph',
			params: { eps: 0.1 },
			optimizer,
			lr: 0.01,
			pairs: 64,
			batchSize: 64,
			steps: 1500,
		});
		expect(Math.abs(tailMean(res.meanRw, 0.1) - logOdds(0.1))).toBeLessThan(0.02);
		expect(Math.abs(tailMean(res.meanRl, 0.1) + logOdds(0.1))).toBeLessThan(0.02);
		expect(res.accuracy[res.step]).toBe(1);
	});
});

describe('Theorem 2 (ConDPH): the margin converges to log((1−ε)/ε); r_w + r_l never moves', () => {
	it.each(['sgd', 'adam', 'laprop'] as const)('%s: margin → target, mean and per-pair sums conserved', (optimizer) => {
		const eps = 0.1;
		const res = simulate({
			loss: 'condph',
			params: { eps },
			optimizer,
			lr: optimizer === 'sgd' ? 3 : 0.01,
			pairs: 64,
			batchSize: 16,
			steps: 3000,
			eta: 0.1,
			init: { offset: 2, spread: 1 },
			track: 8,
		});
		// ∂L/∂r_l = −∂L/∂r_w exactly, and Adam/LaProp treat the two coordinates symmetrically, so every update moves
		// r_w and r_l by equal and opposite amounts. The only change in a sum is float64 rounding of the two updates.
		for (let t = 0; t <= res.step; t++) expect(Math.abs(res.meanSum[t] - res.meanSum[0])).toBeLessThan(1e-12);
		for (const tp of res.tracked) {
			const s0 = tp.rw[0] + tp.rl[0];
			for (let t = 0; t <= res.step; t++) expect(Math.abs(tp.rw[t] + tp.rl[t] - s0)).toBeLessThan(1e-12);
		}
		expect(res.meanSum[0]).toBeCloseTo(4, 0);
		expect(res.targets).toMatchObject({ kind: 'margin', rw: null, rl: null, sum: null });
	});

	it('noise-free SGD, full batch: the margin lands on log((1−ε)/ε)', () => {
		for (const eps of [0.05, 0.1, 0.3]) {
			const res = simulate({
				loss: 'condph',
				params: { eps },
				optimizer: 'sgd',
				lr: 3,
				pairs: 32,
				batchSize: 32,
				steps: 2000,
			});
			expect(res.meanMargin[res.step]).toBeCloseTo(logOdds(eps), 6);
			expect(res.sdMargin[res.step]).toBeLessThan(1e-6);
		}
	});

	it('a linear model with ConDPH never moves its bias weight: x_w − x_l has 0 there', () => {
		const spec = {
			model: 'linear',
			loss: 'condph',
			optimizer: 'laprop',
			lr: 0.05,
			eta: 0.2,
			init: { offset: 1.25 },
		} as const;
		const res = simulate(spec);
		expect(res.weights?.[0]).toBe(1.25);
		const sep = simulate({ ...spec, loss: 'sepdph' });
		expect(Math.abs(sep.weights?.[0] ?? 0)).toBeLessThan(0.3);
	});
});

describe('label noise η shifts the target to the expected-loss optimum, ε′ = ε + η − 2εη', () => {
	const cases: [number, number][] = [
		[0.1, 0.1],
		[0.1, 0.2],
		[0.05, 0.3],
		[0.25, 0.15],
	];

	it.each(cases)('ε = %s, η = %s: (1−η)·ℓ_ε(Δ) + η·ℓ_ε(−Δ) is ℓ_ε′(Δ), pointwise', (eps, eta) => {
		const e2 = effectiveEps(eps, eta);
		expect(e2).toBeCloseTo((1 - eta) * eps + eta * (1 - eps), 15);
		for (let d = -6; d <= 6; d += 0.5) {
			const mixed = (1 - eta) * condph.value(d, 0, { eps }) + eta * condph.value(0, d, { eps });
			expect(mixed).toBeCloseTo(condph.value(d, 0, { eps: e2 }), 12);
			const mixedSep = (1 - eta) * sepdph.value(d, -d / 2, { eps }) + eta * sepdph.value(-d / 2, d, { eps });
			expect(mixedSep).toBeCloseTo(sepdph.value(d, -d / 2, { eps: e2 }), 12);
		}
	});

	it.each(cases)('ε = %s, η = %s: the numeric minimiser of the expected loss agrees', (eps, eta) => {
		const e2 = effectiveEps(eps, eta);
		const con = withLabelNoise(condph, eta).optimum({ eps });
		expect(con.kind).toBe('margin');
		if (con.kind === 'margin') expect(con.margin).toBeCloseTo(logOdds(e2), 5);
		const sep = withLabelNoise(sepdph, eta).optimum({ eps });
		expect(sep.kind).toBe('point');
		if (sep.kind === 'point') {
			expect(sep.rw).toBeCloseTo(logOdds(e2), 5);
			expect(sep.rl).toBeCloseTo(-logOdds(e2), 5);
		}
		expect(theoreticalTargets('condph', { eps }, eta).margin).toBeCloseTo(logOdds(e2), 14);
		expect(theoreticalTargets('sepdph', { eps }, eta).rw).toBeCloseTo(logOdds(e2), 14);
	});

	it.each([
		['condph', 0.1, 0.2],
		['sepdph', 0.1, 0.2],
		['condph', 0.05, 0.1],
	] as const)('%s, ε = %s, η = %s: SGD on free rewards settles at the shifted target', (loss, eps, eta) => {
		const res = simulate({
			loss,
			params: { eps },
			eta,
			optimizer: 'sgd',
			lr: 0.1,
			pairs: 1000,
			batchSize: 1000,
			steps: 3000,
			recordLoss: false,
		});
		const target = logOdds(effectiveEps(eps, eta));
		const scale = loss === 'sepdph' ? 2 : 1;
		expect(res.targets.margin).toBeCloseTo(scale * target, 12);
		expect(Math.abs(tailMean(res.meanMargin) - scale * target)).toBeLessThan(0.03 * scale);
		// Clearly not the noise-free target.
		expect(Math.abs(tailMean(res.meanMargin) - scale * logOdds(eps))).toBeGreaterThan(0.3);
	});

	it('fixed flips are memorised by free rewards: flipped pairs go to −target', () => {
		const res = simulate({
			loss: 'condph',
			params: { eps: 0.1 },
			eta: 0.2,
			noise: 'fixed',
			optimizer: 'sgd',
			lr: 3,
			pairs: 200,
			batchSize: 200,
			steps: 2000,
		});
		const f = res.flippedCount / 200;
		expect(f).toBeGreaterThan(0.1);
		expect(res.accuracy[res.step]).toBeCloseTo(1 - f, 12);
		expect(res.meanMargin[res.step]).toBeCloseTo((1 - 2 * f) * logOdds(0.1), 6);
	});
});

describe('linear reward model r = w·x', () => {
	it.each(['condph', 'sepdph'])('%s: training converges to the Newton minimiser of the same objective', (loss) => {
		const spec = {
			model: 'linear',
			loss,
			params: { eps: 0.1 },
			optimizer: 'sgd',
			lr: 2,
			batchSize: 256,
			steps: 5000,
			recordLoss: false,
		} as const;
		const opt = linearOptimum(spec);
		expect(opt.converged).toBe(true);
		const res = simulate(spec);
		expect(res.meanMargin[res.step]).toBeCloseTo(opt.meanMargin, 6);
		expect(res.meanRw[res.step]).toBeCloseTo(opt.meanRw, 6);
		// A shared w cannot give every pair the per-pair target: margins spread, the mean falls short of it.
		expect(opt.sdMargin).toBeGreaterThan(0.3);
		expect(opt.meanMargin).toBeLessThan(res.targets.margin);
		expect(opt.accuracy).toBeGreaterThan(0.9);
	});

	it('chosen features score higher along the hidden direction w*; features are [1, a]', () => {
		const res = simulate({ model: 'linear', pairs: 300, steps: 1, features: { dim: 5, separation: 0 } });
		const wStar = res.trueDirection!;
		const { width, xw, xl } = res.features!;
		expect(wStar.length).toBe(5);
		expect(width).toBe(6);
		expect(Math.hypot(...wStar)).toBeCloseTo(1, 12);
		expect(res.weights!.length).toBe(6);
		for (let i = 0; i < 300; i++) {
			expect(xw[i * width]).toBe(1);
			expect(xl[i * width]).toBe(1);
			let proj = 0;
			for (let j = 0; j < 5; j++) proj += wStar[j] * (xw[i * width + 1 + j] - xl[i * width + 1 + j]);
			expect(proj).toBeGreaterThanOrEqual(0);
		}
	});

	it('linearOptimum needs the linear model', () => {
		expect(() => linearOptimum({ model: 'free' })).toThrow(DynamicsSpecError);
	});
});

describe('determinism, chunks and rows', () => {
	const spec = {
		model: 'linear',
		loss: 'sepdph',
		eta: 0.2,
		optimizer: 'adam',
		lr: 0.03,
		pairs: 50,
		batchSize: 10,
		steps: 120,
		seed: 7,
	} as const;

	function same(a: SimulationResult, b: SimulationResult) {
		for (const key of ['meanRw', 'meanRl', 'meanMargin', 'meanSum', 'loss', 'accuracy', 'rw', 'rl'] as const)
			expect(Array.from(a[key])).toEqual(Array.from(b[key]));
	}

	it('the same seed gives identical runs; another seed does not', () => {
		same(simulate(spec), simulate(spec));
		expect(Array.from(simulate({ ...spec, seed: 8 }).meanMargin)).not.toEqual(Array.from(simulate(spec).meanMargin));
	});

	it('data, initialisation and batches do not depend on the optimizer (fair comparisons)', () => {
		const a = simulate({ ...spec, optimizer: 'sgd' });
		const b = simulate({ ...spec, optimizer: 'laprop' });
		expect(a.meanMargin[0]).toBe(b.meanMargin[0]);
		expect(Array.from(a.trueDirection!)).toEqual(Array.from(b.trueDirection!));
	});

	it('simulateSteps yields the start, then every chunk, ending with the same numbers as simulate', () => {
		const snaps = [...simulateSteps(spec, 25)];
		expect(snaps.map((s) => s.step)).toEqual([0, 25, 50, 75, 100, 120]);
		expect(snaps.map((s) => s.done)).toEqual([false, false, false, false, false, true]);
		expect(new Set(snaps).size).toBe(snaps.length);
		same(snaps[snaps.length - 1], simulate(spec));
	});

	it('rows and trackedRows stop at the current step and always include it', () => {
		const snaps = [...simulateSteps(spec, 25)];
		const r = rows(snaps[1], 10);
		expect(r.map((x) => x.step)).toEqual([0, 10, 20, 25]);
		expect(r[3].meanMargin).toBe(snaps[1].meanMargin[25]);
		const tr = trackedRows(snaps[5], 60);
		expect(tr.filter((x) => x.pair === 0).map((x) => x.step)).toEqual([0, 60, 120]);
		expect(new Set(tr.map((x) => x.pair)).size).toBe(6);
	});
});

describe('convergence speed', () => {
	it('convergenceStep is the first step from which the series stays in the band', () => {
		const s = [5, 3, 2.09, 1.95, 2.6, 2.05, 1.98, 2.01];
		expect(convergenceStep(s, 2, 0.1)).toBe(5);
		expect(convergenceStep(s, 2, 0.1, 3)).toBe(2);
		expect(convergenceStep(s, 2, 0.001)).toBeNull();
		expect(convergenceStep(s, Number.POSITIVE_INFINITY, 1)).toBeNull();
		// With hold: the first run of `hold` consecutive steps inside the band.
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 2)).toBe(2);
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 3)).toBe(5);
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 4)).toBeNull();
	});

	it('stepsToConverge with hold stops early and agrees with the full run', () => {
		const spec = { loss: 'sepdph', optimizer: 'laprop', lr: 0.03, pairs: 16, batchSize: 16, steps: 1500 } as const;
		const opts = { relTol: 0.05, hold: 50 };
		const early = stepsToConverge(spec, opts);
		const full = convergence(simulate(spec), opts);
		expect(early.steps).not.toBeNull();
		expect(early.steps).toBe(full.steps);
		expect(early.target).toBeCloseTo(2 * logOdds(0.1), 14);
		// A run that never gets inside for long enough reports null.
		expect(stepsToConverge({ ...spec, steps: 60 }, opts).steps).toBeNull();
		expect(() => stepsToConverge(spec, { hold: 0 })).toThrow(/hold = 0 is invalid/);
	});

	it('at a fixed learning rate SGD slows down sharply as ε shrinks (curvature ε(1−ε) at the optimum); LaProp only with the distance', () => {
		const base = { loss: 'condph', pairs: 16, batchSize: 16, steps: 4000 } as const;
		const sgd = (eps: number) =>
			stepsToConverge({ ...base, optimizer: 'sgd', lr: 0.3, params: { eps } }, { relTol: 0.02 }).steps;
		const lap = (eps: number) =>
			stepsToConverge({ ...base, optimizer: 'laprop', lr: 0.03, params: { eps } }, { relTol: 0.02 }).steps;
		const [s1, s2, s3] = [sgd(0.01), sgd(0.1), sgd(0.4)];
		const [l1, l3] = [lap(0.01), lap(0.4)];
		for (const x of [s1, s2, s3, l1, l3]) expect(x).not.toBeNull();
		expect(s1!).toBeGreaterThan(s2!);
		expect(s2!).toBeGreaterThan(s3!);
		// SGD: ~37× more steps from ε = 0.4 to 0.01; LaProp ~6×, about the ratio of the distances to the targets.
		expect(s1! / s3!).toBeGreaterThan(3 * (l1! / l3!));
	});

	it('convergence() reports target, band and final value; convergenceGrid yields one learning rate at a time', () => {
		const res = simulate({ loss: 'condph', optimizer: 'sgd', lr: 3, batchSize: 256, steps: 300 });
		const c = convergence(res, { tol: 0.01 });
		expect(c.target).toBeCloseTo(logOdds(0.1), 14);
		expect(c.band).toBe(0.01);
		expect(Math.abs(c.final - c.target)).toBeLessThan(0.01);
		const grid = [
			...convergenceGrid(
				{ loss: 'condph', optimizer: 'sgd', pairs: 8, batchSize: 8, steps: 200 },
				{ eps: [0.1, 0.3], lr: [1, 3, 5] },
			),
		];
		expect(grid.map((g) => g.length)).toEqual([2, 4, 6]);
		expect(grid[2][5]).toMatchObject({ eps: 0.3, lr: 5 });
	});
});

describe('spec validation names the field, the value and the valid range', () => {
	const cases: [string, object, RegExp][] = [
		['lr 0', { lr: 0 }, /^lr = 0 is invalid: valid lr > 0/],
		['lr negative', { lr: -0.5 }, /^lr = -0\.5 is invalid: valid lr > 0/],
		['lr NaN', { lr: Number.NaN }, /^lr = NaN is invalid/],
		['steps 0', { steps: 0 }, /^steps = 0 is invalid: valid steps is a whole number, 1 ≤ steps ≤ 1000000/],
		['steps fractional', { steps: 2.5 }, /^steps = 2\.5 is invalid: valid steps is a whole number/],
		['eta ½', { eta: 0.5 }, /^eta = 0\.5 is invalid: valid 0 ≤ eta < 0\.5/],
		['eta negative', { eta: -0.1 }, /^eta = -0\.1 is invalid: valid 0 ≤ eta < 0\.5/],
		['pairs', { pairs: 0 }, /^pairs = 0 is invalid: valid pairs is a whole number, 1 ≤ pairs/],
		[
			'batch larger than pairs',
			{ pairs: 10, batchSize: 11 },
			/^batchSize = 11 is invalid: valid .* 1 ≤ batchSize ≤ 10/,
		],
		[
			'optimizer',
			{ optimizer: 'rmsprop' },
			/^optimizer = "rmsprop" is invalid: valid optimizer is one of sgd, adam, laprop/,
		],
		['model', { model: 'mlp' }, /^model = "mlp" is invalid: valid model is one of free, linear/],
		['noise', { noise: 'sometimes' }, /^noise = "sometimes" is invalid/],
		['init.spread', { init: { spread: -1 } }, /^init\.spread = -1 is invalid: valid init\.spread ≥ 0/],
		['features.dim', { features: { dim: 0 } }, /^features\.dim = 0 is invalid/],
		['track', { pairs: 4, track: 5 }, /^track = 5 is invalid: valid .* 0 ≤ track ≤ 4/],
		['beta2', { beta2: 1 }, /^beta2 = 1 is invalid: valid 0 ≤ beta2 < 1/],
	];

	it.each(cases)('%s', (_label, spec, message) => {
		let err: unknown;
		try {
			validateSpec(spec);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(DynamicsSpecError);
		expect((err as Error).message).toMatch(message);
		// The message starts with the field's name.
		expect((err as Error).message.startsWith(`${(err as DynamicsSpecError).field} = `)).toBe(true);
	});

	it('the field is reported as data too', () => {
		try {
			validateSpec({ lr: -1 });
		} catch (e) {
			expect(e).toMatchObject({ field: 'lr', value: -1 });
		}
		expect.assertions(1);
	});

	it('ε goes through the loss’s own validation', () => {
		expect(() => validateSpec({ loss: 'sepdph', params: { eps: 0.7 } })).toThrow(LossParamError);
		expect(() => validateSpec({ loss: 'sepdph', params: { eps: 0.7 } })).toThrow(
			'sepdph: eps = 0.7 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		expect(() => validateSpec({ loss: 'nope' })).toThrow(/unknown loss "nope": valid losses are sepdph, condph/);
		expect(() => [...simulateSteps({}, 0)]).toThrow(/chunk = 0 is invalid/);
	});

	it('ε = 0 has no finite target, and the simulation still runs: margins just keep growing', () => {
		const t = theoreticalTargets('condph', { eps: 0 }, 0);
		expect(t).toMatchObject({ kind: 'diverges', margin: Number.POSITIVE_INFINITY });
		const res = simulate({ loss: 'condph', params: { eps: 0 }, optimizer: 'sgd', lr: 1, steps: 300 });
		expect(res.meanMargin[300]).toBeGreaterThan(res.meanMargin[100]);
		expect(convergence(res).steps).toBeNull();
	});
});

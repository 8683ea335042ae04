import katex from 'katex';
import { describe, expect, it } from 'vitest';
import {
	formatRange,
	getLoss,
	LOSS_NAMES,
	LOSSES,
	LossParamError,
	type LossParams,
	type PreferenceLoss,
} from '../../../../src/lib/dph/losses/index';
import { close, d1, d2, dxy, PARAM_SETS, POINTS, REFERENCE, smoothAt } from './reference';

// [label, loss, params]: the label names the test (a whole loss object would be printed otherwise).
const cases: [string, PreferenceLoss<LossParams>, LossParams][] = [];
for (const name of LOSS_NAMES) {
	for (const p of PARAM_SETS[name]) cases.push([`${name} ${JSON.stringify(p)}`, getLoss(name), p]);
}
const label = (name: string, p: LossParams) => `${name} ${JSON.stringify(p)}`;

describe('registry', () => {
	it('has exactly the ten CLI names, each loss under its own name', () => {
		expect(LOSS_NAMES).toEqual(['sepdph', 'condph', 'dpo', 'cdpo', 'ipo', 'slic', 'rdpo', 'simpo', 'bco', 'bt']);
		for (const name of LOSS_NAMES) expect(LOSSES[name].name).toBe(name);
	});

	it('getLoss rejects an unknown name and lists the valid ones', () => {
		expect(() => getLoss('kto')).toThrow(LossParamError);
		expect(() => getLoss('kto')).toThrow(
			/unknown loss "kto": valid losses are sepdph, condph, dpo, cdpo, ipo, slic, rdpo, simpo, bco, bt/,
		);
	});

	it('every formula is valid KaTeX, every loss documents its parameters with a default inside the range', () => {
		for (const name of LOSS_NAMES) {
			const l = getLoss(name);
			for (const tex of [l.tex, l.gradTex])
				expect(() => katex.renderToString(tex, { throwOnError: true })).not.toThrow();
			expect(l.title.length).toBeGreaterThan(0);
			expect(l.description.length).toBeGreaterThan(40);
			for (const s of l.params) {
				expect(() => katex.renderToString(s.symbol, { throwOnError: true })).not.toThrow();
				expect(() => l.validate({ [s.name]: s.default })).not.toThrow();
				expect(() => l.validate({ [s.name]: s.ui.min })).not.toThrow();
				expect(() => l.validate({ [s.name]: s.ui.max })).not.toThrow();
			}
		}
	});
});

describe('value matches an independent float64 reference', () => {
	it.each(cases)('%s', (_label, loss, params) => {
		const name = loss.name;
		const p = loss.validate(params);
		for (const [rw, rl] of POINTS) {
			const ref = REFERENCE[name](rw, rl, p);
			expect(close(loss.value(rw, rl, p), ref, 1e-12, 1e-13), `${label(name, p)} at (${rw}, ${rl})`).toBe(true);
		}
	});
});

describe('analytic gradient = central finite differences of the value', () => {
	it.each(cases)('%s', (_label, loss, params) => {
		const name = loss.name;
		const p = loss.validate(params);
		for (const [rw, rl] of POINTS) {
			if (!smoothAt(name, rw, rl, p)) continue;
			const [gw, gl] = loss.grad(rw, rl, p);
			const fw = d1((x) => loss.value(x, rl, p), rw);
			const fl = d1((y) => loss.value(rw, y, p), rl);
			expect(close(gw, fw, 1e-6, 1e-9), `∂/∂r_w ${label(name, p)} at (${rw}, ${rl}): ${gw} vs ${fw}`).toBe(true);
			expect(close(gl, fl, 1e-6, 1e-9), `∂/∂r_l ${label(name, p)} at (${rw}, ${rl}): ${gl} vs ${fl}`).toBe(true);
		}
	});
});

describe('analytic Hessian = finite differences of the gradient and of the value', () => {
	it.each(cases)('%s', (_label, loss, params) => {
		const name = loss.name;
		const p = loss.validate(params);
		for (const [rw, rl] of POINTS) {
			if (!smoothAt(name, rw, rl, p)) continue;
			const [[hww, hwl], [hlw, hll]] = loss.hessian(rw, rl, p);
			expect(hwl).toBe(hlw);
			const at = `${label(name, p)} at (${rw}, ${rl})`;
			// From the analytic gradient (itself checked against the value above).
			expect(
				close(
					hww,
					d1((x) => loss.grad(x, rl, p)[0], rw),
					1e-6,
					1e-9,
				),
				`H_ww ${at}`,
			).toBe(true);
			expect(
				close(
					hll,
					d1((y) => loss.grad(rw, y, p)[1], rl),
					1e-6,
					1e-9,
				),
				`H_ll ${at}`,
			).toBe(true);
			expect(
				close(
					hwl,
					d1((y) => loss.grad(rw, y, p)[0], rl),
					1e-6,
					1e-9,
				),
				`H_wl ${at}`,
			).toBe(true);
			expect(
				close(
					hlw,
					d1((x) => loss.grad(x, rl, p)[1], rw),
					1e-6,
					1e-9,
				),
				`H_lw ${at}`,
			).toBe(true);
			// From the value alone, independent of grad().
			const f = (x: number, y: number) => loss.value(x, y, p);
			const scale = Math.max(1, Math.abs(f(rw, rl)));
			expect(
				close(
					hww,
					d2((x) => f(x, rl), rw),
					1e-6,
					1e-7 * scale,
				),
				`H_ww(value) ${at}`,
			).toBe(true);
			expect(
				close(
					hll,
					d2((y) => f(rw, y), rl),
					1e-6,
					1e-7 * scale,
				),
				`H_ll(value) ${at}`,
			).toBe(true);
			expect(close(hwl, dxy(f, rw, rl), 1e-6, 1e-7 * scale), `H_wl(value) ${at}`).toBe(true);
		}
	});

	it('SLiC: subgradient 0 exactly at the kink, −1 below it, Hessian 0', () => {
		const l = getLoss('slic');
		const p = l.validate({ delta: 1 });
		expect(l.grad(2, 1, p)).toEqual([0, -0]);
		expect(l.grad(1.5, 1, p)).toEqual([-1, 1]);
		expect(l.grad(3, 1, p)).toEqual([0, -0]);
		expect(l.hessian(0.3, 1, p)).toEqual([
			[0, -0],
			[-0, 0],
		]);
	});
});

describe('convexity', () => {
	const grid: number[] = [];
	for (let x = -8; x <= 8; x += 0.5) grid.push(x);

	it.each(cases)('%s: Hessian PSD on a grid, and midpoint convexity of the value', (_label, loss, params) => {
		const p = loss.validate(params);
		expect(loss.convex(p)).toBe(true);
		for (const rw of grid) {
			for (const rl of grid) {
				const [[a, b], [, d]] = loss.hessian(rw, rl, p);
				const tiny = 1e-12 * Math.max(1, a * d, b * b);
				expect(a, `H_ww at (${rw}, ${rl})`).toBeGreaterThanOrEqual(-1e-15);
				expect(d, `H_ll at (${rw}, ${rl})`).toBeGreaterThanOrEqual(-1e-15);
				expect(a * d - b * b, `det at (${rw}, ${rl})`).toBeGreaterThanOrEqual(-tiny);
			}
		}
		// Independent of hessian(): f((x+y)/2) ≤ (f(x) + f(y))/2 for pairs of grid points.
		for (let k = 0; k < 400; k++) {
			const x0 = grid[(k * 7) % grid.length];
			const y0 = grid[(k * 13 + 3) % grid.length];
			const x1 = grid[(k * 5 + 11) % grid.length];
			const y1 = grid[(k * 3 + 17) % grid.length];
			const mid = loss.value((x0 + x1) / 2, (y0 + y1) / 2, p);
			const avg = (loss.value(x0, y0, p) + loss.value(x1, y1, p)) / 2;
			expect(mid).toBeLessThanOrEqual(avg + 1e-12 * Math.max(1, Math.abs(avg)));
		}
	});

	it('rDPO is DPO minus a linear term: same Hessian as DPO, but unbounded below for ε > 0', () => {
		const r = getLoss('rdpo');
		const dpo = getLoss('dpo');
		const p = r.validate({ eps: 0.2 });
		for (const [rw, rl] of POINTS) {
			expect(r.hessian(rw, rl, p)).toEqual(dpo.hessian(rw, rl, {}));
			expect(close(r.value(rw, rl, p), dpo.value(rw, rl, {}) - (0.2 / 0.6) * (rw - rl), 1e-12, 1e-12)).toBe(true);
		}
		expect(r.value(1e3, -1e3, p)).toBeLessThan(-600);
	});
});

describe('stability at |r| = 1e4', () => {
	const big = [-1e4, -1e3, -50, 0, 50, 1e3, 1e4];
	it.each(cases)('%s: value, gradient and Hessian finite everywhere', (_label, loss, params) => {
		const p = loss.validate(params);
		for (const rw of big) {
			for (const rl of big) {
				expect(Number.isFinite(loss.value(rw, rl, p))).toBe(true);
				for (const g of loss.grad(rw, rl, p)) expect(Number.isFinite(g)).toBe(true);
				for (const row of loss.hessian(rw, rl, p)) for (const h of row) expect(Number.isFinite(h)).toBe(true);
			}
		}
	});

	it('asymptotics are right', () => {
		const v = (name: string, rw: number, rl: number, p: LossParams = {}) =>
			getLoss(name).value(rw, rl, getLoss(name).validate(p));
		const rel = (a: number, b: number) => expect(close(a, b, 1e-12, 1e-300), `${a} vs ${b}`).toBe(true);
		expect(v('dpo', 1e4, -1e4)).toBeLessThan(1e-300);
		rel(v('dpo', -1e4, 1e4), 2e4);
		expect(v('bt', 1e4, -1e4)).toBeLessThan(1e-300);
		rel(v('bt', -1e4, 1e4), 2e4);
		for (const eps of [0.1, 0.25]) {
			rel(v('sepdph', 1e4, -1e4, { eps }), 2e4 * eps);
			rel(v('sepdph', -1e4, 1e4, { eps }), 2e4 * (1 - eps));
			rel(v('condph', 1e4, -1e4, { eps }), 2e4 * eps);
			rel(v('condph', -1e4, 1e4, { eps }), 2e4 * (1 - eps));
			rel(v('cdpo', 1e4, -1e4, { eps }), 2e4 * eps);
			rel(v('rdpo', 1e4, -1e4, { eps }), (-2e4 * eps) / (1 - 2 * eps));
			rel(v('rdpo', -1e4, 1e4, { eps }), (2e4 * (1 - eps)) / (1 - 2 * eps));
		}
		rel(v('ipo', 1e4, -1e4, { beta: 0.1 }), ((2e4 - 0.5) / 0.1) ** 2);
		rel(v('slic', -1e4, 1e4, { delta: 1 }), 2e4 + 1);
		expect(v('slic', 1e4, -1e4, { delta: 1 })).toBe(0);
		rel(v('simpo', -1e4, 1e4, { gamma: 0.5 }), 2e4 + 0.5);
		expect(v('simpo', 1e4, -1e4, { gamma: 0.5 })).toBeLessThan(1e-300);
		rel(v('bco', -1e4, 1e4, { delta: 0.5 }), 2e4);
		expect(v('bco', 1e4, -1e4, { delta: 0.5 })).toBeLessThan(1e-300);
		// Gradients saturate at the right constants instead of NaN.
		expect(getLoss('dpo').grad(-1e4, 1e4, {})).toEqual([-1, 1]);
		const s = getLoss('sepdph');
		expect(s.grad(1e4, -1e4, { eps: 0.1 })).toEqual([0.1, -0.1]);
		expect(s.grad(-1e4, 1e4, { eps: 0.1 })).toEqual([0.1 - 1, 1 - 0.1]);
	});
});

describe('batch form = scalar form', () => {
	it.each(cases)('%s, float64 and float32 outputs', (_label, loss, params) => {
		const p = loss.validate(params);
		const rw = Float64Array.from(POINTS.map((q) => q[0]));
		const rl = Float64Array.from(POINTS.map((q) => q[1]));
		const out64 = {
			loss: new Float64Array(rw.length),
			drw: new Float64Array(rw.length),
			drl: new Float64Array(rw.length),
		};
		loss.batch(rw, rl, p, out64);
		const out32 = { loss: new Float32Array(rw.length) };
		loss.batch(Float32Array.from(rw), Float32Array.from(rl), p, out32);
		for (let i = 0; i < rw.length; i++) {
			expect(out64.loss[i]).toBe(loss.value(rw[i], rl[i], p));
			expect([out64.drw[i], out64.drl[i]]).toEqual(loss.grad(rw[i], rl[i], p));
			expect(out32.loss[i]).toBe(Math.fround(loss.value(Math.fround(rw[i]), Math.fround(rl[i]), p)));
		}
		expect(() => loss.batch(rw, rl.subarray(1), p, out64)).toThrow(/r_l has/);
		expect(() => loss.batch(rw, rl, p, { loss: new Float32Array(2) })).toThrow(/out.loss/);
	});
});

describe('parameter validation', () => {
	const epsLosses = ['sepdph', 'condph', 'cdpo'];

	it('fills defaults and keeps valid values', () => {
		expect(getLoss('sepdph').validate({})).toEqual({ eps: 0.1 });
		expect(getLoss('cdpo').validate()).toEqual({ eps: 0.25 });
		expect(getLoss('ipo').validate({ beta: 0.3 })).toEqual({ beta: 0.3 });
		expect(getLoss('dpo').validate({ eps: 0.3 })).toEqual({});
		expect(getLoss('sepdph').validate({ eps: 0.5 })).toEqual({ eps: 0.5 });
		expect(getLoss('sepdph').validate({ eps: 0 })).toEqual({ eps: 0 });
	});

	it.each(epsLosses)('%s: ε = −0.1, 0.6, NaN, Infinity rejected with parameter, value and range', (name) => {
		const l = getLoss(name);
		expect(() => l.validate({ eps: -0.1 })).toThrow(`${name}: eps = -0.1 is out of range: valid 0 ≤ eps ≤ 0.5`);
		expect(() => l.validate({ eps: 0.6 })).toThrow(`${name}: eps = 0.6 is out of range: valid 0 ≤ eps ≤ 0.5`);
		expect(() => l.validate({ eps: Number.NaN })).toThrow(`${name}: eps = NaN is not a number: valid 0 ≤ eps ≤ 0.5`);
		expect(() => l.validate({ eps: Number.POSITIVE_INFINITY })).toThrow(/eps = ∞ is out of range/);
		try {
			l.validate({ eps: 0.6 });
		} catch (e) {
			expect(e).toBeInstanceOf(LossParamError);
			expect((e as LossParamError).param).toBe('eps');
			expect((e as LossParamError).value).toBe(0.6);
		}
	});

	it('rDPO excludes ε = ½ (it divides by 1 − 2ε)', () => {
		expect(() => getLoss('rdpo').validate({ eps: 0.5 })).toThrow(
			'rdpo: eps = 0.5 is out of range: valid 0 ≤ eps < 0.5',
		);
		expect(() => getLoss('rdpo').validate({ eps: 0.49 })).not.toThrow();
	});

	it('IPO β ≤ 0 and other bad values rejected', () => {
		const ipo = getLoss('ipo');
		expect(() => ipo.validate({ beta: 0 })).toThrow('ipo: beta = 0 is out of range: valid beta > 0');
		expect(() => ipo.validate({ beta: -1 })).toThrow('ipo: beta = -1 is out of range: valid beta > 0');
		expect(() => ipo.validate({ beta: Number.NaN })).toThrow('ipo: beta = NaN is not a number: valid beta > 0');
		expect(() => getLoss('simpo').validate({ gamma: -0.5 })).toThrow(
			'simpo: gamma = -0.5 is out of range: valid gamma ≥ 0',
		);
		expect(() => getLoss('slic').validate({ delta: -1 })).toThrow('slic: delta = -1 is out of range: valid delta ≥ 0');
		expect(() => getLoss('bco').validate({ delta: Number.POSITIVE_INFINITY })).toThrow(
			'bco: delta = ∞ is out of range: valid delta any finite number',
		);
		expect(() => getLoss('sepdph').validate({ eps: '0.1' as unknown as number })).toThrow(
			/eps = "0.1" is not a number/,
		);
	});

	it('strict mode rejects parameters the loss does not take', () => {
		expect(() => getLoss('dpo').validate({ eps: 0.1 }, { strict: true })).toThrow(
			'dpo: unknown parameter "eps" (dpo takes no parameters)',
		);
		expect(() => getLoss('sepdph').validate({ beta: 0.1 }, { strict: true })).toThrow(
			'sepdph: unknown parameter "beta" (valid: eps)',
		);
	});

	it('formatRange reads naturally', () => {
		const [eps] = getLoss('sepdph').params;
		expect(formatRange(eps)).toBe('0 ≤ eps ≤ 0.5');
		expect(formatRange(getLoss('rdpo').params[0])).toBe('0 ≤ eps < 0.5');
	});
});

import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../../../src/lib/dph/dynamics';
import { mulberry32 } from '../../../../src/lib/dph/random';
import { LaProp } from '../../../../src/lib/dph/train/laprop';

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

describe('one LaProp: the dynamics optimizer (float64) follows the training LaProp (tfjs, float32)', () => {
	it('200 steps from the same start with the same gradients give the same trajectory to float32 precision', async () => {
		const tf = await import('@tensorflow/tfjs');
		await tf.setBackend('cpu');
		const rand = mulberry32(11);
		const n = 6;
		const steps = 200;
		const lr = 0.01;
		const p0 = Float32Array.from({ length: n }, () => 4 * rand() - 2);
		// Gradients that change sign and scale (×1e-3 … ×10), rounded to float32 so both see the same numbers.
		const grads = Array.from({ length: steps }, (_, t) =>
			Float32Array.from({ length: n }, (_, i) => (rand() - 0.5 + 0.2 * Math.sin(t / 7 + i)) * 10 ** ((i % 5) - 3)),
		);
		const p = tf.variable(tf.tensor(p0, [n], 'float32'), true, 'laprop-agreement.p');
		const training = new LaProp(tf, [{ vars: [p] }]);
		const dynamics = createOptimizer('laprop', n, { lr });
		const q = Float64Array.from(p0);
		// Adam on the same inputs, to show the bound tells update rules apart.
		const adam = createOptimizer('adam', n, { lr });
		const a = Float64Array.from(p0);
		let worst = 0;
		for (const g of grads) {
			const gt = tf.tensor(g, [n], 'float32');
			training.applyGradients(new Map([[p, gt]]), lr);
			gt.dispose();
			dynamics.step(q, Float64Array.from(g));
			adam.step(a, Float64Array.from(g));
			const pt = p.dataSync();
			for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(pt[i] - q[i]) / Math.max(1, Math.abs(q[i])));
		}
		// Measured 1.8e-7, about 1.5 float32 ulps: the two differ only by float32 rounding.
		expect(worst).toBeLessThan(1e-6);
		expect(Math.max(...q.map((x, i) => Math.abs(x - a[i])))).toBeGreaterThan(1e-3);
		expect(training.step).toBe(steps);
		expect(dynamics.t).toBe(steps);
		training.dispose();
		p.dispose();
	});
});

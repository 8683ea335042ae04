import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNormSync } from '../../../../src/lib/dph/train/clip';
import { LaProp, type LaPropState } from '../../../../src/lib/dph/train/laprop';
import { lrSchedule } from '../../../../src/lib/dph/train/schedule';
import { expectClose, fresh, read, type Tensor, tf, useCpu, type Variable, variable } from './tf-helpers';

beforeAll(useCpu);

/**
 * Independent float64 transcription of the reference laprop.py step (no amsgrad, no centering), for one parameter.
 * Returns the parameter after every step.
 */
function referenceLaProp(
	p0: number[],
	grads: number[][],
	lrs: number[],
	o: { beta1: number; beta2: number; eps: number; weightDecay: number; decayInit: boolean },
): number[][] {
	const p = p0.slice();
	const n = p.length;
	const expAvg = new Array<number>(n).fill(0);
	const expAvgSq = new Array<number>(n).fill(0);
	let expAvgLr = 0;
	let step = 0;
	let original: number[] | null = null;
	const out: number[][] = [];
	grads.forEach((grad, k) => {
		const lr = lrs[k];
		if (step === 0 && o.weightDecay !== 0 && o.decayInit) original = p.slice();
		step += 1;
		for (let i = 0; i < n; i++) expAvgSq[i] = expAvgSq[i] * o.beta2 + (1 - o.beta2) * grad[i] * grad[i];
		const denom = expAvgSq.map((v) => Math.sqrt(v) + o.eps);
		expAvgLr = expAvgLr * o.beta1 + (1 - o.beta1) * lr;
		const biasCorrection1 = lr !== 0 ? expAvgLr / lr : 1;
		const biasCorrection2 = 1 - o.beta2 ** step;
		const stepSize = 1 / biasCorrection1;
		for (let i = 0; i < n; i++) {
			const stepOfThisGrad = (grad[i] / denom[i]) * Math.sqrt(biasCorrection2);
			expAvg[i] = expAvg[i] * o.beta1 + stepOfThisGrad * (1 - o.beta1) * lr;
		}
		if (o.weightDecay !== 0) {
			const orig = original;
			for (let i = 0; i < n; i++) {
				const pull = o.decayInit && orig ? p[i] - orig[i] : p[i];
				p[i] += pull * -o.weightDecay * lr;
			}
		}
		for (let i = 0; i < n; i++) p[i] += expAvg[i] * -stepSize;
		out.push(p.slice());
	});
	return out;
}

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe('LaProp', () => {
	it('3 scheduled steps match a float64 transcription of the reference, for every decay mode', () => {
		const sched = lrSchedule({ lrMax: 0.1, warmupSteps: 2, totalSteps: 10, minRatio: 0.1 });
		const lrs = [1, 2, 3].map(sched);
		expect(lrs[0]).toBeCloseTo(0.05, 12);
		expect(lrs[1]).toBeCloseTo(0.1, 12);
		const p0 = f32([0.7, -1.3, 2.1]);
		const grads = [f32([0.5, 0, -3]), f32([-0.2, 1e-3, 4]), f32([0.9, -2, -0.01])];
		const modes = [
			{ weightDecay: 0, decayInit: false },
			{ weightDecay: 0.5, decayInit: false },
			{ weightDecay: 0.5, decayInit: true },
			{ weightDecay: 0, decayInit: true },
		];
		const vars = modes.map((_, i) => variable(p0, fresh(`w${i}`)));
		const opt = new LaProp(
			tf,
			modes.map((m, i) => ({ vars: [vars[i]], ...m })),
			{},
		);
		const refs = modes.map((m) =>
			referenceLaProp(p0, grads, lrs, {
				beta1: 0.9,
				beta2: 0.95,
				eps: 1e-8,
				weightDecay: m.weightDecay,
				decayInit: m.decayInit,
			}),
		);
		for (let k = 0; k < 3; k++) {
			const g: Record<string, Tensor> = {};
			for (const v of vars) g[v.name] = tf.tensor1d(grads[k]);
			opt.applyGradients(g, lrs[k]);
			tf.dispose(Object.values(g));
			for (let i = 0; i < modes.length; i++) expectClose(read(vars[i]), refs[i][k], 1e-6);
		}
		// The modes really differ, so the comparison above exercises each branch.
		expect(Math.abs(refs[1][2][2] - refs[0][2][2])).toBeGreaterThan(1e-3);
		expect(Math.abs(refs[2][2][2] - refs[1][2][2])).toBeGreaterThan(1e-3);
		expect(opt.step).toBe(3);
		opt.dispose();
		tf.dispose(vars);
	});

	it('weight decay: prior regularisation pulls back to θ0, plain decay shrinks to 0, no-decay groups are untouched', () => {
		// With β1 = 0 and zero gradients the momentum is 0, so after the first step only the decay moves p:
		//   decayInit: p_k − θ0 = (p_1 − θ0)(1 − λ·lr)^k;  plain: p_k = p_1·(1 − λ·lr)^k;  λ = 0: p_k = p_1.
		const p0 = f32([1, -2, 0.5]);
		const lam = 0.5;
		const lr = 0.1;
		const init = variable(p0, fresh('init'));
		const plain = variable(p0, fresh('plain'));
		const none = variable(p0, fresh('none'));
		const opt = new LaProp(
			tf,
			[
				{ vars: [init], weightDecay: lam, decayInit: true },
				{ vars: [plain], weightDecay: lam },
				{ vars: [none], weightDecay: 0, decayInit: true },
			],
			{ beta1: 0 },
		);
		const grads = (vals: number[]) =>
			new Map([init, plain, none].map((v) => [v, tf.tensor1d(vals)] as [Variable, Tensor]));
		// A large first step moves every parameter about lr away from θ0 (θ0 is cloned before it).
		const g1 = grads([100, -100, 100]);
		opt.applyGradients(g1, lr);
		tf.dispose([...g1.values()]);
		const initP1 = read(init);
		const plainP1 = read(plain);
		const noneP1 = read(none);
		for (let i = 0; i < 3; i++) expect(Math.abs(initP1[i] - p0[i])).toBeGreaterThan(0.09);
		expectClose(initP1, noneP1, 1e-7); // (p − θ0) = 0 on the first step: no pull yet
		const k = 5;
		for (let s = 0; s < k; s++) {
			const g0 = grads([0, 0, 0]);
			opt.applyGradients(g0, lr);
			tf.dispose([...g0.values()]);
		}
		const f = (1 - lam * lr) ** k;
		expectClose(
			read(init),
			initP1.map((p, i) => p0[i] + (p - p0[i]) * f),
			1e-6,
		);
		expectClose(
			read(plain),
			plainP1.map((p) => p * f),
			1e-6,
		);
		expectClose(read(none), noneP1, 0);
		opt.dispose();
		tf.dispose([init, plain, none]);
	});

	it('parameters without a gradient are skipped and keep their own step count', () => {
		const a = variable([1, 2], fresh('a'));
		const b = variable([3, 4], fresh('b'));
		const opt = new LaProp(tf, [{ vars: [a, b] }]);
		const ga = tf.tensor1d([1, 1]);
		opt.applyGradients({ [a.name]: ga }, 0.01);
		opt.applyGradients({ [a.name]: ga }, 0.01);
		expect(read(b)).toEqual([3, 4]);
		const state = opt.getStateSync();
		expect(state.params.map((p) => [p.name, p.step])).toEqual([[a.name, 2]]);
		opt.dispose();
		tf.dispose([a, b, ga]);
	});

	it('allocates its state on the first step and leaks no tensors over 10 training steps', () => {
		const w = variable([0.5, -0.5, 1, 2, -1, 0], fresh('w'), [3, 2]);
		const bias = variable([0.1, -0.1], fresh('bias'));
		const x = tf.tensor2d([1, 2, 3, -1, 0.5, 0.25, 2, 2, -1], [3, 3]);
		const y = tf.tensor2d([1, 0, 0, 1, 0.5, 0.5], [3, 2]);
		const opt = new LaProp(tf, [
			{ vars: [w], weightDecay: 0.1, decayInit: true },
			{ vars: [bias], weightDecay: 0 },
		]);
		const sched = lrSchedule({ lrMax: 0.05, warmupSteps: 3, totalSteps: 10, minRatio: 0.1 });
		const losses: number[] = [];
		const trainStep = (step: number) => {
			const { value, grads } = tf.variableGrads(
				() => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, w), bias), y))) as import('@tensorflow/tfjs').Scalar,
				[w, bias],
			);
			const clipped = clipByGlobalNormSync(tf, grads, 1);
			expect(clipped.finite).toBe(true);
			opt.applyGradients(clipped.grads, sched(step));
			losses.push(value.dataSync()[0]);
			tf.dispose([value, ...Object.values(grads), ...Object.values(clipped.grads)]);
		};
		const before = tf.memory().numTensors;
		trainStep(1);
		const afterFirst = tf.memory().numTensors;
		expect(afterFirst - before).toBe(5); // exp_avg and exp_avg_sq for both, θ0 for w only
		for (let s = 2; s <= 10; s++) trainStep(s);
		expect(tf.memory().numTensors).toBe(afterFirst);
		expect(losses[9]).toBeLessThan(losses[0]);
		opt.dispose();
		expect(tf.memory().numTensors).toBe(before);
		tf.dispose([w, bias, x, y]);
	});

	it('getState/setState round-trips: a restored optimizer continues identically', async () => {
		const p0 = { a: f32([0.3, -0.7, 1.5, 2]), b: f32([1, -1]) };
		const a = variable(p0.a, fresh('a'), [2, 2]);
		const b = variable(p0.b, fresh('b'));
		const groups = [
			{ vars: [a], weightDecay: 0.2, decayInit: true },
			{ vars: [b], weightDecay: 0.1 },
		];
		const gradSeq = [
			[f32([1, -2, 0.5, 0.1]), f32([0.3, 0.3])],
			[f32([-0.5, 0.1, 2, -1]), f32([-1, 0.2])],
			[f32([0.2, 0.2, -0.3, 0.4]), f32([0.5, -0.5])],
			[f32([3, -1, 0, 1]), f32([0.1, 0.9])],
			[f32([-0.1, 0.6, 0.7, -2]), f32([2, -2])],
		];
		const lrs = [0.01, 0.02, 0.03, 0.025, 0.02];
		const stepWith = (opt: LaProp, k: number) => {
			const g = { [a.name]: tf.tensor2d(gradSeq[k][0], [2, 2]), [b.name]: tf.tensor1d(gradSeq[k][1]) };
			opt.applyGradients(g, lrs[k]);
			tf.dispose(Object.values(g));
		};
		const opt1 = new LaProp(tf, groups);
		for (let k = 0; k < 3; k++) stepWith(opt1, k);
		const snapshot: LaPropState = await opt1.getState();
		const snapParams = { a: read(a), b: read(b) };
		// The sync and async reads agree, and the snapshot is a copy that later steps do not change.
		expect(opt1.getStateSync()).toEqual(snapshot);
		const frozen = structuredClone(snapshot);
		for (let k = 3; k < 5; k++) stepWith(opt1, k);
		const expected = { a: read(a), b: read(b) };
		expect(snapshot).toEqual(frozen);
		expect(snapshot.params.find((p) => p.name === a.name)?.originalParam).toEqual(Float32Array.from(p0.a));
		expect(snapshot.params.find((p) => p.name === b.name)?.originalParam).toBeUndefined();

		// Resume: the parameters from the checkpoint, a fresh optimizer, the saved state.
		a.assign(tf.tensor2d(snapParams.a, [2, 2]));
		b.assign(tf.tensor1d(snapParams.b));
		const opt2 = new LaProp(tf, groups);
		opt2.setState(frozen);
		expect(opt2.step).toBe(3);
		for (let k = 3; k < 5; k++) stepWith(opt2, k);
		expect(read(a)).toEqual(expected.a);
		expect(read(b)).toEqual(expected.b);
		// A fresh optimizer without the state would not: θ0 would be re-cloned and the moments reset.
		a.assign(tf.tensor2d(snapParams.a, [2, 2]));
		const opt3 = new LaProp(tf, groups);
		stepWith(opt3, 3);
		expect(read(a)).not.toEqual(expected.a);
		opt1.dispose();
		opt2.dispose();
		opt3.dispose();
		tf.dispose([a, b]);
	});

	it('rejects bad input before changing anything', () => {
		const a = variable([1, 2, 3], fresh('a'));
		const opt = new LaProp(tf, [{ vars: [a] }]);
		const good = tf.tensor1d([1, 1, 1]);
		const wrongShape = tf.tensor1d([1, 1]);
		expect(() => opt.applyGradients({ [a.name]: good, nope: good }, 0.1)).toThrow(/no parameter group/);
		expect(() => opt.applyGradients({ [a.name]: wrongShape }, 0.1)).toThrow(/shape/);
		expect(() => opt.applyGradients({ [a.name]: good }, -1)).toThrow(RangeError);
		expect(() => opt.applyGradients({ [a.name]: good }, Number.NaN)).toThrow(RangeError);
		expect(read(a)).toEqual([1, 2, 3]);
		expect(opt.step).toBe(0);
		expect(() => new LaProp(tf, [{ vars: [a] }, { vars: [a] }])).toThrow(/more than one group/);
		expect(() => new LaProp(tf, [{ vars: [a] }], { beta2: 1 })).toThrow(RangeError);
		const bad: LaPropState = {
			kind: 'laprop',
			version: 1,
			beta1: 0.9,
			beta2: 0.95,
			eps: 1e-8,
			params: [{ name: 'other', step: 1, expAvgLr: 0.1, expAvg: new Float32Array(3), expAvgSq: new Float32Array(3) }],
		};
		expect(() => opt.setState(bad)).toThrow(/unknown parameter/);
		bad.params[0].name = a.name;
		bad.params[0].expAvg = new Float32Array(2);
		expect(() => opt.setState(bad)).toThrow(/expected 3/);
		const needsInit = new LaProp(tf, [{ vars: [a], weightDecay: 0.1, decayInit: true }]);
		bad.params[0].expAvg = new Float32Array(3);
		expect(() => needsInit.setState(bad)).toThrow(/initial value/);
		opt.dispose();
		needsInit.dispose();
		expect(() => opt.applyGradients({ [a.name]: good }, 0.1)).toThrow(/dispose/);
		tf.dispose([a, good, wrongShape]);
	});
});

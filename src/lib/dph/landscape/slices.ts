/** 1-D slices through a landscape (with first and second derivatives) and gradient-descent paths on (r_w, r_l). */
import type { LossName } from '../losses/index';
import type { LossParams } from '../losses/types';
import { type AnyLoss, checkGrid, resolveLoss } from './grid';

/**
 * - `rw`: L along r_w with r_l = at; d = ∂L/∂r_w, d2 = ∂²L/∂r_w².
 * - `rl`: L along r_l with r_w = at; d = ∂L/∂r_l, d2 = ∂²L/∂r_l².
 * - `margin`: L along the margin x = r_w − r_l with the midpoint (r_w + r_l)/2 = at; d = dL/dx, d2 = d²L/dx²
 *   (for margin losses exactly f(x), f'(x), f''(x), whatever `at` is).
 */
export type SliceAxis = 'rw' | 'rl' | 'margin';

export interface SliceSpec {
	along: SliceAxis;
	at: number;
	lo: number;
	hi: number;
	n: number;
}

export interface Slice {
	along: SliceAxis;
	at: number;
	x: Float64Array;
	loss: Float64Array;
	d: Float64Array;
	d2: Float64Array;
}

export function computeSlice(
	lossOrName: LossName | string | AnyLoss,
	params: LossParams | undefined,
	spec: SliceSpec,
	out?: Slice,
): Slice {
	checkGrid(spec);
	const loss = resolveLoss(lossOrName);
	const p = loss.validate(params ?? {});
	const { n, lo, hi, along, at } = spec;
	const res: Slice =
		out && out.x.length === n
			? out
			: {
					along,
					at,
					x: new Float64Array(n),
					loss: new Float64Array(n),
					d: new Float64Array(n),
					d2: new Float64Array(n),
				};
	res.along = along;
	res.at = at;
	const step = (hi - lo) / (n - 1);
	for (let i = 0; i < n; i++) {
		const x = lo + i * step;
		const rw = along === 'rw' ? x : along === 'rl' ? at : at + x / 2;
		const rl = along === 'rw' ? at : along === 'rl' ? x : at - x / 2;
		const [gw, gl] = loss.grad(rw, rl, p);
		const [[hww, hwl], [, hll]] = loss.hessian(rw, rl, p);
		res.x[i] = x;
		res.loss[i] = loss.value(rw, rl, p);
		if (along === 'rw') {
			res.d[i] = gw;
			res.d2[i] = hww;
		} else if (along === 'rl') {
			res.d[i] = gl;
			res.d2[i] = hll;
		} else {
			res.d[i] = (gw - gl) / 2;
			res.d2[i] = (hww - 2 * hwl + hll) / 4;
		}
	}
	return res;
}

export interface DescentSpec {
	rw0: number;
	rl0: number;
	/** Learning rate of plain gradient descent on the two rewards treated as free parameters. */
	lr: number;
	steps: number;
}

export interface DescentPath {
	/** steps + 1 entries each: the start, then after every step. */
	rw: Float64Array;
	rl: Float64Array;
	margin: Float64Array;
	loss: Float64Array;
}

/**
 * Gradient descent on (r_w, r_l) from a start point: how the rewards and their margin approach the optimum
 * (ConDPH: margin → log((1−ε)/ε)) or run away (DPO: the margin grows like log t).
 */
export function descend(
	lossOrName: LossName | string | AnyLoss,
	params: LossParams | undefined,
	spec: DescentSpec,
	out?: DescentPath,
): DescentPath {
	const loss = resolveLoss(lossOrName);
	const p = loss.validate(params ?? {});
	const { steps, lr } = spec;
	if (!Number.isInteger(steps) || steps < 0)
		throw new RangeError(`steps = ${steps} is invalid: need a whole number ≥ 0`);
	if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr = ${lr} is invalid: need a finite number > 0`);
	const len = steps + 1;
	const res: DescentPath =
		out && out.rw.length === len
			? out
			: {
					rw: new Float64Array(len),
					rl: new Float64Array(len),
					margin: new Float64Array(len),
					loss: new Float64Array(len),
				};
	let rw = spec.rw0;
	let rl = spec.rl0;
	for (let t = 0; t < len; t++) {
		res.rw[t] = rw;
		res.rl[t] = rl;
		res.margin[t] = rw - rl;
		res.loss[t] = loss.value(rw, rl, p);
		const [gw, gl] = loss.grad(rw, rl, p);
		rw -= lr * gw;
		rl -= lr * gl;
	}
	return res;
}

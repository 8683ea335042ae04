/**
 * Shared shapes for the preference losses. Every loss is a function of one pair of rewards (r_w, r_l) —
 * preferred and dispreferred — and a few scalar parameters (ε, β, γ, δ). The float64 forms (value, grad,
 * hessian, optimum) are for theory, tests and landscapes; `tensor` is the differentiable tfjs form for training.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../validate';

export type TFModule = typeof TF;
export type Tensor = TF.Tensor;

/** Parameters of a loss by name (eps, beta, gamma, delta). Losses without parameters use `{}`. */
export type LossParams = Record<string, number>;
export type NoParams = Record<string, never>;

export type FloatArray = Float32Array | Float64Array;
export type Grad = [number, number];
export type Hessian = [[number, number], [number, number]];

/** One scalar parameter: its valid interval (bounds may be ±Infinity) and its default. */
export interface ParamSpec {
	/** Key in the params object and CLI option name (`--eps`). */
	name: string;
	/** TeX symbol, e.g. `\varepsilon`. */
	symbol: string;
	min: number;
	max: number;
	minInclusive: boolean;
	maxInclusive: boolean;
	default: number;
	description: string;
	/** A sensible slider for notebooks (inside the valid range). */
	ui: { min: number; max: number; step: number };
}

/**
 * Where the loss is minimised.
 * - `point`: a unique minimiser (Theorem 1 for SepDPH).
 * - `margin`: only r_w − r_l is determined; every point of the line r_w − r_l = margin is optimal (Theorem 2).
 * - `set`: a region of minimisers, e.g. the hinge's half-plane r_w − r_l ≥ marginMin.
 * - `diverges`: no finite minimiser; the loss keeps decreasing along `towards` (a unit vector in (r_w, r_l)).
 * `value` / `infimum` is the loss there (the infimum may be −Infinity, e.g. rDPO with ε > 0).
 */
export type Optimum =
	| { kind: 'point'; rw: number; rl: number; value: number; closedForm: boolean; note?: string }
	| { kind: 'margin'; margin: number; value: number; closedForm: boolean; note?: string }
	| {
			kind: 'set';
			description: string;
			marginMin?: number;
			marginMax?: number;
			value: number;
			closedForm: boolean;
	  }
	| { kind: 'diverges'; direction: string; towards: [number, number]; reason: string; infimum: number };

/** A smooth (or piecewise smooth) function of one variable with its first two derivatives, in float64. */
export interface Fn1D<P> {
	value(x: number, p: P): number;
	d1(x: number, p: P): number;
	d2(x: number, p: P): number;
}

/**
 * Structure the landscape code exploits: a margin loss is L = f(r_w − r_l), so an n×n grid needs f at only
 * 2n − 1 margins; a separable loss is L = w(r_w) + l(r_l), so it needs 2n evaluations.
 */
export type LossStructure<P> =
	| { kind: 'margin'; f: Fn1D<P> }
	| { kind: 'separable'; w: Fn1D<P>; l: Fn1D<P> }
	| { kind: 'none' };

export interface BatchOut {
	loss: FloatArray;
	drw?: FloatArray;
	drl?: FloatArray;
}

export interface ValidateOptions {
	/** Reject keys the loss does not take (the CLI uses this); by default they are ignored, so one shared
	 * params object can drive several losses side by side. */
	strict?: boolean;
}

/**
 * One preference loss. Methods (not function-valued properties) so that a `PreferenceLoss<{ eps: number }>`
 * is usable where a `PreferenceLoss<LossParams>` is expected (method parameters are bivariant).
 */
export interface PreferenceLoss<P extends LossParams = LossParams> {
	/** Registry / CLI name, e.g. `sepdph`. */
	name: string;
	title: string;
	/** KaTeX source of the per-pair loss. */
	tex: string;
	/** KaTeX source of the gradient (or of dL/dΔ for margin losses). */
	gradTex: string;
	description: string;
	params: ParamSpec[];
	structure: LossStructure<P>;
	/** Fills defaults and checks ranges; throws LossParamError naming the parameter, value and valid range. */
	validate(p?: Partial<P> | LossParams, opts?: ValidateOptions): P;
	/** True when the Hessian is positive semi-definite everywhere for these parameters. */
	convex(p: P): boolean;
	value(rw: number, rl: number, p: P): number;
	grad(rw: number, rl: number, p: P): Grad;
	hessian(rw: number, rl: number, p: P): Hessian;
	optimum(p: P): Optimum;
	/** Per-pair losses (and optionally gradients) of typed arrays, written into `out` (float32 or float64). */
	batch(rw: FloatArray, rl: FloatArray, p: P, out: BatchOut): void;
	/** Per-pair losses as a tensor (no reduction), differentiable; stable for large |r|. */
	tensor(tf: TFModule, rw: Tensor, rl: Tensor, p: P): Tensor;
}

/** Thrown for a parameter outside its valid range (or not a number, or unknown to the loss); `field` is its name. */
export class LossParamError extends ConfigError {
	override name = 'LossParamError';
	/** The parameter's name, as `field`. */
	get param(): string {
		return this.field;
	}
}

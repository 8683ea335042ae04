/**
 * LaProp for training DPH models, matching the reference implementation (Avelina9X/direct-preference-heads:
 * src/optimizer/laprop.py), on tfjs variables in float32. The scalar part of the rule (step count, running
 * learning rate, bias corrections) is laprop-rule.ts, shared with the float64 optimizer of the reward dynamics.
 *
 * LaProp step for one parameter p with gradient g (state: step t, exp_avg m, exp_avg_sq v, exp_avg_lr ā, and θ0):
 *   t ← t + 1
 *   v ← β2·v + (1−β2)·g²
 *   ā ← β1·ā + (1−β1)·lr                      (a running mean of the learning rate, from 0)
 *   u ← g / (√v + eps) · √(1−β2ᵗ)             (eps is added before the bias correction, as in the reference)
 *   m ← β1·m + (1−β1)·lr·u                    (the learning rate is folded into the momentum)
 *   p ← p − λ·lr·(p − θ0)   if decayInit      ("prior regularisation" towards the weights at the first step)
 *   p ← p − λ·lr·p          otherwise          (decoupled weight decay; neither when λ = 0)
 *   p ← p − m / (ā/lr)                         (ā/lr = 1 − β1ᵗ under a constant lr; 1 when lr = 0)
 *
 * Like the reference, t and ā are kept per parameter as float64 JS numbers (the reference keeps them as Python
 * floats): they only differ between parameters when some parameter misses a gradient on some step, exactly as
 * in the reference, where a parameter without a gradient is skipped and its state does not advance.
 *
 * tfjs is passed in (never imported as a value) so this module loads without tfjs, like the rest of src/lib/dph.
 */
import type * as TF from '@tensorflow/tfjs';
import { type LaPropCoefficients, lapropOnHeap } from '../kernels/laprop-heap';
import { tickLaProp } from './laprop-rule';

type TFModule = typeof TF;

/**
 * Gradients either by variable, or by variable name (the `grads` of tf.variableGrads, which names them by
 * `Variable.name`).
 */
export type GradMap = Map<TF.Variable, TF.Tensor> | Record<string, TF.Tensor>;

export interface LaPropGroup {
	vars: TF.Variable[];
	/** λ; default 0. */
	weightDecay?: number;
	/** Decay towards the weights at the first step instead of towards 0; default false. */
	decayInit?: boolean;
	name?: string;
}

export interface LaPropOptions {
	/** Momentum decay; default 0.9. */
	beta1?: number;
	/** Second-moment decay; default 0.95 (the reference's TrainConfig opt_beta_2). */
	beta2?: number;
	/** Default 1e-8. */
	eps?: number;
	/**
	 * On wasm, run each parameter's update as one pass over the heap (kernels/laprop-heap.ts, the same bits) instead
	 * of ~14 tfjs ops; default true. False is for the tests that compare the two.
	 */
	fused?: boolean;
}

/** One parameter's state as plain data, named by `Variable.name`. */
export interface LaPropParamState {
	name: string;
	step: number;
	expAvgLr: number;
	expAvg: Float32Array;
	expAvgSq: Float32Array;
	/** Present only for parameters in a group with weight decay ≠ 0 and decayInit. */
	originalParam?: Float32Array;
}

/**
 * The whole optimizer state for a checkpoint. The betas and eps are recorded for inspection only: setState keeps
 * the restoring optimizer's own hyper-parameters, which come from the run configuration.
 */
export interface LaPropState {
	kind: 'laprop';
	version: 1;
	beta1: number;
	beta2: number;
	eps: number;
	params: LaPropParamState[];
}

interface ParamEntry {
	variable: TF.Variable;
	weightDecay: number;
	decayInit: boolean;
	state: ParamState | null;
}

interface ParamState {
	step: number;
	expAvgLr: number;
	expAvg: TF.Variable;
	expAvgSq: TF.Variable;
	originalParam: TF.Variable | null;
}

export interface LaPropGroupInfo {
	name: string;
	weightDecay: number;
	decayInit: boolean;
	/** `Variable.name` of each parameter. */
	params: string[];
}

export class LaProp {
	readonly beta1: number;
	readonly beta2: number;
	readonly eps: number;
	readonly groups: readonly LaPropGroupInfo[];
	private readonly tf: TFModule;
	private readonly fused: boolean;
	private readonly byVariable = new Map<TF.Variable, ParamEntry>();
	private readonly byName = new Map<string, ParamEntry>();
	private disposed = false;

	constructor(tf: TFModule, groups: LaPropGroup[], opts: LaPropOptions = {}) {
		this.tf = tf;
		this.beta1 = opts.beta1 ?? 0.9;
		this.beta2 = opts.beta2 ?? 0.95;
		this.eps = opts.eps ?? 1e-8;
		this.fused = opts.fused ?? true;
		if (!(this.beta1 >= 0 && this.beta1 < 1))
			throw new RangeError(`LaProp: beta1 must be in [0, 1), got ${this.beta1}`);
		if (!(this.beta2 >= 0 && this.beta2 < 1))
			throw new RangeError(`LaProp: beta2 must be in [0, 1), got ${this.beta2}`);
		if (!(this.eps >= 0 && Number.isFinite(this.eps))) throw new RangeError(`LaProp: eps must be ≥ 0, got ${this.eps}`);
		const infos: LaPropGroupInfo[] = [];
		groups.forEach((group, gi) => {
			const weightDecay = group.weightDecay ?? 0;
			const decayInit = group.decayInit ?? false;
			const name = group.name ?? `group${gi}`;
			if (!Number.isFinite(weightDecay) || weightDecay < 0)
				throw new RangeError(`LaProp: group ${name}: weightDecay must be ≥ 0, got ${weightDecay}`);
			for (const variable of group.vars) {
				if (this.byVariable.has(variable) || this.byName.has(variable.name))
					throw new Error(`LaProp: parameter ${variable.name} appears in more than one group`);
				// The update runs in float32 (the reference casts to fp32 too); other dtypes would fail in assign.
				if (variable.dtype !== 'float32')
					throw new TypeError(`LaProp: parameter ${variable.name} is ${variable.dtype}, expected float32`);
				const entry: ParamEntry = { variable, weightDecay, decayInit, state: null };
				this.byVariable.set(variable, entry);
				this.byName.set(variable.name, entry);
			}
			infos.push({ name, weightDecay, decayInit, params: group.vars.map((v) => v.name) });
		});
		this.groups = infos;
	}

	/** The largest per-parameter step count (0 before the first step). */
	get step(): number {
		let t = 0;
		for (const e of this.byVariable.values()) if (e.state && e.state.step > t) t = e.state.step;
		return t;
	}

	/**
	 * One LaProp step with learning rate `lr` for every parameter that has a gradient; parameters without one are
	 * skipped and their state does not advance. Gradients are not checked for finiteness (the caller skips the
	 * step on a non-finite norm, as the reference's GradScaler does); a bad argument throws before anything changes.
	 * Each gradient is first multiplied by `gradScale`: clip_grad_norm_'s factor (clip.ts clipScale), applied here
	 * rather than as a scaled copy of every gradient.
	 */
	applyGradients(grads: GradMap, lr: number, gradScale = 1): void {
		this.assertLive();
		if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`LaProp: lr must be finite and ≥ 0, got ${lr}`);
		if (!(Number.isFinite(gradScale) && gradScale > 0))
			throw new RangeError(`LaProp: gradScale must be finite and > 0, got ${gradScale}`);
		const work = this.resolve(grads);
		const tf = this.tf;
		const { beta1, beta2, eps } = this;
		for (const [entry, grad] of work) {
			const st = entry.state ?? this.initState(entry);
			const { bc1, sqrtBc2 } = tickLaProp(st, lr, beta1, beta2);
			const wd = entry.weightDecay;
			const c: LaPropCoefficients = {
				beta1,
				beta2,
				eps,
				gradScale,
				sqrtBc2,
				lrMix: (1 - beta1) * lr,
				stepSize: 1 / bc1,
				wdLr: wd !== 0 ? wd * lr : null,
			};
			tf.tidy(() => {
				const g = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
				const p = entry.variable;
				const [next, m, v] =
					(this.fused && lapropOnHeap(tf, g, p, st.expAvg, st.expAvgSq, st.originalParam, c)) ||
					lapropOps(tf, g, p, st.expAvg, st.expAvgSq, st.originalParam, c);
				st.expAvgSq.assign(v);
				st.expAvg.assign(m);
				p.assign(next);
			});
		}
	}

	/** Copies the state to the CPU without blocking (the way to read from WebGPU). */
	async getState(): Promise<LaPropState> {
		this.assertLive();
		const params: LaPropParamState[] = [];
		for (const entry of this.byVariable.values()) {
			const st = entry.state;
			if (!st) continue;
			const [expAvg, expAvgSq, originalParam] = await Promise.all([
				st.expAvg.data() as Promise<Float32Array>,
				st.expAvgSq.data() as Promise<Float32Array>,
				st.originalParam ? (st.originalParam.data() as Promise<Float32Array>) : Promise.resolve(undefined),
			]);
			params.push(paramState(entry.variable.name, st, expAvg, expAvgSq, originalParam));
		}
		return this.wrapState(params);
	}

	/** Synchronous getState, for the CPU and wasm backends (a sync read from WebGPU stalls the page). */
	getStateSync(): LaPropState {
		this.assertLive();
		const params: LaPropParamState[] = [];
		for (const entry of this.byVariable.values()) {
			const st = entry.state;
			if (!st) continue;
			params.push(
				paramState(
					entry.variable.name,
					st,
					st.expAvg.dataSync() as Float32Array,
					st.expAvgSq.dataSync() as Float32Array,
					st.originalParam ? (st.originalParam.dataSync() as Float32Array) : undefined,
				),
			);
		}
		return this.wrapState(params);
	}

	/**
	 * Replaces the whole state. Parameters absent from `state` start fresh (they had no gradient yet when it was
	 * saved); a name this optimizer does not know, a size mismatch, or a missing θ0 where this optimizer's group
	 * needs one throws before anything changes.
	 */
	setState(state: LaPropState): void {
		this.assertLive();
		if (state.kind !== 'laprop' || state.version !== 1) throw new Error('LaProp.setState: not a LaProp v1 state');
		const seen = new Set<string>();
		for (const ps of state.params) {
			const entry = this.byName.get(ps.name);
			if (!entry) throw new Error(`LaProp.setState: state for unknown parameter ${ps.name}`);
			if (seen.has(ps.name)) throw new Error(`LaProp.setState: parameter ${ps.name} appears twice`);
			seen.add(ps.name);
			const size = entry.variable.size;
			const check = (what: string, a: Float32Array | undefined) => {
				if (a && a.length !== size)
					throw new RangeError(`LaProp.setState: ${ps.name}.${what} has ${a.length} values, expected ${size}`);
			};
			check('expAvg', ps.expAvg);
			check('expAvgSq', ps.expAvgSq);
			check('originalParam', ps.originalParam);
			if (!(Number.isInteger(ps.step) && ps.step >= 0) || !Number.isFinite(ps.expAvgLr))
				throw new RangeError(`LaProp.setState: ${ps.name} has a bad step or expAvgLr`);
			if (entry.weightDecay !== 0 && entry.decayInit && !ps.originalParam)
				throw new Error(`LaProp.setState: ${ps.name} decays towards its initial value but the state has none`);
		}
		this.disposeState();
		const tf = this.tf;
		for (const ps of state.params) {
			const entry = this.byName.get(ps.name)!;
			const shape = entry.variable.shape;
			const make = (a: Float32Array) => tf.tidy(() => tf.variable(tf.tensor(a, shape, 'float32'), false));
			entry.state = {
				step: ps.step,
				expAvgLr: ps.expAvgLr,
				expAvg: make(ps.expAvg),
				expAvgSq: make(ps.expAvgSq),
				originalParam: entry.weightDecay !== 0 && entry.decayInit && ps.originalParam ? make(ps.originalParam) : null,
			};
		}
	}

	/** Frees the state tensors; the parameters belong to the model and are left alone. */
	dispose(): void {
		if (this.disposed) return;
		this.disposeState();
		this.disposed = true;
	}

	private wrapState(params: LaPropParamState[]): LaPropState {
		return { kind: 'laprop', version: 1, beta1: this.beta1, beta2: this.beta2, eps: this.eps, params };
	}

	private initState(entry: ParamEntry): ParamState {
		const tf = this.tf;
		const p = entry.variable;
		const st: ParamState = {
			step: 0,
			expAvgLr: 0,
			expAvg: tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
			expAvgSq: tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
			// θ0 is the value at this parameter's first step, not at construction, as in the reference.
			originalParam: entry.weightDecay !== 0 && entry.decayInit ? tf.tidy(() => tf.variable(tf.clone(p), false)) : null,
		};
		entry.state = st;
		return st;
	}

	private resolve(grads: GradMap): [ParamEntry, TF.Tensor][] {
		const out: [ParamEntry, TF.Tensor][] = [];
		const add = (entry: ParamEntry | undefined, label: string, g: TF.Tensor | null | undefined) => {
			if (!entry) throw new Error(`LaProp: gradient for ${label}, which is in no parameter group`);
			if (g == null) return;
			if (!sameShape(g.shape, entry.variable.shape))
				throw new Error(
					`LaProp: gradient for ${label} has shape [${g.shape}], parameter has [${entry.variable.shape}]`,
				);
			out.push([entry, g]);
		};
		if (grads instanceof Map) for (const [v, g] of grads) add(this.byVariable.get(v), v.name, g);
		else for (const [name, g] of Object.entries(grads)) add(this.byName.get(name), name, g);
		return out;
	}

	private disposeState(): void {
		for (const entry of this.byVariable.values()) {
			const st = entry.state;
			if (!st) continue;
			st.expAvg.dispose();
			st.expAvgSq.dispose();
			st.originalParam?.dispose();
			entry.state = null;
		}
	}

	private assertLive(): void {
		if (this.disposed) throw new Error('LaProp: used after dispose()');
	}
}

/** The update as tfjs ops, on any backend: [p′, m′, v′] (lapropOnHeap is the same on the wasm heap). */
function lapropOps(
	tf: TFModule,
	grad: TF.Tensor,
	p: TF.Tensor,
	expAvg: TF.Tensor,
	expAvgSq: TF.Tensor,
	theta0: TF.Tensor | null,
	c: LaPropCoefficients,
): [TF.Tensor, TF.Tensor, TF.Tensor] {
	const g = c.gradScale !== 1 ? tf.mul(grad, c.gradScale) : grad;
	const v = tf.add(tf.mul(expAvgSq, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
	const denom = tf.add(tf.sqrt(v), c.eps);
	const u = tf.mul(tf.div(g, denom), c.sqrtBc2);
	const m = tf.add(tf.mul(expAvg, c.beta1), tf.mul(u, c.lrMix));
	let next: TF.Tensor = p;
	if (c.wdLr !== null) next = tf.sub(next, tf.mul(theta0 ? tf.sub(p, theta0) : p, c.wdLr));
	return [tf.sub(next, tf.mul(m, c.stepSize)), m, v];
}

function paramState(
	name: string,
	st: ParamState,
	expAvg: Float32Array,
	expAvgSq: Float32Array,
	originalParam: Float32Array | undefined,
): LaPropParamState {
	// Copies, so the checkpoint never aliases a backend's cached buffer.
	const out: LaPropParamState = {
		name,
		step: st.step,
		expAvgLr: st.expAvgLr,
		expAvg: Float32Array.from(expAvg),
		expAvgSq: Float32Array.from(expAvgSq),
	};
	if (originalParam) out.originalParam = Float32Array.from(originalParam);
	return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
	return a.length === b.length && a.every((d, i) => d === b[i]);
}

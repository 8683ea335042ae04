/**
 * Optimizer pieces for training DPH models, matching the reference implementation (Avelina9X/direct-preference-heads:
 * src/optimizer/laprop.py for the update, src/training/trainer.py for the schedule and clipping, and
 * src/model/modeling.py `get_param_groups` for the parameter groups).
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
	private readonly byVariable = new Map<TF.Variable, ParamEntry>();
	private readonly byName = new Map<string, ParamEntry>();
	private disposed = false;

	constructor(tf: TFModule, groups: LaPropGroup[], opts: LaPropOptions = {}) {
		this.tf = tf;
		this.beta1 = opts.beta1 ?? 0.9;
		this.beta2 = opts.beta2 ?? 0.95;
		this.eps = opts.eps ?? 1e-8;
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
	 */
	applyGradients(grads: GradMap, lr: number): void {
		this.assertLive();
		if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`LaProp: lr must be finite and ≥ 0, got ${lr}`);
		const work = this.resolve(grads);
		const tf = this.tf;
		const { beta1, beta2, eps } = this;
		for (const [entry, grad] of work) {
			const st = entry.state ?? this.initState(entry);
			st.step += 1;
			st.expAvgLr = st.expAvgLr * beta1 + (1 - beta1) * lr;
			const bc1 = lr !== 0 ? st.expAvgLr / lr : 1;
			const sqrtBc2 = Math.sqrt(1 - beta2 ** st.step);
			const stepSize = 1 / bc1;
			const wd = entry.weightDecay;
			tf.tidy(() => {
				const g = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
				const p = entry.variable;
				const v = tf.add(tf.mul(st.expAvgSq, beta2), tf.mul(tf.square(g), 1 - beta2));
				const denom = tf.add(tf.sqrt(v), eps);
				const u = tf.mul(tf.div(g, denom), sqrtBc2);
				const m = tf.add(tf.mul(st.expAvg, beta1), tf.mul(u, (1 - beta1) * lr));
				let next: TF.Tensor = p;
				if (wd !== 0) {
					const pull = st.originalParam ? tf.sub(p, st.originalParam) : p;
					next = tf.sub(next, tf.mul(pull, wd * lr));
				}
				next = tf.sub(next, tf.mul(m, stepSize));
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

export interface LrScheduleOptions {
	/** Peak learning rate (the reference's lr_max). */
	lrMax: number;
	/** Linear warmup from 0 to lrMax over this many steps; 0 = no warmup. */
	warmupSteps: number;
	/** The step at which the cosine cooldown reaches lrMax·minRatio; must exceed warmupSteps. */
	totalSteps: number;
	/** Final fraction of lrMax (the reference's lr_cooldown_ratio, default 0.1). */
	minRatio: number;
}

/**
 * The reference's schedule (Trainer.get_schedule × lr_max), with the step counted from 1 (the reference increments
 * optimizer_step before reading the schedule):
 *   warmup   = min(step / warmupSteps, 1)
 *   progress = min(max(step − warmupSteps, 0) / (totalSteps − warmupSteps), 1)
 *   cooldown = (cos(π·progress)/2 + 1/2)·(1 − minRatio) + minRatio
 *   lr       = lrMax · min(warmup, cooldown)
 * The reference measures the cooldown in tokens (steps × batch × sequence length, cooldown end lr_cooldown_tokens);
 * with a fixed batch shape that is the same ratio in steps, so totalSteps = lr_cooldown_tokens / (batch × seq_len).
 */
export function lrSchedule(opts: LrScheduleOptions): (step: number) => number {
	const { lrMax, warmupSteps, totalSteps, minRatio } = opts;
	if (!(Number.isFinite(lrMax) && lrMax >= 0)) throw new RangeError(`lrSchedule: lrMax must be ≥ 0, got ${lrMax}`);
	if (!(Number.isFinite(warmupSteps) && warmupSteps >= 0))
		throw new RangeError(`lrSchedule: warmupSteps must be ≥ 0, got ${warmupSteps}`);
	// The reference divides by (cooldown − warmup) too; an empty or negative cooldown has no sensible reading.
	if (!(Number.isFinite(totalSteps) && totalSteps > warmupSteps))
		throw new RangeError(`lrSchedule: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`);
	if (!(minRatio >= 0 && minRatio <= 1))
		throw new RangeError(`lrSchedule: minRatio must be in [0, 1], got ${minRatio}`);
	return (step: number) => {
		if (!(step >= 0)) throw new RangeError(`lrSchedule: step must be ≥ 0, got ${step}`);
		const warmup = warmupSteps > 0 ? Math.min(step / warmupSteps, 1) : 1;
		const progress = Math.min(Math.max(step - warmupSteps, 0) / (totalSteps - warmupSteps), 1);
		const cooldown = (Math.cos(progress * Math.PI) * 0.5 + 0.5) * (1 - minRatio) + minRatio;
		return lrMax * Math.min(warmup, cooldown);
	};
}

function gradList(grads: GradMap): TF.Tensor[] {
	const list = grads instanceof Map ? [...grads.values()] : Object.values(grads);
	return list.filter((g): g is TF.Tensor => g != null);
}

/** ‖(g₁, …, gₙ)‖₂ over all gradients as a scalar tensor (the caller disposes it); 0 for no gradients. */
export function globalNorm(tf: TFModule, grads: GradMap): TF.Scalar {
	return tf.tidy(() => {
		const list = gradList(grads);
		if (list.length === 0) return tf.scalar(0);
		const squares = list.map((g) => tf.sum(tf.square(g.dtype === 'float32' ? g : tf.cast(g, 'float32'))));
		// stack + sum, not addN: tfjs-webgpu's addN binds one storage buffer per input, and a model has more
		// parameter tensors than a GPU's per-stage buffer limit (8 on SwiftShader).
		return tf.sqrt(squares.length === 1 ? squares[0] : tf.sum(tf.stack(squares))) as TF.Scalar;
	});
}

/**
 * torch.nn.utils.clip_grad_norm_'s factor: min(1, maxNorm / (norm + 1e-6)). Note that a norm within 1e-6 below
 * maxNorm is already scaled (very slightly), as in torch. maxNorm ≤ 0 disables clipping (the reference's
 * opt_max_grad_norm = 0); a non-finite norm gives NaN.
 */
export function clipScale(norm: number, maxNorm: number): number {
	if (!Number.isFinite(norm)) return Number.NaN;
	if (!(maxNorm > 0)) return 1;
	return Math.min(1, maxNorm / (norm + 1e-6));
}

export interface ClipResult<G extends GradMap> {
	/** New tensors, keyed like the input; the caller disposes them (and the input). */
	grads: G;
	/** The global norm before clipping; NaN or ±Infinity when some gradient is not finite. */
	norm: number;
	/** The factor applied (1 = unchanged; NaN when the norm is not finite). */
	scale: number;
	/**
	 * False when the norm is not finite: the gradients are then returned unscaled and the caller must skip the
	 * step, as the reference's GradScaler skips optimizer.step on inf/NaN gradients.
	 */
	finite: boolean;
}

function scaleGrads<G extends GradMap>(tf: TFModule, grads: G, scale: number): G {
	const apply = (g: TF.Tensor) =>
		tf.tidy(() => (Number.isFinite(scale) && scale !== 1 ? tf.mul(g, scale) : tf.clone(g)));
	if (grads instanceof Map) {
		const out = new Map<TF.Variable, TF.Tensor>();
		for (const [v, g] of grads) if (g != null) out.set(v, apply(g));
		return out as G;
	}
	const out: Record<string, TF.Tensor> = {};
	for (const [name, g] of Object.entries(grads)) if (g != null) out[name] = apply(g);
	return out as G;
}

function clipWith<G extends GradMap>(tf: TFModule, grads: G, maxNorm: number, norm: number): ClipResult<G> {
	const scale = clipScale(norm, maxNorm);
	const finite = Number.isFinite(norm);
	return { grads: scaleGrads(tf, grads, scale), norm, scale, finite };
}

/**
 * Clips all gradients together to global L2 norm ≤ maxNorm with torch's clip_grad_norm_ semantics and reports
 * the norm before clipping. Reading the norm is the one device→CPU sync of a step; it is needed anyway to skip
 * non-finite steps.
 */
export async function clipByGlobalNorm<G extends GradMap>(
	tf: TFModule,
	grads: G,
	maxNorm: number,
): Promise<ClipResult<G>> {
	const n = globalNorm(tf, grads);
	const norm = (await n.data())[0];
	n.dispose();
	return clipWith(tf, grads, maxNorm, norm);
}

/** clipByGlobalNorm with a blocking read, for the CPU and wasm backends. */
export function clipByGlobalNormSync<G extends GradMap>(tf: TFModule, grads: G, maxNorm: number): ClipResult<G> {
	const n = globalNorm(tf, grads);
	const norm = n.dataSync()[0];
	n.dispose();
	return clipWith(tf, grads, maxNorm, norm);
}

/** The reference's TrainConfig.opt_decay_mask: names containing any of these get no weight decay. */
export const DEFAULT_DECAY_MASK: readonly string[] = ['norm', 'bias', 'embedding.weight'];
/** Top-level modules of the DPH head (the reference's pooler_pipeline and reward_heads). */
export const DPH_PREFIXES: readonly string[] = ['pooler_pipeline.', 'reward_heads.'];

export interface ParamGroupOptions {
	/** Backbone λ (TrainConfig.opt_weight_decay); default 0.1. */
	weightDecay?: number;
	/** Backbone prior regularisation (TrainConfig.opt_decay_init); default false. */
	decayInit?: boolean;
	/** DPH-head λ (DPHConfig.dph_weight_decay); default 0.1. */
	dphWeightDecay?: number;
	/** DPH-head prior regularisation (DPHConfig.dph_decay_init); default false. */
	dphDecayInit?: boolean;
	decayMask?: readonly string[];
	dphPrefixes?: readonly string[];
}

/**
 * The reference's DPHModel.get_param_groups: trainable variables split into backbone / DPH head (by name prefix,
 * where the reference tests membership of the pooler_pipeline and reward_heads modules) and decay / no decay (by
 * the decay-mask substrings). Always four groups, in the reference's order, possibly empty:
 * 'decay', 'no_decay', 'dph_decay', 'dph_no_decay'. Non-trainable variables are left out, as the reference skips
 * parameters without requires_grad.
 */
export function paramGroups(named: Record<string, TF.Variable>, opts: ParamGroupOptions = {}): LaPropGroup[] {
	const mask = opts.decayMask ?? DEFAULT_DECAY_MASK;
	const prefixes = opts.dphPrefixes ?? DPH_PREFIXES;
	const decayInit = opts.decayInit ?? false;
	const dphDecayInit = opts.dphDecayInit ?? false;
	const groups = {
		decay: [] as TF.Variable[],
		no_decay: [] as TF.Variable[],
		dph_decay: [] as TF.Variable[],
		dph_no_decay: [] as TF.Variable[],
	};
	for (const [name, v] of Object.entries(named)) {
		if (!v.trainable) continue;
		const noDecay = mask.some((s) => name.includes(s));
		const dph = prefixes.some((s) => name.startsWith(s));
		groups[`${dph ? 'dph_' : ''}${noDecay ? 'no_decay' : 'decay'}`].push(v);
	}
	return [
		{ name: 'decay', vars: groups.decay, weightDecay: opts.weightDecay ?? 0.1, decayInit },
		// The no-decay groups keep their decayInit flag, as in the reference; with λ = 0 it has no effect.
		{ name: 'no_decay', vars: groups.no_decay, weightDecay: 0, decayInit },
		{ name: 'dph_decay', vars: groups.dph_decay, weightDecay: opts.dphWeightDecay ?? 0.1, decayInit: dphDecayInit },
		{ name: 'dph_no_decay', vars: groups.dph_no_decay, weightDecay: 0, decayInit: dphDecayInit },
	];
}

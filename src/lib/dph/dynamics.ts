/**
 * Reward dynamics: how the rewards of many preference pairs move while a preference loss is minimised, under label
 * noise, with SGD, Adam or LaProp. Pure float64 arithmetic on typed arrays (no tensors, no DOM), so it runs in a
 * notebook cell, a worker or Node, and is reproducible from its seed.
 *
 * Two reward models:
 * - `free`: every pair i owns two parameters (r_w,i, r_l,i) that are trained directly — the setting of the paper's
 *   Theorems 1 and 2, where each pair can sit exactly on the optimum.
 * - `linear`: one shared weight vector, r = w·x, on synthetic features x = [1, a] (a constant bias feature, then
 *   `dim` Gaussian features). A hidden direction w* decides which answer is better: w*·(a_w − a_l) > 0 for every
 *   pair. A shared model cannot give every pair the same margin, so only the average lands near the targets.
 *
 *   import { simulate, theoreticalTargets } from '$lib/dph/dynamics';
 *   const res = simulate({ loss: 'condph', params: { eps: 0.1 }, eta: 0.1, optimizer: 'laprop', lr: 0.05, steps: 400 });
 *   res.meanMargin[res.step]; theoreticalTargets('condph', { eps: 0.1 }, 0.1).margin;
 *
 * Label noise (rate η) flips a pair's preference: its loss becomes L(r_l, r_w). `noise: 'resample'` (default) flips
 * each time a pair is drawn into a batch, so every pair feels the expected loss (1−η)·L(r_w, r_l) + η·L(r_l, r_w);
 * `noise: 'fixed'` flips a pair once for the whole run (a mislabelled data set), which free rewards memorise.
 */
import { getLoss, type LossParams, type Optimum, type PreferenceLoss, withLabelNoise } from './losses/index';
import { deriveSeed, mulberry32, normal } from './random';

export type OptimizerName = 'sgd' | 'adam' | 'laprop';
export type RewardModel = 'free' | 'linear';
export type NoiseMode = 'resample' | 'fixed';

export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam', 'laprop'];
export const REWARD_MODELS: readonly RewardModel[] = ['free', 'linear'];
export const NOISE_MODES: readonly NoiseMode[] = ['resample', 'fixed'];

/** Thrown for an invalid simulation spec; `field` is the spec key (dotted for nested ones, e.g. `init.spread`). */
export class DynamicsSpecError extends Error {
	override name = 'DynamicsSpecError';
	constructor(
		message: string,
		readonly field: string,
		readonly value: unknown,
	) {
		super(message);
	}
}

// ───────────────────────────── optimizers ─────────────────────────────

export interface OptimizerOptions {
	lr: number;
	/** Momentum decay; default 0.9 (the paper's LaProp β1). Ignored by SGD. */
	beta1?: number;
	/** Second-moment decay; default 0.95 (the paper's LaProp β2; Adam gets the same so the two compare fairly). */
	beta2?: number;
	/** Denominator guard; default 1e-8 (the reference config's opt_eps). */
	eps?: number;
}

/** A first-order optimizer over one flat Float64Array of parameters, updated in place. */
export interface Optimizer {
	readonly name: OptimizerName;
	/** Number of steps taken. */
	readonly t: number;
	step(params: Float64Array, grad: Float64Array): void;
}

/**
 * SGD: p ← p − lr·g.
 *
 * Adam (Kingma & Ba; PyTorch's torch.optim.Adam without weight decay):
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps).
 *
 * LaProp (Ziyin et al. 2020), transcribed from the reference implementation (direct-preference-heads,
 * src/optimizer/laprop.py, without weight decay, centering or amsgrad): the gradient is normalised by the RMS of
 * past gradients FIRST and momentum then averages the normalised steps — the reverse of Adam, which normalises
 * the momentum:
 *   v ← β2·v + (1−β2)·g²
 *   u ← g / (√v + eps) · √(1−β2ᵗ)             (bias-corrected RMS normalisation; eps sits outside the correction)
 *   m ← β1·m + (1−β1)·lr·u                     (the learning rate is folded into the momentum buffer)
 *   ā ← β1·ā + (1−β1)·lr                       (running mean of the learning rate, starting at 0)
 *   p ← p − m / (ā / lr)                       (ā/lr = 1 − β1ᵗ for a constant learning rate)
 */
export function createOptimizer(name: OptimizerName, size: number, opts: OptimizerOptions): Optimizer {
	const { lr } = opts;
	const beta1 = opts.beta1 ?? 0.9;
	const beta2 = opts.beta2 ?? 0.95;
	const eps = opts.eps ?? 1e-8;
	checkOptimizer(name, lr, beta1, beta2, eps);
	const m = new Float64Array(name === 'sgd' ? 0 : size);
	const v = new Float64Array(name === 'sgd' ? 0 : size);
	let t = 0;
	let lrAvg = 0;
	const checkSizes = (params: Float64Array, grad: Float64Array) => {
		if (params.length !== size || grad.length !== size)
			throw new RangeError(
				`optimizer was created for ${size} parameters, got params ${params.length} and grad ${grad.length}`,
			);
	};
	// The update rule by optimizer; `t` is already the new step count when it runs.
	const sgd = (params: Float64Array, grad: Float64Array) => {
		for (let i = 0; i < size; i++) params[i] -= lr * grad[i];
	};
	const adam = (params: Float64Array, grad: Float64Array) => {
		const bc1 = 1 - beta1 ** t;
		const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
		const stepSize = lr / bc1;
		for (let i = 0; i < size; i++) {
			const g = grad[i];
			m[i] = beta1 * m[i] + (1 - beta1) * g;
			v[i] = beta2 * v[i] + (1 - beta2) * g * g;
			params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
		}
	};
	const laprop = (params: Float64Array, grad: Float64Array) => {
		lrAvg = lrAvg * beta1 + (1 - beta1) * lr;
		const bc1 = lrAvg / lr;
		const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
		for (let i = 0; i < size; i++) {
			const g = grad[i];
			v[i] = beta2 * v[i] + (1 - beta2) * g * g;
			const u = (g / (Math.sqrt(v[i]) + eps)) * sqrtBc2;
			m[i] = beta1 * m[i] + (1 - beta1) * lr * u;
			params[i] -= m[i] / bc1;
		}
	};
	const update = name === 'sgd' ? sgd : name === 'adam' ? adam : laprop;
	return {
		name,
		get t() {
			return t;
		},
		step(params, grad) {
			checkSizes(params, grad);
			t++;
			update(params, grad);
		},
	};
}

function checkOptimizer(name: string, lr: number, beta1: number, beta2: number, eps: number): void {
	if (!(OPTIMIZERS as readonly string[]).includes(name))
		fail('optimizer', name, `valid optimizers are ${OPTIMIZERS.join(', ')}`);
	if (typeof lr !== 'number' || !Number.isFinite(lr) || !(lr > 0)) fail('lr', lr, 'valid lr > 0 (finite)');
	if (typeof beta1 !== 'number' || !(beta1 >= 0 && beta1 < 1)) fail('beta1', beta1, 'valid 0 ≤ beta1 < 1');
	if (typeof beta2 !== 'number' || !(beta2 >= 0 && beta2 < 1)) fail('beta2', beta2, 'valid 0 ≤ beta2 < 1');
	if (typeof eps !== 'number' || !Number.isFinite(eps) || !(eps > 0)) fail('optEps', eps, 'valid optEps > 0 (finite)');
}

// ───────────────────────────── spec and validation ─────────────────────────────

export interface DynamicsSpec {
	/** `free` (default): a (r_w, r_l) pair of parameters per preference pair; `linear`: r = w·x on synthetic features. */
	model?: RewardModel;
	/** Loss name from `$lib/dph/losses` (default `condph`). */
	loss?: string;
	/** Loss parameters, checked by the loss's own validate (default: the loss's defaults, e.g. ε = 0.1). */
	params?: LossParams;
	/** Label-flip rate η, 0 ≤ η < 0.5 (default 0). */
	eta?: number;
	/** How labels are flipped (default `resample`, see the module comment). */
	noise?: NoiseMode;
	/** Default `laprop`. */
	optimizer?: OptimizerName;
	/** Learning rate, > 0 (default 0.05). */
	lr?: number;
	beta1?: number;
	beta2?: number;
	/** The optimizer's ε (not the loss's); default 1e-8. */
	optEps?: number;
	/** Number of preference pairs, whole, 1 … 1e6 (default 256). */
	pairs?: number;
	/** Pairs per step, drawn without replacement, 1 … pairs (default min(pairs, 64)). */
	batchSize?: number;
	/** Optimizer steps, whole, 1 … 1e6 (default 400). */
	steps?: number;
	/** Whole number (default 0). Data, initialisation, batches and flips use independent streams derived from it. */
	seed?: number;
	/** Initial rewards ≈ offset + spread·N(0, 1) (default offset 0, spread 0.5). */
	init?: { offset?: number; spread?: number };
	/** Linear model only: `dim` Gaussian features (default 8) and an extra gap `separation` ≥ 0 along w* (default 1). */
	features?: { dim?: number; separation?: number };
	/** How many individual pairs to record (the first ones; pairs are in random order), 0 … min(pairs, 64); default 6. */
	track?: number;
	/** Record the mean loss every step (default true). Sweeps turn it off: it costs more than the update itself. */
	recordLoss?: boolean;
}

export interface ResolvedSpec {
	model: RewardModel;
	loss: string;
	params: LossParams;
	eta: number;
	noise: NoiseMode;
	optimizer: OptimizerName;
	lr: number;
	beta1: number;
	beta2: number;
	optEps: number;
	pairs: number;
	batchSize: number;
	steps: number;
	seed: number;
	init: { offset: number; spread: number };
	features: { dim: number; separation: number };
	track: number;
	recordLoss: boolean;
}

const MAX_STEPS = 1_000_000;
const MAX_PAIRS = 1_000_000;
const MAX_TRACK = 64;
const MAX_DIM = 1024;

function show(v: unknown): string {
	return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function fail(field: string, value: unknown, range: string): never {
	throw new DynamicsSpecError(`${field} = ${show(value)} is invalid: ${range}`, field, value);
}

function wholeIn(field: string, v: unknown, lo: number, hi: number): number {
	if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
		fail(field, v, `valid ${field} is a whole number, ${lo} ≤ ${field} ≤ ${hi}`);
	return v;
}

function finite(field: string, v: unknown, range: string, ok: (x: number) => boolean = () => true): number {
	if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(field, v, range);
	return v;
}

function oneOf<T extends string>(field: string, v: unknown, options: readonly T[]): T {
	if (typeof v !== 'string' || !(options as readonly string[]).includes(v))
		fail(field, v, `valid ${field} is one of ${options.join(', ')}`);
	return v as T;
}

/** Fills defaults and checks every field; throws DynamicsSpecError (or the loss's LossParamError) naming the field. */
export function validateSpec(spec: DynamicsSpec = {}): ResolvedSpec {
	const model = oneOf('model', spec.model ?? 'free', REWARD_MODELS);
	const loss = getLoss(spec.loss ?? 'condph');
	const params = loss.validate(spec.params ?? {});
	const eta = finite('eta', spec.eta ?? 0, 'valid 0 ≤ eta < 0.5', (x) => x >= 0 && x < 0.5);
	const noise = oneOf('noise', spec.noise ?? 'resample', NOISE_MODES);
	const optimizer = oneOf('optimizer', spec.optimizer ?? 'laprop', OPTIMIZERS);
	const lr = finite('lr', spec.lr ?? 0.05, 'valid lr > 0 (finite)', (x) => x > 0);
	const beta1 = finite('beta1', spec.beta1 ?? 0.9, 'valid 0 ≤ beta1 < 1', (x) => x >= 0 && x < 1);
	const beta2 = finite('beta2', spec.beta2 ?? 0.95, 'valid 0 ≤ beta2 < 1', (x) => x >= 0 && x < 1);
	const optEps = finite('optEps', spec.optEps ?? 1e-8, 'valid optEps > 0 (finite)', (x) => x > 0);
	const pairs = wholeIn('pairs', spec.pairs ?? 256, 1, MAX_PAIRS);
	const batchSize = wholeIn('batchSize', spec.batchSize ?? Math.min(pairs, 64), 1, pairs);
	const steps = wholeIn('steps', spec.steps ?? 400, 1, MAX_STEPS);
	const seed = finite('seed', spec.seed ?? 0, 'valid seed is a whole number', Number.isInteger);
	const offset = finite('init.offset', spec.init?.offset ?? 0, 'valid init.offset is a finite number');
	const spread = finite('init.spread', spec.init?.spread ?? 0.5, 'valid init.spread ≥ 0 (finite)', (x) => x >= 0);
	const dim = wholeIn('features.dim', spec.features?.dim ?? 8, 1, MAX_DIM);
	const separation = finite(
		'features.separation',
		spec.features?.separation ?? 1,
		'valid features.separation ≥ 0 (finite)',
		(x) => x >= 0,
	);
	const track = wholeIn('track', spec.track ?? Math.min(6, pairs), 0, Math.min(pairs, MAX_TRACK));
	const recordLoss = spec.recordLoss ?? true;
	if (typeof recordLoss !== 'boolean') fail('recordLoss', recordLoss, 'valid recordLoss is true or false');
	return {
		model,
		loss: loss.name,
		params,
		eta,
		noise,
		optimizer,
		lr,
		beta1,
		beta2,
		optEps,
		pairs,
		batchSize,
		steps,
		seed,
		init: { offset, spread },
		features: { dim, separation },
		track,
		recordLoss,
	};
}

// ───────────────────────────── targets ─────────────────────────────

/**
 * Flipping labels at rate η turns label smoothing ε into ε' = ε + η − 2εη for the smoothed logistic losses:
 * (1−η)·ℓ_ε(Δ) + η·ℓ_ε(−Δ) weighs −log σ(Δ) by (1−η)(1−ε) + ηε = 1 − ε' and −log σ(−Δ) by ε'. The same holds
 * per reward for SepDPH, whose two terms are ℓ_ε(r_w) and ℓ_ε(−r_l).
 */
export function effectiveEps(eps: number, eta: number): number {
	return eps + eta - 2 * eps * eta;
}

/** log((1−ε)/ε): Theorem 1's r_w* (and −r_l*), Theorem 2's margin; +∞ at ε = 0. */
export function logOdds(eps: number): number {
	return eps === 0 ? Number.POSITIVE_INFINITY : Math.log((1 - eps) / eps);
}

export interface Targets {
	/** Where the per-pair expected loss under noise is minimised (Optimum kinds as in losses/types). */
	kind: Optimum['kind'];
	/** Optimal r_w, or null when only the margin is determined (ConDPH) or the loss has no finite optimum. */
	rw: number | null;
	rl: number | null;
	/** Optimal r_w − r_l (+∞ when it diverges; the lower end of a set; NaN when there is none to draw). */
	margin: number;
	/** Optimal r_w + r_l when it is determined (0 for SepDPH); null when any offset is optimal. */
	sum: number | null;
	/** ε' = ε + η − 2εη for SepDPH/ConDPH; null for other losses. */
	epsEff: number | null;
	closedForm: boolean;
}

/**
 * Optimum of one pair's expected loss (1−η)·L(r_w, r_l) + η·L(r_l, r_w): in closed form for SepDPH (Theorem 1
 * with ε') and ConDPH (Theorem 2 with ε'), numerically (losses/noise.withLabelNoise) for the other losses.
 */
export function theoreticalTargets(lossName: string, params: LossParams = {}, eta = 0): Targets {
	const loss = getLoss(lossName);
	const p = loss.validate(params);
	if (!(eta >= 0 && eta < 0.5)) fail('eta', eta, 'valid 0 ≤ eta < 0.5');
	if (loss.name === 'sepdph' || loss.name === 'condph') {
		const epsEff = effectiveEps(p.eps, eta);
		const r = logOdds(epsEff);
		const diverges = epsEff === 0;
		if (loss.name === 'sepdph') {
			return {
				kind: diverges ? 'diverges' : 'point',
				rw: r,
				rl: -r,
				margin: 2 * r,
				sum: diverges ? null : 0,
				epsEff,
				closedForm: true,
			};
		}
		return {
			kind: diverges ? 'diverges' : 'margin',
			rw: null,
			rl: null,
			margin: r,
			sum: null,
			epsEff,
			closedForm: true,
		};
	}
	const o = withLabelNoise(loss, eta).optimum(p);
	switch (o.kind) {
		case 'point':
			return {
				kind: 'point',
				rw: o.rw,
				rl: o.rl,
				margin: o.rw - o.rl,
				sum: o.rw + o.rl,
				epsEff: null,
				closedForm: o.closedForm,
			};
		case 'margin':
			return {
				kind: 'margin',
				rw: null,
				rl: null,
				margin: o.margin,
				sum: null,
				epsEff: null,
				closedForm: o.closedForm,
			};
		case 'set':
			return {
				kind: 'set',
				rw: null,
				rl: null,
				margin: o.marginMin ?? Number.NaN,
				sum: null,
				epsEff: null,
				closedForm: o.closedForm,
			};
		default: {
			const [tw, tl] = o.towards;
			const inf = (x: number) => (x > 0 ? Number.POSITIVE_INFINITY : x < 0 ? Number.NEGATIVE_INFINITY : 0);
			return { kind: 'diverges', rw: null, rl: null, margin: inf(tw - tl), sum: null, epsEff: null, closedForm: false };
		}
	}
}

// ───────────────────────────── simulation ─────────────────────────────

export interface TrackedPair {
	/** Index of the pair in the data set. */
	pair: number;
	/** Whether its label is flipped for the whole run (noise `fixed`). */
	flipped: boolean;
	rw: Float64Array;
	rl: Float64Array;
}

/**
 * Everything recorded, per step t = 0 … steps (t = 0 is the initial state, t after t updates), averaged over all
 * pairs. Entries past `step` are not yet computed (simulateSteps fills them progressively).
 */
export interface SimulationResult {
	spec: ResolvedSpec;
	/** Steps completed so far. */
	step: number;
	done: boolean;
	meanRw: Float64Array;
	meanRl: Float64Array;
	/** Mean of r_w − r_l. */
	meanMargin: Float64Array;
	/** Standard deviation of r_w − r_l across pairs. */
	sdMargin: Float64Array;
	/** Mean of r_w + r_l: ConDPH never changes it for free rewards; SepDPH pulls it to 0. */
	meanSum: Float64Array;
	/** Mean training loss: the expected loss under noise (`resample`), or the loss on the observed labels (`fixed`). */
	loss: Float64Array;
	/** Fraction of pairs with r_w > r_l on the clean labels. */
	accuracy: Float64Array;
	tracked: TrackedPair[];
	/** Current per-pair rewards (at `step`), r_w of the truly preferred answer. */
	rw: Float64Array;
	rl: Float64Array;
	/** Pairs whose label is flipped for the whole run (0 unless noise is `fixed`). */
	flippedCount: number;
	/** Per-pair optimum of the expected loss (see theoreticalTargets). */
	targets: Targets;
	/** Linear model: current weights [bias, w_1 … w_dim] and the hidden direction w* (unit length, no bias). */
	weights: Float64Array | null;
	trueDirection: Float64Array | null;
	/** Linear model: the pairs' features, row-major [pair][width], width = 1 + dim, bias feature first. */
	features: { width: number; xw: Float64Array; xl: Float64Array } | null;
}

/** One row per recorded step up to `step`, ready for Observable Plot. */
export interface DynamicsRow {
	step: number;
	meanRw: number;
	meanRl: number;
	meanMargin: number;
	sdMargin: number;
	meanSum: number;
	loss: number;
	accuracy: number;
}

/** Steps 0, every, 2·every, … and always the latest one, so thinned curves still end where the run is. */
function sampledSteps(step: number, every: number): number[] {
	const k = Math.max(1, Math.floor(every));
	const out: number[] = [];
	for (let t = 0; t <= step; t += k) out.push(t);
	if (out[out.length - 1] !== step) out.push(step);
	return out;
}

export function rows(res: SimulationResult, every = 1): DynamicsRow[] {
	const out: DynamicsRow[] = [];
	for (const t of sampledSteps(res.step, every)) {
		out.push({
			step: t,
			meanRw: res.meanRw[t],
			meanRl: res.meanRl[t],
			meanMargin: res.meanMargin[t],
			sdMargin: res.sdMargin[t],
			meanSum: res.meanSum[t],
			loss: res.loss[t],
			accuracy: res.accuracy[t],
		});
	}
	return out;
}

/** The tracked pairs as long-format rows {pair, step, rw, rl, margin} up to `step`. */
export function trackedRows(
	res: SimulationResult,
	every = 1,
): { pair: number; flipped: boolean; step: number; rw: number; rl: number; margin: number }[] {
	const out: { pair: number; flipped: boolean; step: number; rw: number; rl: number; margin: number }[] = [];
	const ts = sampledSteps(res.step, every);
	for (const tp of res.tracked) {
		for (const t of ts) {
			out.push({
				pair: tp.pair,
				flipped: tp.flipped,
				step: t,
				rw: tp.rw[t],
				rl: tp.rl[t],
				margin: tp.rw[t] - tp.rl[t],
			});
		}
	}
	return out;
}

/** A running simulation; `advance` takes optimizer steps and records statistics after each. */
class Simulation {
	readonly res: SimulationResult;
	private readonly lossFn: PreferenceLoss<LossParams>;
	private readonly p: LossParams;
	private readonly n: number;
	private readonly params: Float64Array;
	private readonly grad: Float64Array;
	private readonly opt: Optimizer;
	private readonly order: Int32Array;
	private readonly batchRand: () => number;
	private readonly noiseRand: () => number;
	private readonly flipped: Uint8Array;
	/** Linear model: features row-major [pair][1 + dim], bias feature first. */
	private readonly xw: Float64Array | null = null;
	private readonly xl: Float64Array | null = null;
	private readonly width: number = 0;

	constructor(readonly spec: ResolvedSpec) {
		const s = spec;
		this.lossFn = getLoss(s.loss);
		this.p = s.params;
		const n = s.pairs;
		this.n = n;
		const initRand = mulberry32(deriveSeed(s.seed, 'init'));
		const dataRand = mulberry32(deriveSeed(s.seed, 'data'));
		this.batchRand = mulberry32(deriveSeed(s.seed, 'batch'));
		this.noiseRand = mulberry32(deriveSeed(s.seed, 'noise'));
		const fixedRand = mulberry32(deriveSeed(s.seed, 'fixed-flips'));
		this.flipped = new Uint8Array(n);
		let flippedCount = 0;
		if (s.noise === 'fixed' && s.eta > 0) {
			for (let i = 0; i < n; i++) {
				if (fixedRand() < s.eta) {
					this.flipped[i] = 1;
					flippedCount++;
				}
			}
		}
		this.order = new Int32Array(n);
		for (let i = 0; i < n; i++) this.order[i] = i;

		let weights: Float64Array | null = null;
		let trueDirection: Float64Array | null = null;
		const { offset, spread } = s.init;
		if (s.model === 'free') {
			this.params = new Float64Array(2 * n);
			for (let i = 0; i < n; i++) {
				this.params[i] = offset + spread * normal(initRand);
				this.params[n + i] = offset + spread * normal(initRand);
			}
		} else {
			const { dim, separation } = s.features;
			const width = dim + 1;
			this.width = width;
			trueDirection = new Float64Array(dim);
			let norm = 0;
			for (let j = 0; j < dim; j++) {
				trueDirection[j] = normal(dataRand);
				norm += trueDirection[j] ** 2;
			}
			norm = Math.sqrt(norm);
			for (let j = 0; j < dim; j++) trueDirection[j] /= norm;
			const xw = new Float64Array(n * width);
			const xl = new Float64Array(n * width);
			const a = new Float64Array(dim);
			const b = new Float64Array(dim);
			for (let i = 0; i < n; i++) {
				let proj = 0;
				for (let j = 0; j < dim; j++) {
					a[j] = normal(dataRand) + (separation / 2) * trueDirection[j];
					b[j] = normal(dataRand) - (separation / 2) * trueDirection[j];
					proj += trueDirection[j] * (a[j] - b[j]);
				}
				// The hidden preference is the truth: the answer scoring higher along w* is the preferred one.
				const [cw, cl] = proj >= 0 ? [a, b] : [b, a];
				xw[i * width] = 1;
				xl[i * width] = 1;
				for (let j = 0; j < dim; j++) {
					xw[i * width + 1 + j] = cw[j];
					xl[i * width + 1 + j] = cl[j];
				}
			}
			this.xw = xw;
			this.xl = xl;
			// Features have unit variance, so spread/√dim per weight gives rewards ≈ offset ± spread at the start.
			this.params = new Float64Array(width);
			this.params[0] = offset;
			for (let j = 1; j < width; j++) this.params[j] = (spread / Math.sqrt(dim)) * normal(initRand);
			weights = this.params;
		}
		this.grad = new Float64Array(this.params.length);
		this.opt = createOptimizer(s.optimizer, this.params.length, {
			lr: s.lr,
			beta1: s.beta1,
			beta2: s.beta2,
			eps: s.optEps,
		});
		const len = s.steps + 1;
		const tracked: TrackedPair[] = [];
		for (let k = 0; k < s.track; k++) {
			tracked.push({ pair: k, flipped: this.flipped[k] === 1, rw: new Float64Array(len), rl: new Float64Array(len) });
		}
		this.res = {
			spec: s,
			step: 0,
			done: false,
			meanRw: new Float64Array(len),
			meanRl: new Float64Array(len),
			meanMargin: new Float64Array(len),
			sdMargin: new Float64Array(len),
			meanSum: new Float64Array(len),
			loss: new Float64Array(len),
			accuracy: new Float64Array(len),
			tracked,
			rw: new Float64Array(n),
			rl: new Float64Array(n),
			flippedCount,
			targets: theoreticalTargets(s.loss, s.params, s.eta),
			weights,
			trueDirection,
			features: this.xw && this.xl ? { width: this.width, xw: this.xw, xl: this.xl } : null,
		};
		this.record(0);
	}

	/** Rewards of every pair at the current parameters, into res.rw / res.rl. */
	private rewards(): void {
		const { n, res } = this;
		if (!this.xw || !this.xl) {
			res.rw.set(this.params.subarray(0, n));
			res.rl.set(this.params.subarray(n, 2 * n));
			return;
		}
		const { width, params, xw, xl } = this;
		for (let i = 0; i < n; i++) {
			let sw = 0;
			let sl = 0;
			const o = i * width;
			for (let j = 0; j < width; j++) {
				sw += params[j] * xw[o + j];
				sl += params[j] * xl[o + j];
			}
			res.rw[i] = sw;
			res.rl[i] = sl;
		}
	}

	/** The training objective of pair i: expected loss under resampled flips, or the loss on its fixed label. */
	private pairLoss(i: number, rw: number, rl: number): number {
		const { lossFn, p } = this;
		const { eta, noise } = this.spec;
		if (noise === 'fixed') return this.flipped[i] ? lossFn.value(rl, rw, p) : lossFn.value(rw, rl, p);
		if (eta === 0) return lossFn.value(rw, rl, p);
		return (1 - eta) * lossFn.value(rw, rl, p) + eta * lossFn.value(rl, rw, p);
	}

	/** Gradient and Hessian of pair i's training objective (as pairLoss) with respect to (r_w, r_l). */
	private pairCurvature(i: number, rw: number, rl: number): { g: [number, number]; h: [number, number, number] } {
		const { lossFn, p } = this;
		const { eta, noise } = this.spec;
		const direct = (a: number, b: number) => {
			const [ga, gb] = lossFn.grad(a, b, p);
			const [[haa, hab], [, hbb]] = lossFn.hessian(a, b, p);
			return { ga, gb, haa, hab, hbb };
		};
		const f = noise === 'fixed' ? (this.flipped[i] ? 1 : 0) : eta;
		const g: [number, number] = [0, 0];
		const h: [number, number, number] = [0, 0, 0];
		if (f < 1) {
			const d = direct(rw, rl);
			g[0] += (1 - f) * d.ga;
			g[1] += (1 - f) * d.gb;
			h[0] += (1 - f) * d.haa;
			h[1] += (1 - f) * d.hab;
			h[2] += (1 - f) * d.hbb;
		}
		if (f > 0) {
			// L(r_l, r_w): swap the slots back.
			const d = direct(rl, rw);
			g[0] += f * d.gb;
			g[1] += f * d.ga;
			h[0] += f * d.hbb;
			h[1] += f * d.hab;
			h[2] += f * d.haa;
		}
		return { g, h };
	}

	/**
	 * Minimiser of the full-data training objective of the linear model, by damped Newton from the initial weights.
	 * A margin loss never sees the bias (x_w − x_l has a 0 there), so the bias keeps its initial value, as in training.
	 */
	linearOptimum(maxIter = 200): LinearOptimum {
		const { n, width } = this;
		const xw = this.xw!;
		const xl = this.xl!;
		const w = Float64Array.from(this.params);
		const objective = (v: Float64Array) => {
			let sum = 0;
			for (let i = 0; i < n; i++) {
				const o = i * width;
				let rw = 0;
				let rl = 0;
				for (let j = 0; j < width; j++) {
					rw += v[j] * xw[o + j];
					rl += v[j] * xl[o + j];
				}
				sum += this.pairLoss(i, rw, rl);
			}
			return sum / n;
		};
		const G = new Float64Array(width);
		const H = new Float64Array(width * width);
		let value = objective(w);
		let converged = false;
		let iterations = 0;
		for (; iterations < maxIter; iterations++) {
			G.fill(0);
			H.fill(0);
			for (let i = 0; i < n; i++) {
				const o = i * width;
				let rw = 0;
				let rl = 0;
				for (let j = 0; j < width; j++) {
					rw += w[j] * xw[o + j];
					rl += w[j] * xl[o + j];
				}
				const { g, h } = this.pairCurvature(i, rw, rl);
				// In the basis s = x_w + x_l, d = x_w − x_l a margin loss has exactly zero weight on s (its gradient
				// and Hessian are ∓ symmetric), so the bias row (s = 2, d = 0) of G and H is exactly 0, not rounding noise.
				const gs = (g[0] + g[1]) / 2;
				const gd = (g[0] - g[1]) / 2;
				const hss = (h[0] + h[2] + 2 * h[1]) / 4;
				const hdd = (h[0] + h[2] - 2 * h[1]) / 4;
				const hsd = (h[0] - h[2]) / 4;
				for (let j = 0; j < width; j++) {
					const sj = xw[o + j] + xl[o + j];
					const dj = xw[o + j] - xl[o + j];
					G[j] += (gs * sj + gd * dj) / n;
					for (let k = 0; k < width; k++) {
						const sk = xw[o + k] + xl[o + k];
						const dk = xw[o + k] - xl[o + k];
						H[j * width + k] += (hss * sj * sk + hdd * dj * dk + hsd * (sj * dk + dj * sk)) / n;
					}
				}
			}
			let gmax = 0;
			for (let j = 0; j < width; j++) gmax = Math.max(gmax, Math.abs(G[j]));
			if (gmax < 1e-10) {
				converged = true;
				break;
			}
			// A tiny ridge makes the system solvable along directions the loss ignores (the bias, for margin losses);
			// their gradient is 0, so the step there is 0 and they keep their initial values.
			for (let j = 0; j < width; j++) H[j * width + j] += 1e-12;
			const dir = solve(H, G, width);
			let t = 1;
			const trial = new Float64Array(width);
			let next = value;
			for (let k = 0; k < 60; k++, t /= 2) {
				for (let j = 0; j < width; j++) trial[j] = w[j] - t * dir[j];
				next = objective(trial);
				if (next <= value) break;
			}
			if (!(next <= value)) {
				// No decrease left to find: a minimum up to rounding if the gradient is already tiny.
				converged = gmax < 1e-7;
				break;
			}
			w.set(trial);
			value = next;
		}
		let sw = 0;
		let sl = 0;
		let sm2 = 0;
		let correct = 0;
		for (let i = 0; i < n; i++) {
			const o = i * width;
			let rw = 0;
			let rl = 0;
			for (let j = 0; j < width; j++) {
				rw += w[j] * xw[o + j];
				rl += w[j] * xl[o + j];
			}
			sw += rw;
			sl += rl;
			sm2 += (rw - rl) ** 2;
			if (rw > rl) correct++;
		}
		const meanMargin = (sw - sl) / n;
		return {
			weights: w,
			meanRw: sw / n,
			meanRl: sl / n,
			meanMargin,
			sdMargin: Math.sqrt(Math.max(0, sm2 / n - meanMargin ** 2)),
			meanSum: (sw + sl) / n,
			accuracy: correct / n,
			loss: value,
			converged,
			iterations,
		};
	}

	private record(t: number): void {
		this.rewards();
		const { n, res } = this;
		const withLoss = this.spec.recordLoss;
		let sw = 0;
		let sl = 0;
		let sm = 0;
		let sm2 = 0;
		let ss = 0;
		let sloss = 0;
		let correct = 0;
		for (let i = 0; i < n; i++) {
			const rw = res.rw[i];
			const rl = res.rl[i];
			const m = rw - rl;
			sw += rw;
			sl += rl;
			sm += m;
			sm2 += m * m;
			ss += rw + rl;
			if (m > 0) correct++;
			if (withLoss) sloss += this.pairLoss(i, rw, rl);
		}
		const mean = sm / n;
		res.meanRw[t] = sw / n;
		res.meanRl[t] = sl / n;
		res.meanMargin[t] = mean;
		res.sdMargin[t] = Math.sqrt(Math.max(0, sm2 / n - mean * mean));
		res.meanSum[t] = ss / n;
		res.loss[t] = withLoss ? sloss / n : Number.NaN;
		res.accuracy[t] = correct / n;
		for (const tp of res.tracked) {
			tp.rw[t] = res.rw[tp.pair];
			tp.rl[t] = res.rl[tp.pair];
		}
	}

	/** Draws the next batch: a partial Fisher–Yates shuffle, so the first B entries of `order` are the batch. */
	private sampleBatch(): number {
		const { n, order } = this;
		const B = this.spec.batchSize;
		if (B === n) return B;
		for (let k = 0; k < B; k++) {
			const j = k + Math.floor(this.batchRand() * (n - k));
			const tmp = order[k];
			order[k] = order[j];
			order[j] = tmp;
		}
		return B;
	}

	/** Gradient of pair i's loss at (r_w, r_l), with the label flipped when the noise says so. */
	private pairGrad(i: number, rw: number, rl: number): [number, number] {
		const { eta, noise } = this.spec;
		const flip = noise === 'fixed' ? this.flipped[i] === 1 : eta > 0 && this.noiseRand() < eta;
		if (!flip) return this.lossFn.grad(rw, rl, this.p);
		// L(r_l, r_w): r_w sits in the second slot.
		const [a, b] = this.lossFn.grad(rl, rw, this.p);
		return [b, a];
	}

	private step(): void {
		const { n, grad, params, order } = this;
		const B = this.sampleBatch();
		grad.fill(0);
		if (!this.xw || !this.xl) {
			// Each pair owns its rewards, so it steps on its own loss (the gradient of the batch sum): the learning rate
			// then means the same for every pairs/batchSize. Pairs outside the batch get a zero gradient, which
			// Adam/LaProp still apply their momentum to, as PyTorch does for a dense parameter.
			for (let k = 0; k < B; k++) {
				const i = order[k];
				const [gw, gl] = this.pairGrad(i, params[i], params[n + i]);
				grad[i] = gw;
				grad[n + i] = gl;
			}
		} else {
			// A shared model minimises the batch mean, as a training loop does.
			const { width, xw, xl } = this;
			const scale = 1 / B;
			for (let k = 0; k < B; k++) {
				const i = order[k];
				const o = i * width;
				let rw = 0;
				let rl = 0;
				for (let j = 0; j < width; j++) {
					rw += params[j] * xw[o + j];
					rl += params[j] * xl[o + j];
				}
				const [gw, gl] = this.pairGrad(i, rw, rl);
				// Bias feature: gw + gl first, so a margin loss (gl = −gw) adds exactly 0 and never moves the bias.
				grad[0] += (gw + gl) * scale;
				for (let j = 1; j < width; j++) grad[j] += (gw * xw[o + j] + gl * xl[o + j]) * scale;
			}
		}
		this.opt.step(params, grad);
	}

	advance(k: number): SimulationResult {
		const { res } = this;
		const end = Math.min(this.spec.steps, res.step + k);
		while (res.step < end) {
			this.step();
			res.step++;
			this.record(res.step);
		}
		res.done = res.step === this.spec.steps;
		return res;
	}
}

/** Minimiser of a linear model's training objective on the simulation's data (same seed → same data). */
export interface LinearOptimum {
	/** [bias, w_1 … w_dim]. */
	weights: Float64Array;
	meanRw: number;
	meanRl: number;
	meanMargin: number;
	sdMargin: number;
	meanSum: number;
	accuracy: number;
	/** The objective's value there (mean expected loss). */
	loss: number;
	/** False when Newton did not reach a zero gradient, e.g. ε = 0, where the weights grow without bound. */
	converged: boolean;
	iterations: number;
}

/**
 * Where the linear model can go: the minimiser of the mean training loss over the spec's pairs, found by Newton's
 * method (exact, no optimizer noise). A shared w cannot put every pair on the per-pair target, so this is what
 * `simulate` with the same spec converges to, and its mean margin generally differs from theoreticalTargets.
 */
export function linearOptimum(spec: DynamicsSpec): LinearOptimum {
	const s = validateSpec(spec);
	if (s.model !== 'linear') fail('model', s.model, 'linearOptimum needs model "linear"');
	return new Simulation(s).linearOptimum();
}

/** Solves A x = b (A is size×size, row-major) by Gaussian elimination with partial pivoting; A and b are kept. */
function solve(A: Float64Array, b: Float64Array, size: number): Float64Array {
	const M = Float64Array.from(A);
	const x = Float64Array.from(b);
	for (let c = 0; c < size; c++) {
		let piv = c;
		for (let r = c + 1; r < size; r++) if (Math.abs(M[r * size + c]) > Math.abs(M[piv * size + c])) piv = r;
		if (piv !== c) {
			for (let k = 0; k < size; k++) {
				const tmp = M[c * size + k];
				M[c * size + k] = M[piv * size + k];
				M[piv * size + k] = tmp;
			}
			const tmp = x[c];
			x[c] = x[piv];
			x[piv] = tmp;
		}
		const d = M[c * size + c];
		for (let r = c + 1; r < size; r++) {
			const f = M[r * size + c] / d;
			if (f === 0) continue;
			for (let k = c; k < size; k++) M[r * size + k] -= f * M[c * size + k];
			x[r] -= f * x[c];
		}
	}
	for (let r = size - 1; r >= 0; r--) {
		let acc = x[r];
		for (let k = r + 1; k < size; k++) acc -= M[r * size + k] * x[k];
		x[r] = acc / M[r * size + r];
	}
	return x;
}

/** Runs the whole simulation. Deterministic: the same spec (and seed) gives the same numbers. */
export function simulate(spec: DynamicsSpec = {}): SimulationResult {
	const sim = new Simulation(validateSpec(spec));
	return sim.advance(sim.spec.steps);
}

/**
 * The simulation in chunks of `chunk` steps: yields the initial state, then a snapshot after every chunk, the last
 * one with `done: true`. Snapshots are fresh objects (so a reactive cell redraws) sharing the growing arrays; read
 * each only up to its `step`. In a notebook, a cell `const live = simulateSteps(spec, 8);` animates one chunk per
 * animation frame.
 */
export function* simulateSteps(spec: DynamicsSpec = {}, chunk = 10): Generator<SimulationResult, void, unknown> {
	const resolved = validateSpec(spec);
	const k = wholeIn('chunk', chunk, 1, MAX_STEPS);
	const sim = new Simulation(resolved);
	yield { ...sim.res };
	while (!sim.res.done) {
		sim.advance(k);
		yield { ...sim.res };
	}
}

// ───────────────────────────── convergence speed ─────────────────────────────

export type ConvergenceQuantity = 'margin' | 'rw' | 'rl';

export interface ConvergenceOptions {
	/** What must settle: the mean margin (default), mean r_w or mean r_l. */
	quantity?: ConvergenceQuantity;
	/** Absolute tolerance (default 0.05). The band is max(tol, relTol·|target|). */
	tol?: number;
	/** Relative tolerance (default 0). */
	relTol?: number;
	/** Target to converge to; default the theoretical one for the quantity (see theoreticalTargets). */
	target?: number;
	/**
	 * Settled means inside the band for `hold` consecutive steps (whole, ≥ 1); stepsToConverge then stops the run
	 * there, which makes sweeps cheap. Default: inside from that step until the end of the run.
	 */
	hold?: number;
}

/**
 * First step from which `series` stays within `band` of `target`: for `hold` consecutive steps when given, else up
 * to index `upTo` (inclusive; default the end). Null if that never happens. "Stays" matters: momentum methods
 * cross the target long before they settle.
 */
export function convergenceStep(
	series: ArrayLike<number>,
	target: number,
	band: number,
	upTo = series.length - 1,
	hold?: number,
): number | null {
	if (!Number.isFinite(target)) return null;
	if (hold !== undefined) {
		let since: number | null = null;
		for (let t = 0; t <= upTo; t++) {
			if (Math.abs(series[t] - target) <= band) since ??= t;
			else since = null;
			if (since !== null && t - since + 1 >= hold) return since;
		}
		return null;
	}
	let first: number | null = null;
	for (let t = upTo; t >= 0; t--) {
		if (Math.abs(series[t] - target) <= band) first = t;
		else break;
	}
	return first;
}

export interface Convergence {
	/** Steps until the quantity settled within the band, or null if it had not within spec.steps. */
	steps: number | null;
	target: number;
	band: number;
	/** The quantity's mean after the last step simulated. */
	final: number;
}

function targetFor(targets: Targets, quantity: ConvergenceQuantity): number {
	const t = quantity === 'margin' ? targets.margin : quantity === 'rw' ? targets.rw : targets.rl;
	return t ?? Number.NaN;
}

function seriesFor(res: SimulationResult, quantity: ConvergenceQuantity): Float64Array {
	return quantity === 'margin' ? res.meanMargin : quantity === 'rw' ? res.meanRw : res.meanRl;
}

function resolveConvergence(targets: Targets, opts: ConvergenceOptions) {
	const quantity = oneOf('quantity', opts.quantity ?? 'margin', ['margin', 'rw', 'rl'] as const);
	const tol = finite('tol', opts.tol ?? 0.05, 'valid tol ≥ 0 (finite)', (x) => x >= 0);
	const relTol = finite('relTol', opts.relTol ?? 0, 'valid relTol ≥ 0 (finite)', (x) => x >= 0);
	const hold = opts.hold === undefined ? undefined : wholeIn('hold', opts.hold, 1, MAX_STEPS);
	const target = opts.target ?? targetFor(targets, quantity);
	const band = Number.isFinite(target) ? Math.max(tol, relTol * Math.abs(target)) : Number.NaN;
	return { quantity, hold, target, band };
}

/** How fast a simulation settled (see convergenceStep); spec.steps is the budget. */
export function convergence(res: SimulationResult, opts: ConvergenceOptions = {}): Convergence {
	const { quantity, hold, target, band } = resolveConvergence(res.targets, opts);
	const series = seriesFor(res, quantity);
	return { steps: convergenceStep(series, target, band, res.step, hold), target, band, final: series[res.step] };
}

/**
 * Simulates `spec` (spec.steps is the budget) and reports how many steps its mean margin (or r_w / r_l) needed to
 * settle. With `hold` the run stops as soon as it has settled.
 */
export function stepsToConverge(spec: DynamicsSpec, opts: ConvergenceOptions = {}): Convergence {
	const sim = new Simulation(validateSpec({ track: 0, recordLoss: false, ...spec }));
	const { quantity, hold, target, band } = resolveConvergence(sim.res.targets, opts);
	const series = seriesFor(sim.res, quantity);
	if (hold === undefined) {
		sim.advance(sim.spec.steps);
		return { steps: convergenceStep(series, target, band, sim.res.step), target, band, final: series[sim.res.step] };
	}
	let since: number | null = null;
	for (let t = 0; ; t++) {
		if (Math.abs(series[t] - target) <= band) since ??= t;
		else since = null;
		if (since !== null && t - since + 1 >= hold) return { steps: since, target, band, final: series[t] };
		if (t === sim.spec.steps || !Number.isFinite(band)) return { steps: null, target, band, final: series[t] };
		sim.advance(1);
	}
}

export interface ConvergenceCell extends Convergence {
	eps: number;
	lr: number;
}

/**
 * Steps-to-converge over a grid of ε × learning rate, one learning rate per yield (so a notebook can draw the
 * heatmap as it fills in without blocking a frame). Yields all cells computed so far. `base.params` supplies the
 * other loss parameters; ε goes in as `eps`.
 */
export function* convergenceGrid(
	base: DynamicsSpec,
	grid: { eps: readonly number[]; lr: readonly number[] },
	opts: ConvergenceOptions = {},
): Generator<ConvergenceCell[], void, unknown> {
	validateSpec(base);
	const cells: ConvergenceCell[] = [];
	for (const lr of grid.lr) {
		for (const eps of grid.eps) {
			const c = stepsToConverge({ ...base, lr, params: { ...base.params, eps } }, opts);
			cells.push({ eps, lr, ...c });
		}
		yield cells.slice();
	}
}

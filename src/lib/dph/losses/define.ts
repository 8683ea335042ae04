/**
 * Builders that turn the 1-D description of a loss (a function of the margin, or one function per reward)
 * into the full PreferenceLoss API, so value, grad, Hessian, batch and landscape all derive from one formula
 * and cannot drift apart.
 */
import {
	type BatchOut,
	type FloatArray,
	type Fn1D,
	type Grad,
	type Hessian,
	LossParamError,
	type LossParams,
	type Optimum,
	type ParamSpec,
	type PreferenceLoss,
	type Tensor,
	type TFModule,
	type ValidateOptions,
} from './types';

function fmt(x: number): string {
	return Number.isFinite(x) ? String(x) : x > 0 ? '∞' : '−∞';
}

/** Human-readable valid range, e.g. `0 ≤ eps ≤ 0.5`, `0 ≤ eps < 0.5`, `beta > 0`. */
export function formatRange(s: ParamSpec): string {
	const lo = Number.isFinite(s.min);
	const hi = Number.isFinite(s.max);
	if (lo && hi)
		return `${fmt(s.min)} ${s.minInclusive ? '≤' : '<'} ${s.name} ${s.maxInclusive ? '≤' : '<'} ${fmt(s.max)}`;
	if (lo) return `${s.name} ${s.minInclusive ? '≥' : '>'} ${fmt(s.min)}`;
	if (hi) return `${s.name} ${s.maxInclusive ? '≤' : '<'} ${fmt(s.max)}`;
	return `${s.name} any finite number`;
}

export function inRange(s: ParamSpec, v: number): boolean {
	if (!Number.isFinite(v)) return false;
	const okLo = s.minInclusive ? v >= s.min : v > s.min;
	const okHi = s.maxInclusive ? v <= s.max : v < s.max;
	return okLo && okHi;
}

export function validateParams<P extends LossParams>(
	lossName: string,
	specs: ParamSpec[],
	p: Partial<P> | LossParams | undefined,
	opts: ValidateOptions = {},
): P {
	const src = (p ?? {}) as Record<string, unknown>;
	if (opts.strict) {
		for (const key of Object.keys(src)) {
			if (src[key] === undefined || specs.some((s) => s.name === key)) continue;
			const valid = specs.length ? `valid: ${specs.map((s) => s.name).join(', ')}` : `${lossName} takes no parameters`;
			throw new LossParamError(`${lossName}: unknown parameter "${key}" (${valid})`, key, src[key]);
		}
	}
	const out: Record<string, number> = {};
	for (const s of specs) {
		const v = src[s.name] ?? s.default;
		if (typeof v !== 'number' || Number.isNaN(v)) {
			throw new LossParamError(
				`${lossName}: ${s.name} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)} is not a number: valid ${formatRange(s)}`,
				s.name,
				v,
			);
		}
		if (!inRange(s, v)) {
			throw new LossParamError(
				`${lossName}: ${s.name} = ${fmt(v)} is out of range: valid ${formatRange(s)}`,
				s.name,
				v,
			);
		}
		out[s.name] = v;
	}
	return out as P;
}

/** What a loss's description gives whatever its structure; the builders derive everything else. */
type Common<P extends LossParams> = Pick<
	PreferenceLoss<P>,
	'name' | 'title' | 'tex' | 'gradTex' | 'description' | 'params' | 'convex' | 'optimum'
>;

export interface MarginLossSpec<P extends LossParams> extends Common<P> {
	/** L = f(Δ) with Δ = r_w − r_l. */
	f: Fn1D<P>;
	/** f applied elementwise to a tensor of margins, built from stable ops (tfops.logSigmoid, softplus, relu). */
	tensorF(tf: TFModule, delta: Tensor, p: P): Tensor;
}

/** What every loss carries whatever its structure: metadata, parameter validation, convexity and optimum. */
function described<P extends LossParams>(spec: Common<P>) {
	return {
		name: spec.name,
		title: spec.title,
		tex: spec.tex,
		gradTex: spec.gradTex,
		description: spec.description,
		params: spec.params,
		validate: (p: Partial<P> | undefined, opts?: { strict?: boolean }) =>
			validateParams<P>(spec.name, spec.params, p, opts),
		convex: spec.convex,
		optimum: spec.optimum,
	};
}

export function defineMarginLoss<P extends LossParams>(spec: MarginLossSpec<P>): PreferenceLoss<P> {
	const { f } = spec;
	return {
		...described(spec),
		structure: { kind: 'margin', f },
		value: (rw, rl, p) => f.value(rw - rl, p),
		grad(rw, rl, p): Grad {
			const d = f.d1(rw - rl, p);
			return [d, -d];
		},
		hessian(rw, rl, p): Hessian {
			const h = f.d2(rw - rl, p);
			return [
				[h, -h],
				[-h, h],
			];
		},
		batch(rw: FloatArray, rl: FloatArray, p: P, out: BatchOut) {
			checkBatch(rw, rl, out);
			const { loss, drw, drl } = out;
			for (let i = 0; i < rw.length; i++) {
				const x = rw[i] - rl[i];
				loss[i] = f.value(x, p);
				if (drw || drl) {
					const d = f.d1(x, p);
					if (drw) drw[i] = d;
					if (drl) drl[i] = -d;
				}
			}
		},
		tensor: (tf, rw, rl, p) => tf.tidy(() => spec.tensorF(tf, tf.sub(rw, rl), p)),
	};
}

export interface SeparableLossSpec<P extends LossParams> extends Common<P> {
	/** L = w(r_w) + l(r_l). */
	w: Fn1D<P>;
	l: Fn1D<P>;
	tensorW(tf: TFModule, rw: Tensor, p: P): Tensor;
	tensorL(tf: TFModule, rl: Tensor, p: P): Tensor;
}

export function defineSeparableLoss<P extends LossParams>(spec: SeparableLossSpec<P>): PreferenceLoss<P> {
	const { w, l } = spec;
	return {
		...described(spec),
		structure: { kind: 'separable', w, l },
		value: (rw, rl, p) => w.value(rw, p) + l.value(rl, p),
		grad: (rw, rl, p): Grad => [w.d1(rw, p), l.d1(rl, p)],
		hessian: (rw, rl, p): Hessian => [
			[w.d2(rw, p), 0],
			[0, l.d2(rl, p)],
		],
		batch(rw: FloatArray, rl: FloatArray, p: P, out: BatchOut) {
			checkBatch(rw, rl, out);
			const { loss, drw, drl } = out;
			for (let i = 0; i < rw.length; i++) {
				loss[i] = w.value(rw[i], p) + l.value(rl[i], p);
				if (drw) drw[i] = w.d1(rw[i], p);
				if (drl) drl[i] = l.d1(rl[i], p);
			}
		},
		tensor: (tf, rw, rl, p) => tf.tidy(() => tf.add(spec.tensorW(tf, rw, p), spec.tensorL(tf, rl, p))),
	};
}

function checkBatch(rw: FloatArray, rl: FloatArray, out: BatchOut): void {
	const n = rw.length;
	if (rl.length !== n) throw new RangeError(`batch: r_w has ${n} entries but r_l has ${rl.length}`);
	for (const key of ['loss', 'drw', 'drl'] as const) {
		const a = out[key];
		if (a && a.length < n) throw new RangeError(`batch: out.${key} has ${a.length} entries, needs ${n}`);
	}
}

/** Parameter spec for the label-smoothing / flip rate ε, closed at ½ unless `openAtHalf`. */
export function epsSpec(description: string, opts: { openAtHalf?: boolean; default?: number } = {}): ParamSpec {
	return {
		name: 'eps',
		symbol: '\\varepsilon',
		min: 0,
		max: 0.5,
		minInclusive: true,
		maxInclusive: !opts.openAtHalf,
		default: opts.default ?? 0.1,
		description,
		ui: { min: 0, max: opts.openAtHalf ? 0.45 : 0.5, step: 0.005 },
	};
}

/**
 * The optimum of a loss with no finite minimiser that keeps falling as the preferred reward rises and the other
 * falls: along the margin (`r_w − r_l → +∞`, margin losses) or along both rewards (separable losses).
 */
export function divergesApart(reason: string, opts: { along?: 'margin' | 'rewards'; infimum?: number } = {}): Optimum {
	return {
		kind: 'diverges',
		direction: opts.along === 'rewards' ? 'r_w → +∞, r_l → −∞' : 'r_w − r_l → +∞',
		towards: [Math.SQRT1_2, -Math.SQRT1_2],
		reason,
		infimum: opts.infimum ?? 0,
	};
}

/** The optimum shared by every ε-smoothed logistic loss on the margin (ConDPH, cDPO): Theorem 2. */
export function smoothedMarginOptimum(
	eps: number,
	logit: (q: number) => number,
	entropy: (q: number) => number,
): Optimum {
	if (eps === 0) {
		return divergesApart(
			'with ε = 0 the loss −log σ(Δ) decreases for every margin and only reaches its infimum 0 as Δ → ∞',
		);
	}
	return {
		kind: 'margin',
		margin: logit(1 - eps),
		value: entropy(eps),
		closedForm: true,
		note: 'Theorem 2: r_w − r_l = log((1−ε)/ε); the minimum value is the binary entropy H(ε)',
	};
}

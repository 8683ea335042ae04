/** The simulation spec: its fields, their defaults and their checks (validateSpec). */
import { getLoss, type LossParams } from '../losses/index';
import { bool, int, num, oneOf } from './check';
import { OPTIMIZERS, type OptimizerName } from './optimizers';

export type RewardModel = 'free' | 'linear';
export type NoiseMode = 'resample' | 'fixed';

export const REWARD_MODELS: readonly RewardModel[] = ['free', 'linear'];
export const NOISE_MODES: readonly NoiseMode[] = ['resample', 'fixed'];

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

export const MAX_STEPS = 1_000_000;
const MAX_PAIRS = 1_000_000;
const MAX_TRACK = 64;
const MAX_DIM = 1024;

/** Fills defaults and checks every field; throws DynamicsSpecError (or the loss's LossParamError) naming the field. */
export function validateSpec(spec: DynamicsSpec = {}): ResolvedSpec {
	const model = oneOf('model', spec.model ?? 'free', REWARD_MODELS);
	const loss = getLoss(spec.loss ?? 'condph');
	const params = loss.validate(spec.params ?? {});
	const eta = num('eta', spec.eta ?? 0, (x) => x >= 0 && x < 0.5, '0 ≤ eta < 0.5');
	const noise = oneOf('noise', spec.noise ?? 'resample', NOISE_MODES);
	const optimizer = oneOf('optimizer', spec.optimizer ?? 'laprop', OPTIMIZERS);
	const lr = num('lr', spec.lr ?? 0.05, (x) => x > 0, 'lr > 0 (finite)');
	const beta1 = num('beta1', spec.beta1 ?? 0.9, (x) => x >= 0 && x < 1, '0 ≤ beta1 < 1');
	const beta2 = num('beta2', spec.beta2 ?? 0.95, (x) => x >= 0 && x < 1, '0 ≤ beta2 < 1');
	const optEps = num('optEps', spec.optEps ?? 1e-8, (x) => x > 0, 'optEps > 0 (finite)');
	const pairs = int('pairs', spec.pairs ?? 256, 1, MAX_PAIRS);
	const batchSize = int('batchSize', spec.batchSize ?? Math.min(pairs, 64), 1, pairs);
	const steps = int('steps', spec.steps ?? 400, 1, MAX_STEPS);
	const seed = num('seed', spec.seed ?? 0, Number.isInteger, 'seed is a whole number');
	const offset = num('init.offset', spec.init?.offset ?? 0, () => true, 'init.offset is a finite number');
	const spread = num('init.spread', spec.init?.spread ?? 0.5, (x) => x >= 0, 'init.spread ≥ 0 (finite)');
	const dim = int('features.dim', spec.features?.dim ?? 8, 1, MAX_DIM);
	const separation = num(
		'features.separation',
		spec.features?.separation ?? 1,
		(x) => x >= 0,
		'features.separation ≥ 0 (finite)',
	);
	const track = int('track', spec.track ?? Math.min(6, pairs), 0, Math.min(pairs, MAX_TRACK));
	const recordLoss = bool('recordLoss', spec.recordLoss ?? true);
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

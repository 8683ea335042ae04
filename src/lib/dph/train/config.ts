/**
 * Training configuration: one typed, validated object (from a JSON file, a preset, a page form or a notebook
 * cell). Validation errors name the field, the value and what is allowed.
 */

import { OVERLONG_POLICIES, type OverlongPolicy } from '../data/fit';
import { DPH_OBJECTIVES } from '../losses';
import { POOLERS, type PoolerName } from '../model/config';
import { at, ConfigError, checkers, isObject, type Obj, showValue } from '../validate';
import { type FreezeSplit, splitTrainable, TRAINABLE_MODES, type TrainableMode } from './freeze';
import { type HeadsConfig, validateHeads } from './heads';
import type { ObjectiveConfig } from './objective';
import { paperAlignment, paperFrozenHeads } from './presets';

export interface TrainConfig {
	/**
	 * initStd: std of the N(0, σ²) initialisation of weights. The reference uses 0.02 for pretrained-size models;
	 * tiny models trained from scratch learn the reward much faster from a larger σ.
	 */
	model: { preset: 'nano' | 'tiny'; pooler: PoolerName; dropout: number; initStd: number };
	data: {
		task: 'echo' | 'arithmetic' | 'multiple-choice' | 'copy' | 'parity' | 'jsonl';
		/** JSONL text (task "jsonl"): TRL prompt/chosen/rejected or messages/candidates/label lines. */
		jsonl?: string;
		trainPairs: number;
		validationPairs: number;
		/** Label-noise rate η: the fraction of training pairs whose chosen/rejected are swapped. */
		noise: number;
		difficulty: number;
		maxLen: number;
		/**
		 * Examples longer than maxLen: 'truncate' cuts context after BOS (the default, which the long synthetic tasks
		 * need at maxLen 64), 'drop' leaves them out as the reference's DPH loader does. Either way an example whose
		 * final answer alone does not fit is dropped, and the count is reported.
		 */
		overlong: OverlongPolicy;
	};
	objective: ObjectiveConfig;
	optim: {
		lr: number;
		warmupSteps: number;
		minLrRatio: number;
		beta1: number;
		beta2: number;
		eps: number;
		weightDecay: number;
		/** Decay toward the initial weights θ0 (prior regularization) instead of toward 0. */
		decayInit: boolean;
		dphWeightDecay: number;
		dphDecayInit: boolean;
		maxGradNorm: number;
	};
	/**
	 * The starting checkpoint (a folder path or URL, as the driver that loads it reads it; see start.ts), instead of a
	 * random `model.preset`: its config.json, weights and tokenizer are used and `model.*` is ignored.
	 */
	from?: string;
	/** The cDPO reference checkpoint when it is not the starting weights (the paper's reference is the SFT model). */
	refFrom?: string;
	/**
	 * 'all' trains everything; 'no-backbone' freezes the transformer blocks (the reference's
	 * `trainable_backbone: false`); 'heads' trains the pooler and reward heads only. See freeze.ts.
	 */
	trainable: TrainableMode;
	/** Substring patterns of parameter names to freeze as well (the reference's `frozen_params`). */
	frozen: string[];
	/** The reference's `trainable_embeddings`: false freezes the tied embedding matrix. */
	trainableEmbeddings: boolean;
	/** Which reward head trains, and whether the pooler/head are re-initialised or added (heads.ts). */
	heads?: HeadsConfig;
	/**
	 * Pooler dropout for this run, overriding `model.dropout` and a loaded checkpoint's `reward_dropout` (the paper
	 * trains with 0.1 whatever the SFT checkpoint says). Left out: the model's own value.
	 */
	poolerDropout?: number;
	/**
	 * A step whose loss or gradient norm is not finite: 'stop' rolls back to the last good weights and ends the run
	 * (TrainingDivergedError); 'skip' leaves the weights and optimizer state untouched and goes on, as the
	 * reference's GradScaler skips optimizer.step on inf/NaN gradients. Skipped steps are counted.
	 */
	onNonFinite: 'stop' | 'skip';
	/** model.safetensors' dtype on export (`dph train --dtype`); absent means f32. Not part of the training. */
	exportDtype?: 'f32' | 'f16' | 'bf16';
	steps: number;
	batchSize: number;
	/** Micro-batches per optimizer step (gradient accumulation). */
	accumulate: number;
	evalEvery: number;
	seed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
	model: { preset: 'nano', pooler: 'swiglu_bert', dropout: 0.1, initStd: 0.1 },
	data: {
		task: 'echo',
		trainPairs: 2048,
		validationPairs: 256,
		noise: 0,
		difficulty: 1,
		maxLen: 64,
		overlong: 'truncate',
	},
	objective: { dph: 'sepdph', dphEps: 0.1, dpoEps: 0.25, beta: 0.6, dpoWeight: 1, dphWeight: 1, sftWeight: 0 },
	optim: {
		lr: 5e-3,
		warmupSteps: 20,
		minLrRatio: 0.1,
		beta1: 0.9,
		beta2: 0.95,
		eps: 1e-8,
		weightDecay: 0.1,
		decayInit: true,
		dphWeightDecay: 0.1,
		dphDecayInit: false,
		maxGradNorm: 1,
	},
	trainable: 'all',
	frozen: [],
	trainableEmbeddings: true,
	onNonFinite: 'stop',
	steps: 150,
	batchSize: 16,
	accumulate: 1,
	evalEvery: 50,
	seed: 1,
};

export const TRAIN_PRESETS: Record<string, (base?: TrainConfig) => TrainConfig> = {
	'sepdph-demo': (b = DEFAULT_TRAIN_CONFIG) => ({ ...b, objective: { ...b.objective, dph: 'sepdph', dphEps: 0.1 } }),
	'condph-demo': (b = DEFAULT_TRAIN_CONFIG) => ({ ...b, objective: { ...b.objective, dph: 'condph', dphEps: 0.1 } }),
	// The paper's settings (presets.ts), for runs from a checkpoint.
	'paper-alignment': (b = DEFAULT_TRAIN_CONFIG) => paperAlignment(b),
	'paper-frozen-heads': (b = DEFAULT_TRAIN_CONFIG) => paperFrozenHeads(b),
};

/** An invalid training config; `field` is the path of the offending option (`optim.lr`, `(root)`). */
export class TrainConfigError extends ConfigError {
	override name = 'TrainConfigError';
}

const check = checkers(TrainConfigError);
const { array, bool, int, invalid, num, oneOf, reject } = check;

/**
 * The warm-up of a config that sets `steps` but not `optim.warmupSteps`: the base's, cut to a tenth of the run,
 * so a short run (`dph train --steps 10`, a sweep's `base.steps: 5`) keeps a proportionate warm-up instead of
 * failing on the preset's 20. Every place that takes steps from a user goes through this one rule.
 * Returns `raw` untouched when there is nothing to scale (or something invalid that validation will report).
 */
export function withScaledWarmup(raw: Obj, base: TrainConfig = DEFAULT_TRAIN_CONFIG): Obj {
	const { steps, optim } = raw;
	if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) return raw;
	if (optim !== undefined && (!isObject(optim) || optim.warmupSteps !== undefined)) return raw;
	const warmupSteps = Math.min(base.optim.warmupSteps, Math.floor(steps / 10));
	return { ...raw, optim: { ...(optim ?? {}), warmupSteps } };
}

/** Root fields the defaults leave out. */
const OPTIONAL_ROOT = new Set(['from', 'refFrom', 'heads', 'poolerDropout', 'exportDtype']);

/** Deep-merge `raw` over the defaults, rejecting unknown fields (a typo would otherwise be silently ignored). */
function merge(base: Obj, raw: Obj, path: string): Obj {
	const out: Obj = { ...base };
	for (const [k, v] of Object.entries(raw)) {
		const field = at(path, k);
		if (path === 'data' && k === 'jsonlPath') {
			reject(
				field,
				'data.jsonlPath names a file, which only the dph CLI reads (relative to the config file); here give the JSONL text itself as data.jsonl',
				v,
			);
		}
		if (!(k in base) && !(path === 'data' && k === 'jsonl') && !(path === '' && OPTIONAL_ROOT.has(k))) {
			const known = [...Object.keys(base), ...(path === '' ? OPTIONAL_ROOT : [])];
			reject(field, `${field} is not a training option (known: ${known.join(', ')})`, v);
		}
		out[k] = isObject(base[k]) && isObject(v) ? merge(base[k] as Obj, v, field) : v;
	}
	return out;
}

export function resolveTrainConfig(raw: unknown, base: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainConfig {
	if (!isObject(raw)) return reject('(root)', 'the training config must be a JSON object', raw);
	const c = merge(base as unknown as Obj, raw, '') as unknown as TrainConfig;
	oneOf('model.preset', c.model.preset, ['nano', 'tiny']);
	oneOf('model.pooler', c.model.pooler, POOLERS);
	num('model.dropout', c.model.dropout, (n) => n >= 0 && n < 1, '0 ≤ dropout < 1');
	num('model.initStd', c.model.initStd, (n) => n > 0 && n <= 1, '0 < initStd ≤ 1');
	oneOf('data.task', c.data.task, ['echo', 'arithmetic', 'multiple-choice', 'copy', 'parity', 'jsonl']);
	if (c.data.task === 'jsonl' && typeof c.data.jsonl !== 'string') {
		reject('data.jsonl', 'data.jsonl must hold the JSONL text when data.task is "jsonl"', c.data.jsonl);
	}
	// Text given for another task would be silently ignored: the run would train on synthetic data instead.
	if (c.data.task !== 'jsonl' && c.data.jsonl !== undefined) {
		reject(
			'data.jsonl',
			`data.jsonl is given but data.task is ${showValue(c.data.task)}, which does not read it; set data.task to "jsonl" to train on the JSONL, or leave data.jsonl out`,
		);
	}
	int('data.trainPairs', c.data.trainPairs, 1);
	int('data.validationPairs', c.data.validationPairs, 1);
	num('data.noise', c.data.noise, (n) => n >= 0 && n < 0.5, '0 ≤ noise < 0.5');
	int('data.difficulty', c.data.difficulty, 1, 5);
	int('data.maxLen', c.data.maxLen, 8, 4096);
	oneOf('data.overlong', c.data.overlong, OVERLONG_POLICIES);
	oneOf('objective.dph', c.objective.dph, DPH_OBJECTIVES);
	num('objective.dphEps', c.objective.dphEps, (n) => n >= 0 && n <= 0.5, '0 ≤ dphEps ≤ 0.5');
	num('objective.dpoEps', c.objective.dpoEps, (n) => n >= 0 && n <= 0.5, '0 ≤ dpoEps ≤ 0.5');
	num('objective.beta', c.objective.beta, (n) => n > 0, 'beta > 0');
	num('objective.dpoWeight', c.objective.dpoWeight, (n) => n >= 0, 'dpoWeight ≥ 0');
	num('objective.dphWeight', c.objective.dphWeight, (n) => n >= 0, 'dphWeight ≥ 0');
	num('objective.sftWeight', c.objective.sftWeight, (n) => n >= 0, 'sftWeight ≥ 0');
	if (c.objective.dpoWeight === 0 && c.objective.dphWeight === 0 && c.objective.sftWeight === 0) {
		reject('objective', 'dpoWeight, dphWeight and sftWeight are all 0: there is nothing to train', c.objective);
	}
	num('optim.lr', c.optim.lr, (n) => n > 0 && n < 1, '0 < lr < 1');
	int('steps', c.steps, 1);
	int('optim.warmupSteps', c.optim.warmupSteps, 0);
	num('optim.minLrRatio', c.optim.minLrRatio, (n) => n >= 0 && n <= 1, '0 ≤ minLrRatio ≤ 1');
	num('optim.beta1', c.optim.beta1, (n) => n >= 0 && n < 1, '0 ≤ beta1 < 1');
	num('optim.beta2', c.optim.beta2, (n) => n > 0 && n < 1, '0 < beta2 < 1');
	num('optim.eps', c.optim.eps, (n) => n > 0, 'eps > 0');
	num('optim.weightDecay', c.optim.weightDecay, (n) => n >= 0, 'weightDecay ≥ 0');
	num('optim.dphWeightDecay', c.optim.dphWeightDecay, (n) => n >= 0, 'dphWeightDecay ≥ 0');
	num('optim.maxGradNorm', c.optim.maxGradNorm, (n) => n >= 0, 'maxGradNorm ≥ 0 (0 disables clipping)');
	for (const k of ['from', 'refFrom'] as const) {
		if (c[k] !== undefined && (typeof c[k] !== 'string' || !c[k])) {
			reject(k, `${k} must name a checkpoint folder (a path or URL)`, c[k]);
		}
	}
	if (c.refFrom !== undefined && c.from === undefined) {
		reject(
			'refFrom',
			'refFrom needs from: the reference of a run from a random preset is its own initialisation',
			c.refFrom,
		);
	}
	if (c.exportDtype !== undefined) oneOf('exportDtype', c.exportDtype, ['f32', 'f16', 'bf16']);
	oneOf('trainable', c.trainable, TRAINABLE_MODES);
	array(
		'frozen',
		c.frozen,
		(x, path) =>
			typeof x === 'string' && x.length > 0 ? x : invalid(path, x, 'a non-empty substring of parameter names'),
		'an array of substrings of parameter names',
	);
	bool('trainableEmbeddings', c.trainableEmbeddings);
	if (c.heads !== undefined) c.heads = validateHeads(c.heads, check);
	if (c.poolerDropout !== undefined) {
		num('poolerDropout', c.poolerDropout, (n) => n >= 0 && n < 1, '0 ≤ poolerDropout < 1');
	}
	oneOf('onNonFinite', c.onNonFinite, ['stop', 'skip']);
	int('batchSize', c.batchSize, 1, 4096);
	int('accumulate', c.accumulate, 1, 1024);
	int('evalEvery', c.evalEvery, 1);
	int('seed', c.seed, 0, 2 ** 32 - 1);
	if (c.optim.warmupSteps >= c.steps) {
		reject(
			'optim.warmupSteps',
			`optim.warmupSteps (${c.optim.warmupSteps}) must be less than steps (${c.steps}); lower it, or leave it out and set steps to get a warm-up of a tenth of the run`,
			c.optim.warmupSteps,
		);
	}
	return c;
}

/**
 * The config's freezing applied to a model's parameters. Checked here, not in resolveTrainConfig, because it needs
 * the names: a `frozen` pattern that matches nothing (a typo would silently train everything) and a setup that
 * leaves nothing to train are errors naming the field.
 */
export function freezeParams<V>(params: Record<string, V>, c: TrainConfig): FreezeSplit<V> {
	const split = splitTrainable(params, c);
	const [bad] = split.unmatched;
	if (bad !== undefined) {
		const i = c.frozen.indexOf(bad);
		reject(`frozen[${i}]`, `frozen[${i}] = ${showValue(bad)} matches no parameter name of this model`, bad);
	}
	if (!Object.keys(split.trainable).length) {
		reject(
			'frozen',
			`trainable ${showValue(c.trainable)} with frozen ${showValue(c.frozen)}${c.trainableEmbeddings ? '' : ' and trainableEmbeddings false'} leaves no parameter to train`,
			c.frozen,
		);
	}
	return split;
}

/**
 * The reward heads a run trains (config `heads`, paper §5.2.2 task-specific heads). A loaded checkpoint keeps its
 * pooler and heads unless `reinit` says otherwise:
 *   'none'         train the named head (default: the first) as it is;
 *   'head'         re-initialise the named head, or add it when the checkpoint has no head of that name;
 *   'pooler+head'  also re-initialise the pooler, optionally as another type (`pooler`).
 * As in the reference (LSWTForDPH), every head reads the one shared `pooler_pipeline`, and the config lists the heads
 * in `reward_heads`; a new head is appended, so the exported folder holds the old heads unchanged and the new one.
 * Only the chosen head trains: the others are frozen, so their tensors are bit-identical in the export.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { POOLERS, type PoolerName } from '../model/config';
import type { ModelConfig } from '../model/family';
import { HeadError, headKey, headNames, resolveHead, unknownHead } from '../model/heads';
import { type Params, poolerShapes } from '../model/lswt';
import { deriveSeed, mulberry32, normal } from '../random';
import { type Checkers, isObject } from '../validate';
import type { TrainConfig } from './config';
import type { FreezeSplit } from './freeze';

type TF = typeof tfjs;

export const HEAD_REINIT = ['none', 'head', 'pooler+head'] as const;
export type HeadReinit = (typeof HEAD_REINIT)[number];

export interface HeadsConfig {
	reinit: HeadReinit;
	/** Pooler type of a re-initialised pooler (reinit 'pooler+head'); default the checkpoint's. */
	pooler?: PoolerName;
	/** The head to train and evaluate; default the checkpoint's first (a fresh preset's is "reward"). */
	name?: string;
	/**
	 * Cache the frozen backbone's hidden state at each sequence's reward position when only the pooler and heads
	 * train and there is no cDPO term (cached-heads.ts). Default true; false runs the backbone every step.
	 */
	cache?: boolean;
}

/** The head name a new head gets when `name` is not given (the workbench presets' name). */
export const DEFAULT_HEAD = 'reward';
/** The reference's LSWTConfig.init_std default, for checkpoints whose config.json has none. */
const REFERENCE_INIT_STD = 0.02;

/** Validate the `heads` field of a training config (checkers of config.ts, so errors are TrainConfigErrors). */
export function validateHeads(v: unknown, ck: Checkers): HeadsConfig {
	if (!isObject(v)) return ck.reject('heads', 'heads must be an object, e.g. {"reinit": "head", "name": "task"}', v);
	ck.knownKeys('heads', v, ['reinit', 'pooler', 'name', 'cache'], 'a heads option');
	const out: HeadsConfig = { reinit: ck.oneOf('heads.reinit', v.reinit ?? 'none', HEAD_REINIT) };
	if (v.pooler !== undefined) out.pooler = ck.oneOf('heads.pooler', v.pooler, POOLERS);
	if (v.name !== undefined) {
		if (typeof v.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v.name)) {
			ck.invalid('heads.name', v.name, 'a head name of letters, digits, _ and - (a PyTorch ModuleDict key)');
		}
		out.name = v.name as string;
	}
	if (v.cache !== undefined) out.cache = ck.bool('heads.cache', v.cache);
	return out;
}

export interface HeadSetup {
	/** The model config with the heads and pooler the run trains (reward_heads, reward_pooler updated). */
	modelConfig: ModelConfig;
	/** The head trained and evaluated. */
	head: string;
	/** What changed, for the run's log: "added head task", "re-initialised the pooler as bert". */
	notes: string[];
}

function initTensor(tf: TF, shape: number[], std: number, rand: () => number, bias: boolean): tfjs.Variable {
	const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
	if (!bias) for (let i = 0; i < v.length; i++) v[i] = std * normal(rand);
	const t = tf.tensor(v, shape);
	const out = tf.variable(t, true);
	t.dispose();
	return out;
}

function replace(params: Params, name: string, v: tfjs.Variable): void {
	params[name]?.dispose();
	params[name] = v;
}

/**
 * Apply `cfg.heads` to a run's starting weights, in place on `w.params` (variables it replaces are disposed).
 * `fromCheckpoint` false: a fresh preset model, whose only head is renamed to `name`; nothing needs re-initialising.
 */
export function setupHeads(
	tf: TF,
	cfg: Pick<TrainConfig, 'heads' | 'seed'>,
	w: { modelConfig: ModelConfig; params: Params },
	fromCheckpoint: boolean,
): HeadSetup {
	const h = cfg.heads ?? { reinit: 'none' };
	const { modelConfig: config, params } = w;
	const names = headNames(config);
	if (!fromCheckpoint) {
		if (h.pooler !== undefined) {
			throw new HeadError(
				'heads.pooler changes the pooler of a loaded checkpoint (from); a fresh preset model takes model.pooler',
				'',
				names,
			);
		}
		const head = h.name ?? names[0] ?? DEFAULT_HEAD;
		const old = names[0];
		if (old !== undefined && old !== head) {
			params[headKey(head)] = params[headKey(old)];
			delete params[headKey(old)];
		}
		return { modelConfig: { ...config, reward_heads: [head] }, head, notes: [] };
	}
	if (h.pooler !== undefined && h.pooler !== config.reward_pooler && h.reinit !== 'pooler+head') {
		throw new HeadError(
			`heads.pooler is ${JSON.stringify(h.pooler)} but the checkpoint's pooler is ${JSON.stringify(config.reward_pooler)}: another pooler type needs new weights, so set heads.reinit to "pooler+head"`,
			'',
			names,
		);
	}
	const head = h.name ?? names[0] ?? (h.reinit === 'none' ? undefined : DEFAULT_HEAD);
	if (head === undefined) resolveHead(config); // throws: the checkpoint has no head
	const name = head as string;
	const isNew = !names.includes(name);
	if (isNew && h.reinit === 'none') {
		throw new HeadError(
			`heads.name: ${unknownHead(config, name)}. Set heads.reinit to "head" to add a new head of that name`,
			name,
			names,
		);
	}
	const std = typeof config.init_std === 'number' && config.init_std > 0 ? config.init_std : REFERENCE_INIT_STD;
	const rand = mulberry32(deriveSeed(cfg.seed, 'heads', name));
	const notes: string[] = [];
	let modelConfig: ModelConfig = isNew ? { ...config, reward_heads: [...names, name] } : config;
	if (h.reinit === 'pooler+head') {
		const pooler = h.pooler ?? config.reward_pooler;
		for (const [k] of poolerShapes(config)) {
			params[k]?.dispose();
			delete params[k];
		}
		modelConfig = { ...modelConfig, reward_pooler: pooler };
		for (const [k, shape] of poolerShapes(modelConfig)) {
			replace(params, k, initTensor(tf, shape, std, rand, k.endsWith('.bias')));
		}
		const others = names.filter((n) => n !== name);
		notes.push(
			`re-initialised the ${pooler} pooler (N(0, ${std}))${pooler !== config.reward_pooler ? `, replacing the checkpoint's ${config.reward_pooler}` : ''}` +
				(others.length ? `; the pooler is shared by every head, so ${others.join(', ')} will score differently` : ''),
		);
	}
	if (h.reinit !== 'none') {
		replace(params, headKey(name), initTensor(tf, [1, config.d_model], std, rand, false));
		notes.push(`${isNew ? 'added' : 're-initialised'} reward head ${name} (N(0, ${std}))`);
	}
	return { modelConfig, head: name, notes };
}

/**
 * Freeze every reward head but `head`: they take no part in the loss, and leaving them out keeps weight decay off
 * them, so their tensors stay bit-identical. A note says when the shared pooler trains under other heads.
 */
export function onlyHead<V>(split: FreezeSplit<V>, config: ModelConfig, head: string, notes: string[]): FreezeSplit<V> {
	const others = new Set(
		headNames(config)
			.filter((n) => n !== head)
			.map(headKey),
	);
	if (!others.size) return split;
	const trainable = Object.fromEntries(Object.entries(split.trainable).filter(([k]) => !others.has(k)));
	const frozen = [...split.frozen, ...Object.keys(split.trainable).filter((k) => others.has(k))];
	if (!Object.keys(trainable).length) {
		throw new HeadError(`head ${head} is frozen and the other heads do not train: nothing is left to train`, head, [
			...headNames(config),
		]);
	}
	if (Object.keys(trainable).some((k) => k.startsWith('pooler_pipeline.'))) {
		notes.push(
			`the pooler trains with head ${head} and is shared by ${[...others].length} other head(s), whose rewards will change; add "pooler_pipeline" to frozen to keep them`,
		);
	}
	return { ...split, trainable, frozen };
}

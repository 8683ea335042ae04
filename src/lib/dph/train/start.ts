/**
 * Where a training run starts: a random `nano`/`tiny` preset with the character tokenizer (the default), or a
 * loaded checkpoint (the config's `from`), whose model config, weights and tokenizer are used as they are. The
 * cDPO reference model is a frozen copy of the starting weights, or another checkpoint (`refFrom`), as the paper's
 * reference is the SFT model the alignment starts from. Loading is through a CheckpointFolder, so the same code
 * serves a directory in Node, files opened in the page and a folder over HTTP.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { CheckpointFolder } from '../checkpoint/folder';
import { readText } from '../checkpoint/folder';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../checkpoint/load';
import { CharTokenizer } from '../data';
import type { Tokenizer } from '../data/tokenizer';
import { preset } from '../model/config';
import { type ModelConfig, requireLswt } from '../model/family';
import { initParams, type Params } from '../model/lswt';
import { deriveSeed } from '../random';
import { isObject, type Obj } from '../validate';
import type { TrainConfig } from './config';

type TF = typeof tfjs;

/** A loaded starting checkpoint (and optionally a separate reference). The trainer given it owns and disposes it. */
export interface StartPoint {
	/** What the run started from, as the user named it (a path, a URL, a folder name): messages and the closing JSON. */
	from: string;
	checkpoint: LoadedCheckpoint;
	/** The folder's tokenizer_config.json text, written back unchanged on export; null when it had none. */
	tokenizerConfig: string | null;
	/** The cDPO reference model when it is not the starting weights (`refFrom`). */
	ref: { from: string; checkpoint: LoadedCheckpoint } | null;
}

/** A starting point that failed to load: the message names the folder and says what the loader found. */
export class StartError extends Error {
	override name = 'StartError';
	constructor(
		readonly folder: string,
		readonly field: 'from' | 'refFrom',
		cause: unknown,
	) {
		const why = cause instanceof Error ? cause.message : String(cause);
		// Loaders often start with the folder's name already ("DIR: no such checkpoint folder"): say it once.
		const said = why.startsWith(`${folder}:`) ? why.slice(folder.length + 1).trimStart() : why;
		super(`${field} ${JSON.stringify(folder)}: the checkpoint could not be loaded: ${said}`);
	}
}

async function loadOne(tf: TF, folder: () => Promise<CheckpointFolder>, name: string, field: 'from' | 'refFrom') {
	try {
		const f = await folder();
		const checkpoint = await loadCheckpointTensors(tf, f);
		const tc = await f.file('tokenizer_config.json').catch(() => null);
		return { checkpoint, tokenizerConfig: tc ? await readText(tc) : null };
	} catch (e) {
		throw new StartError(name, field, e);
	}
}

/**
 * Load `from` (and `refFrom`) into a StartPoint. `open` turns a name into a CheckpointFolder (dirFolder in Node,
 * urlFolder or filesFolder in the page); a failure is a StartError naming the folder.
 */
export async function loadStart(
	tf: TF,
	open: (name: string) => Promise<CheckpointFolder>,
	from: string,
	refFrom?: string,
): Promise<StartPoint> {
	const main = await loadOne(tf, () => open(from), from, 'from');
	try {
		const ref = refFrom ? { from: refFrom, ...(await loadOne(tf, () => open(refFrom), refFrom, 'refFrom')) } : null;
		const start = { from, ...main, ref: ref && { from: ref.from, checkpoint: ref.checkpoint } };
		if (ref) checkReference(start);
		return start;
	} catch (e) {
		main.checkpoint.dispose();
		throw e;
	}
}

const HEAD_FIELDS = new Set(['reward_heads', 'reward_pooler', 'reward_dropout']);

/**
 * The reference scores the same token ids with the same language model shape as the policy (only its log-probs
 * are used), so everything but the head fields of config.json, and the tokenizer, must agree.
 */
function checkReference(start: StartPoint): void {
	const ref = start.ref;
	if (!ref) return;
	const a = start.checkpoint.config;
	const b = ref.checkpoint.config;
	const differ = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
		(k) => !HEAD_FIELDS.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
	);
	const why = differ.length
		? `config.json differs in ${differ.map((k) => `${k} (${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])})`).join(', ')}`
		: JSON.stringify(start.checkpoint.tokenizer.toJSON()) !== JSON.stringify(ref.checkpoint.tokenizer.toJSON())
			? 'the tokenizers differ'
			: null;
	if (why) {
		ref.checkpoint.dispose();
		throw new StartError(
			ref.from,
			'refFrom',
			new Error(`it is not the same language model as from ${JSON.stringify(start.from)}: ${why}`),
		);
	}
}

/**
 * The `model.*` fields a raw (user-written) config sets that a starting checkpoint overrides: the checkpoint's
 * config.json gives the whole model, so they would be silently ignored otherwise.
 */
export function overriddenModelFields(raw: Obj): string[] {
	return isObject(raw.model) ? Object.keys(raw.model).map((k) => `model.${k}`) : [];
}

export interface StartingWeights {
	tokenizer: Tokenizer;
	modelConfig: ModelConfig;
	/** Trainable variables, owned by the trainer. */
	params: Params;
	/** The frozen cDPO reference (null without a cDPO term), owned by the trainer. */
	ref: Params | null;
	/** tokenizer_config.json for export. */
	tokenizerConfig: string;
}

let copies = 0;

function variables(tf: TF, params: Params, prefix: string, trainable: boolean): Params {
	return Object.fromEntries(
		Object.entries(params).map(([k, v]) => {
			const copy = v.clone();
			const out = tf.variable(copy, trainable, `${prefix}${k}`);
			copy.dispose();
			return [k, out];
		}),
	);
}

/** The policy's weights, tokenizer and reference model for a run: from the preset, or from `start`. */
export function startingWeights(tf: TF, cfg: TrainConfig, start?: StartPoint): StartingWeights {
	const dpo = cfg.objective.dpoWeight > 0;
	if (!start) {
		if (cfg.from !== undefined) {
			throw new Error(
				`from ${JSON.stringify(cfg.from)}: the checkpoint was not loaded; load it with loadStart and pass it to the trainer`,
			);
		}
		const tokenizer = new CharTokenizer();
		const mc = preset(cfg.model.preset, tokenizer.vocabSize, cfg.model.pooler);
		const modelConfig = { ...mc, reward_dropout: cfg.poolerDropout ?? cfg.model.dropout };
		const params = initParams(tf, modelConfig, deriveSeed(cfg.seed, 'init'), cfg.model.initStd);
		return {
			tokenizer,
			modelConfig,
			params,
			// The frozen reference model of cDPO: the policy's initial weights.
			ref: dpo ? variables(tf, params, 'ref.', false) : null,
			tokenizerConfig: `${JSON.stringify(tokenizer.toTokenizerConfig(), null, 2)}\n`,
		};
	}
	const ck = start.checkpoint;
	// Checked before any copy is made: nothing to release when it throws.
	// A Hugging Face base trains DPH heads on its frozen backbone (the paper's Table 6); the rest is LSWT's for now.
	const lswtConfig =
		cfg.trainable === 'heads' ? ck.config : requireLswt(ck.config, 'Training other than --trainable heads');
	const n = ++copies;
	const params = variables(tf, ck.params, `start${n}/`, true);
	// The loaded (non-trainable) variables are the frozen copy of the starting weights: no second copy is made.
	let ref: Params | null = null;
	if (start.ref) {
		ck.dispose();
		if (dpo) ref = start.ref.checkpoint.params;
		else start.ref.checkpoint.dispose();
	} else if (dpo) ref = ck.params;
	else ck.dispose();
	const tok = ck.tokenizer;
	return {
		tokenizer: tok,
		// A training setting (the paper's 0.1), not the architecture: it wins over the checkpoint's reward_dropout.
		modelConfig: cfg.poolerDropout === undefined ? lswtConfig : { ...lswtConfig, reward_dropout: cfg.poolerDropout },
		params,
		ref,
		tokenizerConfig:
			start.tokenizerConfig ??
			`${JSON.stringify(tok instanceof CharTokenizer ? tok.toTokenizerConfig() : {}, null, 2)}\n`,
	};
}

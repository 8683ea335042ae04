/**
 * DPH heads beside a base model (issue 18.3): heads trained on a frozen Hugging Face model are saved as two files,
 * so the base model's folder is never modified and a few-kilobyte download carries the heads:
 *
 *   dph_heads.safetensors  the pooler and head tensors, with the reference's names (pooler_pipeline.N.*, reward_heads.NAME.weight)
 *   dph_config.json        { format, base: {config_sha256, model_type, path}, d_model, d_ffn, reward_pooler,
 *                            reward_heads, reward_dropout, reward_position: {kind: "end_of_turn", token} }
 *
 * The base's identity is the sha256 of its config.json: heads read the hidden state of one particular model, and a
 * pair of files loaded beside another is refused, naming both. `reward_position` records the token the reward was
 * read at (the chat template's end-of-turn token), so a tokenizer that closes turns differently is refused too.
 * LSWT checkpoints keep their own layout (the heads live in model.safetensors and config.json).
 */
import type { Tokenizer } from '../data/tokenizer';
import { POOLERS, type PoolerName } from '../model/config';
import { rewardShapes } from '../model/reward';
import { sha256Hex } from '../train/provenance';
import { FileError } from './file-error';
import type { CheckpointFolder } from './folder';
import { readSafetensors, type TensorEntry, writeSafetensors } from './safetensors';
import { isRecord, kindOf } from './tokenizer-json';

export const DPH_HEADS_FILE = 'dph_heads.safetensors';
export const DPH_CONFIG_FILE = 'dph_config.json';
export const DPH_HEADS_FORMAT = 'dph-heads/1';

export class DphHeadsError extends FileError {
	override name = 'DphHeadsError';
}

export interface DphHeadsConfig {
	format: typeof DPH_HEADS_FORMAT;
	base: {
		/** sha256 of the base model's config.json, byte for byte. */
		config_sha256: string;
		model_type: string | null;
		/** Where the base was when the heads were trained: a hint for people, never read to find it. */
		path: string | null;
	};
	d_model: number;
	d_ffn: number;
	reward_pooler: PoolerName;
	reward_heads: string[];
	reward_dropout: number;
	reward_position: { kind: 'end_of_turn'; token: string };
}

/** The reward fields a base config takes from the heads. */
export type HeadsFields = Pick<DphHeadsConfig, 'reward_pooler' | 'reward_heads' | 'reward_dropout'>;

export interface LoadedHeads {
	config: DphHeadsConfig;
	/** The folder the two files came from (the base folder itself when they sit in it). */
	folder: string;
	tensors: TensorEntry[];
}

const HEAD_NAME = /^[A-Za-z0-9_-]+$/;

/** Validate a parsed dph_config.json, naming the field and what to do. */
export function parseDphConfig(json: unknown, file: string): DphHeadsConfig {
	const fail = (what: string): never => {
		throw new DphHeadsError(`${file}: ${what}`, file);
	};
	if (!isRecord(json)) return fail(`expected a JSON object, got ${kindOf(json)}`);
	if (json.format !== DPH_HEADS_FORMAT) {
		fail(
			`"format" must be ${JSON.stringify(DPH_HEADS_FORMAT)}, got ${kindOf(json.format)}; is this a dph_config.json?`,
		);
	}
	const base = json.base;
	if (!isRecord(base) || typeof base.config_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(base.config_sha256)) {
		fail('"base.config_sha256" must be the 64-hex-digit sha256 of the base model\'s config.json');
	}
	const b = base as Record<string, unknown>;
	const optString = (x: unknown, field: string) => {
		if (x === undefined || x === null) return null;
		return typeof x === 'string' ? x : fail(`"${field}" must be a string or null, got ${kindOf(x)}`);
	};
	const int = (field: string) => {
		const v = json[field];
		return typeof v === 'number' && Number.isInteger(v) && v > 0
			? v
			: fail(`"${field}" must be a positive integer, got ${kindOf(v)}`);
	};
	const pooler = json.reward_pooler;
	if (typeof pooler !== 'string' || !(POOLERS as readonly string[]).includes(pooler)) {
		fail(`"reward_pooler" must be one of ${POOLERS.join(', ')}, got ${kindOf(pooler)}`);
	}
	const heads = json.reward_heads;
	if (!Array.isArray(heads) || heads.length === 0 || !heads.every((h) => typeof h === 'string' && HEAD_NAME.test(h))) {
		fail(
			`"reward_heads" must be a non-empty list of head names (letters, digits, _ and -), got ${JSON.stringify(heads)}`,
		);
	}
	if (new Set(heads as string[]).size !== (heads as string[]).length) fail('"reward_heads" names a head twice');
	const dropout = json.reward_dropout;
	if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
		fail(`"reward_dropout" must be a number in [0, 1), got ${kindOf(dropout)}`);
	}
	const pos = json.reward_position;
	if (!isRecord(pos) || pos.kind !== 'end_of_turn' || typeof pos.token !== 'string' || pos.token === '') {
		fail('"reward_position" must be {"kind": "end_of_turn", "token": "<the end-of-turn token>"}');
	}
	return {
		format: DPH_HEADS_FORMAT,
		base: {
			config_sha256: b.config_sha256 as string,
			model_type: optString(b.model_type, 'base.model_type'),
			path: optString(b.path, 'base.path'),
		},
		d_model: int('d_model'),
		d_ffn: int('d_ffn'),
		reward_pooler: pooler as PoolerName,
		reward_heads: [...(heads as string[])],
		reward_dropout: dropout as number,
		reward_position: { kind: 'end_of_turn', token: (pos as Record<string, unknown>).token as string },
	};
}

/** sha256 of a base folder's config.json: the identity heads are tied to. */
export async function baseIdentity(base: CheckpointFolder): Promise<string> {
	const src = await base.file('config.json');
	if (!src)
		throw new DphHeadsError(
			`${base.name}: config.json is missing; heads need their base model's folder`,
			'config.json',
		);
	return sha256Hex(await src.read(0, src.size));
}

/** The end-of-turn token string the reward is read at, for reward_position. */
export function endOfTurnToken(tok: Tokenizer): string {
	const s = tok.decode([tok.special.imEnd]);
	if (s === '') throw new DphHeadsError('the tokenizer decodes its end-of-turn token to nothing', DPH_CONFIG_FILE);
	return s;
}

/**
 * The two files for heads trained on a base model: `tensors` must be exactly the pooler's and heads' (rewardShapes
 * of the config), as float32. Written by the caller next to nothing of the base (src/node writes them atomically).
 */
export function dphHeadsFiles(
	config: DphHeadsConfig,
	tensors: readonly TensorEntry[],
): Record<typeof DPH_CONFIG_FILE, string> & Record<typeof DPH_HEADS_FILE, Uint8Array> {
	const checked = parseDphConfig(config, DPH_CONFIG_FILE);
	checkTensors(checked, tensors, DPH_HEADS_FILE);
	return {
		[DPH_CONFIG_FILE]: `${JSON.stringify(checked, null, 2)}\n`,
		[DPH_HEADS_FILE]: writeSafetensors(
			tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data, dtype: 'F32' })),
			{ format: 'pt', dph: DPH_HEADS_FORMAT },
		),
	} as Record<typeof DPH_CONFIG_FILE, string> & Record<typeof DPH_HEADS_FILE, Uint8Array>;
}

function checkTensors(config: DphHeadsConfig, tensors: readonly TensorEntry[], file: string): void {
	const expected = new Map(rewardShapes(config));
	const have = new Map(tensors.map((t) => [t.name, t]));
	const missing = [...expected.keys()].filter((k) => !have.has(k));
	const unexpected = [...have.keys()].filter((k) => !expected.has(k));
	if (missing.length || unexpected.length) {
		throw new DphHeadsError(
			`${file} does not match ${DPH_CONFIG_FILE} (${config.reward_pooler} pooler, heads ${config.reward_heads.join(', ')}): ` +
				[
					missing.length ? `missing ${missing.join(', ')}` : '',
					unexpected.length ? `unexpected ${unexpected.join(', ')}` : '',
				]
					.filter(Boolean)
					.join('; '),
			file,
		);
	}
	for (const [name, shape] of expected) {
		const t = have.get(name)!;
		if (t.shape.join() !== shape.join()) {
			throw new DphHeadsError(
				`${file}: ${name} is [${t.shape}] but d_model ${config.d_model}, d_ffn ${config.d_ffn} and the ${config.reward_pooler} pooler imply [${shape}]`,
				file,
			);
		}
		const bad = t.data.findIndex((x) => !Number.isFinite(x));
		if (bad >= 0) throw new DphHeadsError(`${file}: ${name} holds a non-finite value at index ${bad}`, file);
	}
}

/**
 * Where a base model's heads are: the `heads` folder when given (it must hold both files), else the base folder
 * when it holds a dph_config.json; null when there are none (the base model scores log-probs only).
 */
export async function findHeads(
	base: CheckpointFolder,
	heads?: CheckpointFolder | null,
): Promise<CheckpointFolder | null> {
	if (heads) {
		if (!(await heads.file(DPH_CONFIG_FILE))) {
			throw new DphHeadsError(
				`${heads.name}: --heads names a folder without ${DPH_CONFIG_FILE}; it should hold ${DPH_CONFIG_FILE} and ${DPH_HEADS_FILE} as dph train --trainable heads writes them`,
				`${heads.name}/${DPH_CONFIG_FILE}`,
			);
		}
		return heads;
	}
	return (await base.file(DPH_CONFIG_FILE)) ? base : null;
}

/**
 * Read and check heads for a base model whose config (d_model, d_ffn) and tokenizer are loaded: the base's
 * config.json hash, the widths, the end-of-turn token and every tensor. Null when `findHeads` finds none.
 */
export async function readHeadsFor(
	base: CheckpointFolder,
	model: { d_model: number; d_ffn: number },
	tok: Tokenizer,
	heads?: CheckpointFolder | null,
): Promise<LoadedHeads | null> {
	const folder = await findHeads(base, heads);
	if (!folder) return null;
	const cfgFile = `${folder.name}/${DPH_CONFIG_FILE}`;
	const cfgSrc = (await folder.file(DPH_CONFIG_FILE))!;
	let raw: unknown;
	try {
		raw = JSON.parse(new TextDecoder().decode(await cfgSrc.read(0, cfgSrc.size)));
	} catch (e) {
		throw new DphHeadsError(`${cfgFile}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, cfgFile);
	}
	const config = parseDphConfig(raw, cfgFile);
	const sha = await baseIdentity(base);
	if (sha !== config.base.config_sha256) {
		throw new DphHeadsError(
			`${cfgFile}: these heads were trained on the base model whose config.json has sha256 ${config.base.config_sha256}` +
				`${config.base.path ? ` (then at ${config.base.path})` : ''}, but ${base.name}/config.json has sha256 ${sha}: ` +
				"heads read one model's hidden states and are refused on another; load them beside the model they were trained on",
			cfgFile,
		);
	}
	for (const [field, want] of [
		['d_model', model.d_model],
		['d_ffn', model.d_ffn],
	] as const) {
		if (config[field] !== want) {
			throw new DphHeadsError(`${cfgFile}: ${field} is ${config[field]} but the base model's is ${want}`, cfgFile);
		}
	}
	const eot = endOfTurnToken(tok);
	if (eot !== config.reward_position.token) {
		throw new DphHeadsError(
			`${cfgFile}: the heads read the reward at ${JSON.stringify(config.reward_position.token)}, but ${base.name}'s ` +
				`tokenizer closes the assistant turn with ${JSON.stringify(eot)}; is its tokenizer_config.json (chat_template) the one the heads were trained with?`,
			cfgFile,
		);
	}
	const headsFile = `${folder.name}/${DPH_HEADS_FILE}`;
	const src = await folder.file(DPH_HEADS_FILE);
	if (!src) throw new DphHeadsError(`${headsFile} is missing; ${DPH_CONFIG_FILE} needs it beside it`, headsFile);
	const { tensors } = readSafetensors(await src.read(0, src.size), headsFile);
	checkTensors(config, tensors, headsFile);
	return { config, folder: folder.name, tensors };
}

/** The base config with the heads' reward fields. */
export function withHeads<C extends object>(config: C, heads: LoadedHeads): C & HeadsFields {
	const { reward_pooler, reward_heads, reward_dropout } = heads.config;
	return { ...config, reward_pooler, reward_heads: [...reward_heads], reward_dropout };
}

/**
 * The loader's hook (load.ts): heads for a Llama-family base found by `findHeads`, checked and merged into its
 * config, or the config unchanged without any. LSWT keeps its heads in its own files, so `--heads` is refused there.
 */
export async function attachHeads<C extends { d_model: number; d_ffn: number }>(
	family: string,
	base: CheckpointFolder,
	config: C,
	tok: Tokenizer,
	heads: CheckpointFolder | null | undefined,
	notes: string[],
): Promise<{ config: C; heads: LoadedHeads | null }> {
	if (family !== 'llama') {
		if (heads) {
			throw new DphHeadsError(
				`${heads.name}: --heads is for heads beside a Hugging Face base model; an LSWT checkpoint keeps its heads in model.safetensors and config.json`,
				`${heads.name}/${DPH_CONFIG_FILE}`,
			);
		}
		return { config, heads: null };
	}
	const loaded = await readHeadsFor(base, config, tok, heads);
	if (!loaded) return { config, heads: null };
	notes.push(
		`DPH heads ${loaded.config.reward_heads.join(', ')} (${loaded.config.reward_pooler} pooler) from ${loaded.folder}/${DPH_HEADS_FILE}, trained on this base model (config.json sha256 matches)`,
	);
	return { config: withHeads(config, loaded), heads: loaded };
}

/** Names of the pooler's and heads' tensors: what the heads format holds. */
export const isHeadTensor = (name: string): boolean =>
	name.startsWith('pooler_pipeline.') || name.startsWith('reward_heads.');

/**
 * The heads format for heads trained on `base` (a trainer's config and weights): the pooler and head tensors of
 * `weights`, the reward fields of `config`, the base's identity and the tokenizer's end-of-turn token.
 */
export async function headsFilesFor(
	base: CheckpointFolder,
	config: {
		d_model: number;
		d_ffn: number;
		model_type?: unknown;
		reward_pooler: PoolerName;
		reward_heads: string[] | null;
		reward_dropout: number;
	},
	weights: readonly TensorEntry[],
	tok: Tokenizer,
	path: string | null,
) {
	return dphHeadsFiles(
		{
			format: DPH_HEADS_FORMAT,
			base: {
				config_sha256: await baseIdentity(base),
				model_type: typeof config.model_type === 'string' ? config.model_type : null,
				path,
			},
			d_model: config.d_model,
			d_ffn: config.d_ffn,
			reward_pooler: config.reward_pooler,
			reward_heads: [...(config.reward_heads ?? [])],
			reward_dropout: config.reward_dropout,
			reward_position: { kind: 'end_of_turn', token: endOfTurnToken(tok) },
		},
		weights.filter((t) => isHeadTensor(t.name)),
	);
}

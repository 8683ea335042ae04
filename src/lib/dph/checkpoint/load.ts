/**
 * Load a Hugging Face–layout LSWT/DPH checkpoint folder into tfjs: config.json through the reference's field names
 * and defaults, tokenizer.json, and model.safetensors streamed one tensor at a time (F16/BF16 upcast to float32, as
 * the reference scores in float32). The state dict is matched against the names and shapes the config implies;
 * missing tensors and shape mismatches stop the load with the list, unexpected ones are reported and skipped.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tokenizer } from '../data/tokenizer';
import { ConfigError, resolveConfig } from '../model/config';
import { familyOf, familyOfJson, type ModelConfig, SUPPORTED_MODEL_TYPES } from '../model/family';
import { LLAMA_ARCHITECTURES, resolveLlamaConfig } from '../model/llama-config';
import type { Params } from '../model/lswt';
import { CheckpointError } from './checkpoint-error';
import { attachHeads, DphHeadsError, type LoadedHeads } from './dph-heads';
import { type CheckpointFolder, readText } from './folder';
import { checkGpuLimits, gpuLimitsOf } from './gpu-limits';
import { chatExtras, loadTokenizer } from './load-tokenizer';
import { nonFinite, noteNonFinite } from './non-finite';
import type { SafetensorsFile, TensorInfo } from './safetensors';
import { INDEX_FILE, openWeights, ShardError } from './sharded';

type TF = typeof tfjs;

export { CheckpointError, nonFinite, noteNonFinite };

export interface ShapeMismatch {
	name: string;
	expected: number[];
	got: number[];
}

export interface StateDictReport {
	/** Tensors the config implies that the file lacks. */
	missing: string[];
	/** Tensors in the file the model does not use (skipped, never read). */
	unexpected: string[];
	mismatched: ShapeMismatch[];
}

export interface ModelCard {
	name: string;
	parameters: number;
	/** Storage dtypes in model.safetensors, e.g. ["F16"]; weights are float32 once loaded. */
	dtypes: string[];
	/** The model family (model/family.ts) and config.json's model_type. */
	family: 'lswt' | 'llama';
	modelType: string;
	/** Weight files read: model.safetensors, or the shards model.safetensors.index.json names. */
	shards: string[];
	fileBytes: number;
	layers: number;
	heads: number;
	dModel: number;
	dFfn: number;
	dVocab: number;
	vocabSize: number;
	pooler: string;
	/** The head scored by default (the first of reward_heads), null without one. */
	rewardHead: string | null;
	/** Every reward head, in config.json order (`dph score --head NAME` picks another). */
	rewardHeads: string[];
	tokenizerVocab: number;
	/** Longest sequence scored, in tokens, and where it came from ("config.json max_position_embeddings", "the default"). */
	context: { tokens: number; from: string };
}

export interface CheckpointInfo {
	config: ModelConfig;
	/** Fields config.json omitted that took the reference defaults. */
	defaulted: string[];
	tokenizer: Tokenizer;
	tensors: TensorInfo[];
	report: StateDictReport;
	/** Things worth knowing that are not errors (defaulted fields, unexpected tensors, special-id differences). */
	notes: string[];
	card: ModelCard;
	file: SafetensorsFile;
	/** DPH heads beside a Llama-family base (dph-heads.ts), already merged into `config`; null without. */
	dphHeads: LoadedHeads | null;
}

export interface LoadedCheckpoint extends Omit<CheckpointInfo, 'file'> {
	params: Params;
	/** Seconds spent reading and uploading the weights. */
	seconds: number;
	dispose(): void;
}

export interface LoadProgress {
	phase: 'config' | 'tokenizer' | 'weights';
	/** Bytes of model.safetensors read so far (weights phase). */
	done: number;
	total: number;
	tensor?: string;
}

/** JSON.parse with the file, line and column in the message. */
export function parseJsonFile(text: string, file: string): unknown {
	try {
		return JSON.parse(text);
	} catch (e) {
		const msg = (e as Error).message;
		const pos = /position (\d+)/.exec(msg);
		let where = '';
		if (pos) {
			const before = text.slice(0, Number(pos[1]));
			const line = before.split('\n').length;
			const col = Number(pos[1]) - before.lastIndexOf('\n');
			where = ` at line ${line}, column ${col}`;
		}
		throw new CheckpointError(
			`${file} is not valid JSON${where}: ${msg.replace(/\s*\(line \d+ column \d+\)/, '')}`,
			file,
		);
	}
}

async function required(folder: CheckpointFolder, name: string, why: string) {
	const f = await folder.file(name);
	if (!f) {
		throw new CheckpointError(
			`${folder.name}: ${name} is missing (${why}). A checkpoint folder holds config.json, model.safetensors and tokenizer.json, as transformers' save_pretrained writes them`,
			name,
		);
	}
	return f;
}

async function optionalJson(folder: CheckpointFolder, name: string): Promise<unknown> {
	const f = await folder.file(name);
	return f ? parseJsonFile(await readText(f), name) : undefined;
}

/** Compare the file's tensors with the names and shapes the config implies. */
export function matchStateDict(config: ModelConfig, tensors: readonly TensorInfo[]): StateDictReport {
	const expected = new Map(familyOf(config).parameterShapes(config));
	const have = new Map(tensors.map((t) => [t.name, t]));
	const missing = [...expected.keys()].filter((k) => !have.has(k));
	const unexpected = tensors.map((t) => t.name).filter((k) => !expected.has(k));
	const mismatched: ShapeMismatch[] = [];
	for (const [name, shape] of expected) {
		const t = have.get(name);
		if (t && (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))) {
			mismatched.push({ name, expected: shape, got: t.shape });
		}
	}
	return { missing, unexpected, mismatched };
}

const list = (xs: string[], n = 8) => xs.slice(0, n).join(', ') + (xs.length > n ? ` … (${xs.length} in all)` : '');

/** Read config, tokenizer and the safetensors header, and check that they fit together, without loading weights. */
export async function inspectCheckpoint(
	folder: CheckpointFolder,
	onProgress?: (p: LoadProgress) => void,
	headsFolder?: CheckpointFolder | null,
): Promise<CheckpointInfo> {
	onProgress?.({ phase: 'config', done: 0, total: 0 });
	const rawConfig = parseJsonFile(
		await readText(await required(folder, 'config.json', 'it says how big the model is')),
		'config.json',
	);
	if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)) {
		throw new CheckpointError('config.json must hold a JSON object', 'config.json');
	}
	const raw = rawConfig as Record<string, unknown>;
	const familyName = familyOfJson(raw);
	if (!familyName) {
		throw new CheckpointError(
			`config.json: model_type ${JSON.stringify(raw.model_type)}${raw.architectures ? ` (architectures ${JSON.stringify(raw.architectures)})` : ''} is not a model family the workbench implements; supported: model_type ${SUPPORTED_MODEL_TYPES.join(', ')} (${Object.values(LLAMA_ARCHITECTURES).join(', ')}, LSWTForDPH) — docs/MODELS.md`,
			'config.json',
		);
	}
	let config: ModelConfig;
	let defaulted: string[];
	try {
		({ config, defaulted } =
			familyName === 'llama' ? resolveLlamaConfig(raw, 'config.json') : resolveConfig(raw, 'config.json'));
	} catch (e) {
		if (e instanceof ConfigError) throw new CheckpointError(e.message, 'config.json');
		throw e;
	}
	const family = familyOf(config);
	if (config.qk_norm === true) {
		throw new CheckpointError(
			'config.json: qk_norm is true; the workbench does not implement QK-norm yet',
			'config.json',
		);
	}
	if (typeof config.n_registers === 'number' && config.n_registers > 0) {
		throw new CheckpointError(
			`config.json: n_registers is ${config.n_registers}; the workbench does not implement attention registers yet`,
			'config.json',
		);
	}
	onProgress?.({ phase: 'tokenizer', done: 0, total: 0 });
	const tokJson = parseJsonFile(
		await readText(await required(folder, 'tokenizer.json', 'it turns text into token ids')),
		'tokenizer.json',
	);
	const tokenizer = loadTokenizer(tokJson, 'tokenizer.json', {
		tokenizerConfig: await optionalJson(folder, 'tokenizer_config.json'),
		specialTokensMap: await optionalJson(folder, 'special_tokens_map.json'),
		...(await chatExtras(folder, family.name)),
	});
	if (tokenizer.vocabSize > config.vocab_size) {
		throw new CheckpointError(
			`tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocab_size}: ids past the embedding would crash the model; is this the tokenizer of another model?`,
			'tokenizer.json',
		);
	}
	const notes: string[] = [];
	if (defaulted.length) {
		const whose = family.name === 'llama' ? "transformers'" : 'the reference';
		notes.push(`config.json omits ${defaulted.join(', ')}: ${whose} defaults were used`);
	}
	for (const [field, id] of [
		['pad_token_id', tokenizer.special.pad],
		['eos_token_id', tokenizer.special.eos],
	] as const) {
		if (config[field] !== id)
			notes.push(`config.json ${field} is ${config[field]} but the tokenizer's is ${id}; the tokenizer's is used`);
	}
	let weights: Awaited<ReturnType<typeof openWeights>>;
	try {
		weights = await openWeights(folder);
	} catch (e) {
		if (e instanceof ShardError) throw new CheckpointError(e.message, e.file);
		throw e;
	}
	if (!weights) await required(folder, 'model.safetensors', `it holds the weights; a sharded model has ${INDEX_FILE}`);
	const { file, name: weightsFile, shards } = weights as NonNullable<typeof weights>;
	const report = matchStateDict(config, file.tensors);
	if (report.mismatched.length) {
		throw new CheckpointError(
			`${weightsFile} does not match config.json: ${report.mismatched
				.slice(0, 6)
				.map((m) => `${m.name} is [${m.got}] but the config implies [${m.expected}]`)
				.join(
					'; ',
				)}${report.mismatched.length > 6 ? ` … (${report.mismatched.length} in all)` : ''}. Is config.json from the same model?`,
			weightsFile,
		);
	}
	if (report.missing.length) {
		throw new CheckpointError(
			`${weightsFile} lacks ${report.missing.length} tensor(s) the config needs: ${list(report.missing)}` +
				(report.unexpected.length ? `; it has others instead: ${list(report.unexpected, 4)}` : '') +
				(family.name === 'llama'
					? ". Save the model with transformers' key names (model.layers.N.self_attn…, model.norm…, lm_head…)"
					: '. Save the model with its reference key names (model.blocks.N…, pooler_pipeline.N…, reward_heads.NAME…)'),
			weightsFile,
		);
	}
	if (report.unexpected.length)
		notes.push(`${weightsFile} has tensors the model does not use (skipped): ${list(report.unexpected)}`);
	let dphHeads: LoadedHeads | null;
	try {
		({ config, heads: dphHeads } = await attachHeads(family.name, folder, config, tokenizer, headsFolder, notes));
	} catch (e) {
		if (e instanceof DphHeadsError) throw new CheckpointError(e.message, e.file);
		throw e;
	}
	const head = config.reward_heads?.[0] ?? null;
	if (!head)
		notes.push(
			'config.json has no reward_heads: this is a language model without a DPH head, so only log-probs can be scored',
		);
	const card: ModelCard = {
		name: folder.name,
		parameters: family.countParameters(config),
		dtypes: [...new Set(file.tensors.filter((t) => !report.unexpected.includes(t.name)).map((t) => t.dtype))],
		family: family.name,
		modelType: typeof config.model_type === 'string' ? config.model_type : 'lsw_transformer',
		shards,
		fileBytes: file.source.size,
		layers: config.n_layers,
		heads: config.n_heads,
		dModel: config.d_model,
		dFfn: config.d_ffn,
		dVocab: typeof config.d_vocab === 'number' ? config.d_vocab : config.d_model,
		vocabSize: config.vocab_size,
		pooler: config.reward_pooler,
		rewardHead: head,
		rewardHeads: [...(config.reward_heads ?? [])],
		tokenizerVocab: tokenizer.vocabSize,
		context: family.contextLength(config),
	};
	return { config, defaulted, tokenizer, tensors: file.tensors, report, notes, card, file, dphHeads };
}

export interface LoadOptions {
	onProgress?: (p: LoadProgress) => void;
	signal?: AbortSignal;
	/**
	 * Load weights that hold NaN or ±Inf instead of refusing them. Such a model scores NaN everywhere, so this is
	 * for looking at a broken checkpoint, not for using it (`dph score --allow-nonfinite`).
	 */
	allowNonfinite?: boolean;
	/** A folder of DPH heads for a Llama-family base (`--heads DIR`); the base folder's own are read otherwise. */
	heads?: CheckpointFolder | null;
}

let loads = 0;

/** Load a checkpoint folder (config, tokenizer, weights) into tfjs tensors on the current backend. */
export async function loadCheckpointTensors(
	tf: TF,
	folder: CheckpointFolder,
	opts: LoadOptions = {},
	/** The folder's inspectCheckpoint result, when the caller already has it. */
	inspected?: CheckpointInfo,
): Promise<LoadedCheckpoint> {
	const info = inspected ?? (await inspectCheckpoint(folder, opts.onProgress, opts.heads));
	// Before any upload: on WebGPU a tensor over the device's buffer limits fails later with no name (gpu-limits.ts).
	const gpu = gpuLimitsOf(tf);
	if (gpu)
		checkGpuLimits(
			info.tensors.filter((t) => !info.report.unexpected.includes(t.name)),
			gpu,
		);
	const wanted = new Set(
		familyOf(info.config)
			.parameterShapes(info.config)
			.map(([k]) => k),
	);
	const params: Params = {};
	// This load's own number, taken now: read at each variable after the awaits, two loads running at once
	// would share it and collide on a variable name.
	const id = ++loads;
	const t0 = performance.now();
	const total = info.tensors.filter((t) => wanted.has(t.name)).reduce((a, t) => a + t.byteLength, 0);
	let done = 0;
	const broken: string[] = [];
	try {
		// Only the tensors the model uses are read, one at a time: memory peaks at the float32 weights plus one tensor.
		for (const t of info.tensors) {
			if (!wanted.has(t.name)) continue;
			if (opts.signal?.aborted) throw new DOMException('Loading was stopped', 'AbortError');
			const data = await info.file.read(t.name);
			// Checked on the float32 copy each tensor passes through anyway, one tensor at a time, so it costs one pass
			// over memory that is already hot; F16/BF16 NaN and Inf upcast to float32 NaN and Inf.
			noteNonFinite(t.name, nonFinite(data), opts, broken);
			const tensor = tf.tensor(data, t.shape, 'float32');
			// tfjs variable names are global: a unique prefix lets several checkpoints (and a trainer) coexist.
			params[t.name] = tf.variable(tensor, false, `ckpt${id}/${t.name}`);
			tensor.dispose();
			done += t.byteLength;
			opts.onProgress?.({ phase: 'weights', done, total, tensor: t.name });
		}
		// Heads beside a base model: from dph_heads.safetensors, read and checked by attachHeads.
		for (const t of info.dphHeads?.tensors ?? []) {
			const tensor = tf.tensor(t.data, t.shape, 'float32');
			params[t.name] = tf.variable(tensor, false, `ckpt${id}/${t.name}`);
			tensor.dispose();
		}
	} catch (e) {
		for (const v of Object.values(params)) v.dispose();
		throw e;
	}
	const { file: _file, ...rest } = info;
	if (rest.dphHeads) rest.dphHeads = { ...rest.dphHeads, tensors: [] }; // now in params
	if (broken.length) {
		rest.notes = [
			...rest.notes,
			`model.safetensors: loaded anyway, but ${broken.length} tensor(s) hold NaN/Inf: ${list(broken, 3)}`,
		];
	}
	return {
		...rest,
		params,
		seconds: (performance.now() - t0) / 1000,
		dispose() {
			for (const v of Object.values(params)) v.dispose();
		},
	};
}

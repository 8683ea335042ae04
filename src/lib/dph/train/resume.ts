/**
 * Resuming a run: the state a checkpoint needs besides its weights so that training continues exactly where it
 * stopped, as two files next to model.safetensors (docs/TRAINING.md, Resume):
 *   optimizer.safetensors  the LaProp moments per parameter (`exp_avg.<name>`, `exp_avg_sq.<name>`, and
 *                          `original_param.<name>`, θ0 of prior regularization), float32; and `param.<name>`, the
 *                          float32 weights, when model.safetensors is exported in 16 bits (a rounded copy)
 *   trainer_state.json     the step, the per-parameter LaProp step and lr average (float64, which JSON keeps
 *                          exactly), the data order and the run's config with its sha256.
 * Randomness needs no saved generator: initialisation, each epoch's data order and each step's dropout are seeded
 * from (seed, purpose, step), so the seed, the step and the position in the epoch are the whole RNG state.
 * Everything here is pure (no files): the CLI reads through a CheckpointFolder and writes what this returns.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { CheckpointFolder } from '../checkpoint/folder';
import { readText } from '../checkpoint/folder';
import { openSafetensors, type TensorEntry, writeSafetensors } from '../checkpoint/safetensors';
import type { Params } from '../model/lswt';
import { isObject, type Obj, showValue } from '../validate';
import { type TrainConfig, TrainConfigError } from './config';
import type { LaPropParamState, LaPropState } from './laprop';
import { sha256Hex } from './provenance';

type TF = typeof tfjs;

export const RESUME_FILES = ['optimizer.safetensors', 'trainer_state.json'] as const;
const FORMAT = 'dph-trainer-state';

/** A trainer's state between steps (DPHTrainer.trainingState / restore), parameters named by state-dict name. */
export interface TrainingState {
	step: number;
	/** The epoch whose permutation is being drawn from (0 before the first draw) and the position in it. */
	data: { epoch: number; cursor: number; trainPairs: number };
	optimizer: LaPropState;
	/** Steps skipped so far on a non-finite loss (onNonFinite 'skip'): a count the run reports, carried on. */
	skippedSteps: number;
}

/** The config as a checkpoint keeps it: the JSONL text is replaced by its sha256. */
export type SavedConfig = Omit<TrainConfig, 'data'> & { data: Omit<TrainConfig['data'], 'jsonl'> };

export interface ResumePoint {
	/** What the user named (messages). */
	name: string;
	state: TrainingState;
	config: SavedConfig;
	jsonlSha256: string | null;
	/** float32 weights of the step, by parameter name. */
	weights: Map<string, Float32Array>;
	/** sha256 of the starting checkpoints' model.safetensors when the run began (`from`, `refFrom`). */
	sources: ResumeSources;
}

export interface ResumeSources {
	from: string | null;
	refFrom: string | null;
}

/** Fields a resumed run may change: they do not alter the steps already taken (steps may only grow). */
const FREE_FIELDS = new Set(['steps', 'evalEvery', 'exportDtype']);

export class ResumeError extends Error {
	override name = 'ResumeError';
}

function canonical(x: unknown): string {
	if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
	if (isObject(x)) {
		const keys = Object.keys(x)
			.filter((k) => x[k] !== undefined)
			.sort();
		return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`).join(',')}}`;
	}
	return JSON.stringify(x);
}

export function savedConfig(cfg: TrainConfig): SavedConfig {
	const { jsonl: _, ...data } = cfg.data;
	return { ...cfg, data };
}

export async function jsonlSha256(cfg: TrainConfig): Promise<string | null> {
	return cfg.data.jsonl === undefined ? null : sha256Hex(new TextEncoder().encode(cfg.data.jsonl));
}

/** sha256 of what must not change on resume: the config but its free fields, and the JSONL's hash. */
async function configHash(config: SavedConfig, jsonl: string | null): Promise<string> {
	const fixed = Object.fromEntries(Object.entries(config).filter(([k]) => !FREE_FIELDS.has(k)));
	return sha256Hex(new TextEncoder().encode(canonical({ config: fixed, jsonl })));
}

/** A LaProp state with its parameters renamed (Variable names ↔ state-dict names); an unknown name throws. */
export function renameState(state: LaPropState, rename: (name: string) => string | undefined): LaPropState {
	return {
		...state,
		params: state.params.map((p) => {
			const name = rename(p.name);
			if (name === undefined) throw new ResumeError(`optimizer state for unknown parameter ${p.name}`);
			return { ...p, name };
		}),
	};
}

/** Overwrite every parameter with `weights`; a missing, extra or wrongly sized tensor throws before any change. */
export function assignWeights(tf: TF, params: Params, weights: ReadonlyMap<string, Float32Array>): void {
	for (const [k, v] of Object.entries(params)) {
		const w = weights.get(k);
		if (!w) throw new ResumeError(`the resumed weights have no tensor ${k}`);
		if (w.length !== v.size)
			throw new ResumeError(`the resumed tensor ${k} has ${w.length} values, expected ${v.size}`);
	}
	const extra = [...weights.keys()].find((k) => !(k in params));
	if (extra) throw new ResumeError(`the resumed weights have a tensor ${extra} this model does not`);
	for (const [k, v] of Object.entries(params)) {
		const t = tf.tensor(weights.get(k) as Float32Array, v.shape, 'float32');
		v.assign(t);
		t.dispose();
	}
}

/**
 * The two resume files for `state`. `masters`: the float32 weights, given when model.safetensors is written in
 * 16 bits (its rounded values would not continue the run exactly).
 */
export async function resumeFiles(
	state: TrainingState,
	cfg: TrainConfig,
	masters: TensorEntry[] | null,
	sources: ResumeSources = { from: null, refFrom: null },
): Promise<{ 'optimizer.safetensors': Uint8Array; 'trainer_state.json': string }> {
	const tensors: TensorEntry[] = [];
	for (const p of state.optimizer.params) {
		const shape = [p.expAvg.length];
		tensors.push({ name: `exp_avg.${p.name}`, shape, data: p.expAvg });
		tensors.push({ name: `exp_avg_sq.${p.name}`, shape, data: p.expAvgSq });
		if (p.originalParam) tensors.push({ name: `original_param.${p.name}`, shape, data: p.originalParam });
	}
	for (const m of masters ?? []) tensors.push({ ...m, name: `param.${m.name}`, dtype: 'F32' });
	const config = savedConfig(cfg);
	const jsonl = await jsonlSha256(cfg);
	const { optimizer: o } = state;
	const json = {
		format: FORMAT,
		version: 1,
		step: state.step,
		skipped_steps: state.skippedSteps,
		seed: cfg.seed,
		data_order: { epoch: state.data.epoch, cursor: state.data.cursor, train_pairs: state.data.trainPairs },
		schedule: { step: state.step, total_steps: cfg.steps, warmup_steps: cfg.optim.warmupSteps },
		optimizer: {
			kind: o.kind,
			beta1: o.beta1,
			beta2: o.beta2,
			eps: o.eps,
			params: o.params.map((p) => ({ name: p.name, step: p.step, exp_avg_lr: p.expAvgLr })),
		},
		weights: masters ? 'optimizer.safetensors' : 'model.safetensors',
		config,
		source_sha256: { from: sources.from, ref_from: sources.refFrom },
		data_jsonl_sha256: jsonl,
		config_sha256: await configHash(config, jsonl),
	};
	return {
		'optimizer.safetensors': writeSafetensors(tensors, { format: 'pt', dph: 'laprop-state-v1' }),
		'trainer_state.json': `${JSON.stringify(json, null, 2)}\n`,
	};
}

const whole = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** Read a checkpoint folder's resume state and float32 weights; anything missing or inconsistent is a ResumeError. */
export async function readResume(folder: CheckpointFolder, name = folder.name): Promise<ResumePoint> {
	const fail = (why: string): never => {
		throw new ResumeError(`resume ${JSON.stringify(name)}: ${why}`);
	};
	const stateFile = await folder.file('trainer_state.json');
	if (!stateFile) {
		return fail(
			'it has no trainer_state.json: only a checkpoint dph train wrote (and not after a divergence) can be resumed',
		);
	}
	let j: Obj = {};
	try {
		const parsed: unknown = JSON.parse(await readText(stateFile));
		if (isObject(parsed)) j = parsed;
	} catch (e) {
		fail(`trainer_state.json is not valid JSON: ${(e as Error).message}`);
	}
	if (j.format !== FORMAT || j.version !== 1) fail(`trainer_state.json is not a ${FORMAT} version 1 file`);
	const order = j.data_order as Obj;
	const opt = j.optimizer as Obj;
	if (!whole(j.step) || !isObject(order) || !whole(order.epoch) || !whole(order.cursor) || !whole(order.train_pairs))
		fail('trainer_state.json has no valid step and data_order');
	if (!isObject(opt) || opt.kind !== 'laprop' || !Array.isArray(opt.params) || !isObject(j.config))
		fail('trainer_state.json has no valid optimizer and config');
	const config = j.config as unknown as SavedConfig;
	const jsonl = typeof j.data_jsonl_sha256 === 'string' ? j.data_jsonl_sha256 : null;
	if ((await configHash(config, jsonl)) !== j.config_sha256)
		fail("trainer_state.json's config does not match its config_sha256: the file was edited");
	const optFile = await folder.file('optimizer.safetensors');
	if (!optFile) return fail('it has trainer_state.json but no optimizer.safetensors');
	const st = await openSafetensors(optFile);
	const f32 = async (tensor: string, required: boolean): Promise<Float32Array | undefined> => {
		const info = st.tensor(tensor);
		if (!info) return required ? fail(`optimizer.safetensors has no tensor ${tensor}`) : undefined;
		// Exactness needs the float32 values themselves, not an upcast of rounded ones.
		if (info.dtype !== 'F32') fail(`optimizer.safetensors: ${tensor} is ${info.dtype}, expected F32`);
		return st.read(tensor);
	};
	const params: LaPropParamState[] = [];
	for (const p of opt.params as Obj[]) {
		if (!isObject(p) || typeof p.name !== 'string' || !whole(p.step) || typeof p.exp_avg_lr !== 'number')
			return fail(`trainer_state.json: bad optimizer entry ${showValue(p)}`);
		const ps: LaPropParamState = {
			name: p.name,
			step: p.step,
			expAvgLr: p.exp_avg_lr,
			expAvg: (await f32(`exp_avg.${p.name}`, true)) as Float32Array,
			expAvgSq: (await f32(`exp_avg_sq.${p.name}`, true)) as Float32Array,
		};
		const orig = await f32(`original_param.${p.name}`, false);
		if (orig) ps.originalParam = orig;
		params.push(ps);
	}
	const weights = new Map<string, Float32Array>();
	if (j.weights === 'optimizer.safetensors') {
		for (const t of st.tensors) if (t.name.startsWith('param.')) weights.set(t.name.slice(6), await st.read(t.name));
	} else {
		const model = await folder.file('model.safetensors');
		if (!model) return fail('it has no model.safetensors');
		const ms = await openSafetensors(model);
		for (const t of ms.tensors) {
			if (t.dtype !== 'F32') fail(`model.safetensors: ${t.name} is ${t.dtype}; resuming needs the float32 weights`);
			weights.set(t.name, await ms.read(t.name));
		}
	}
	const o = opt as { beta1: number; beta2: number; eps: number };
	const src = isObject(j.source_sha256) ? j.source_sha256 : {};
	const hex = (x: unknown) => (typeof x === 'string' ? x : null);
	return {
		name,
		state: {
			step: j.step as number,
			skippedSteps: whole(j.skipped_steps) ? j.skipped_steps : 0,
			data: { epoch: order.epoch as number, cursor: order.cursor as number, trainPairs: order.train_pairs as number },
			optimizer: { kind: 'laprop', version: 1, beta1: o.beta1, beta2: o.beta2, eps: o.eps, params },
		},
		config,
		jsonlSha256: jsonl,
		weights,
		sources: { from: hex(src.from), refFrom: hex(src.ref_from) },
	};
}

/** The first path where two JSON values differ ('' when equal). */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
	if (isObject(a) && isObject(b)) {
		const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
		for (const k of keys) {
			if (path === '' && FREE_FIELDS.has(k)) continue;
			const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
			if (d !== null) return d;
		}
		return null;
	}
	return canonical(a) === canonical(b) ? null : path || '(root)';
}

function valueAt(x: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), x);
}

/**
 * A resumed run must be the run it continues: every field but steps (which must pass the checkpoint's step),
 * evalEvery and exportDtype equal, and the same JSONL. The error names the first field that differs.
 */
export async function checkResumeConfig(point: ResumePoint, cfg: TrainConfig): Promise<void> {
	const here = savedConfig(cfg);
	const field = firstDifference(here, point.config, '');
	if (field !== null) {
		throw new TrainConfigError(
			`${field} is ${showValue(valueAt(here, field))} here but ${showValue(valueAt(point.config, field))} in the run being resumed (${point.name}); a resumed run keeps every setting but steps (which may grow), evalEvery and exportDtype`,
			field,
			valueAt(here, field),
		);
	}
	const jsonl = await jsonlSha256(cfg);
	if (jsonl !== point.jsonlSha256) {
		throw new TrainConfigError(
			`data.jsonl is not the JSONL the run being resumed (${point.name}) trained on (sha256 ${point.jsonlSha256} there, ${jsonl} here)`,
			'data.jsonl',
		);
	}
	if (cfg.steps <= point.state.step) {
		throw new TrainConfigError(
			`steps (${cfg.steps}) must be more than the step the checkpoint holds (${point.state.step}) to resume it`,
			'steps',
			cfg.steps,
		);
	}
}

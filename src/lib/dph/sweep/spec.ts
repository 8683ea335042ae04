/**
 * Sweep spec: a base training config plus grid axes, validated and expanded into a deterministic list of runs.
 *
 *   { "name": "pooler-objective", "preset": "sepdph-demo", "base": { <partial TrainConfig> },
 *     "grid": { "pooler": [...], "objective": ["sepdph", "condph"], "seed": [1, 2, 3] } }
 *
 * Run order: the cartesian product of the axes in the fixed order of AXES (pooler, objective, dphEps, dpoEps, beta,
 * dpoWeight, dphWeight, lr, noise, trainable, head, seed), the last axis varying fastest, so the seeds of one configuration are
 * neighbours. Within an axis, values keep the order the spec lists them in. A run's index in this order is what
 * `--shard` slices on and its id (`pooler=bert,objective=sepdph,seed=1`) is what the results store keys on, so
 * both must stay stable: the order of keys in the JSON file does not matter, the order of values does.
 *
 * Every run's full TrainConfig goes through resolveTrainConfig here, so a bad combination is reported before
 * anything runs. A base that sets steps but no warm-up gets the warm-up `dph train --steps` would give it
 * (withScaledWarmup).
 *
 * `base.from` / `base.refFrom` name a starting checkpoint as the driver reads it (the CLI: a path relative to the
 * spec file; the page: a URL). They stay in the configs as written, so a run's id and config hash do not depend on
 * where the spec file lies; the runner's `openCheckpoint` resolves them.
 */

import { hashString } from '../hash';
import { DPH_OBJECTIVES, type DphObjective } from '../losses';
import { POOLERS, type PoolerName } from '../model/config';
import {
	DEFAULT_TRAIN_CONFIG,
	resolveTrainConfig,
	TRAIN_PRESETS,
	type TrainConfig,
	TrainConfigError,
	withScaledWarmup,
} from '../train/config';
import { TRAINABLE_MODES, type TrainableMode } from '../train/freeze';
import { ConfigError, checkers, isObject, type Obj, showValue } from '../validate';

/** Grid axes in run order; seed last so it varies fastest. */
export const AXES = [
	'pooler',
	'objective',
	'dphEps',
	'dpoEps',
	'beta',
	'dpoWeight',
	'dphWeight',
	'lr',
	'noise',
	'trainable',
	'head',
	'seed',
] as const;
export type Axis = (typeof AXES)[number];

export type ParamValue = string | number;
/** The grid values of one run, only for the axes the spec names, in AXES order. */
export type RunParams = Partial<Record<Axis, ParamValue>>;

export interface SweepGrid {
	pooler?: PoolerName[];
	objective?: DphObjective[];
	dphEps?: number[];
	dpoEps?: number[];
	beta?: number[];
	/** α1: weight of the cDPO loss. */
	dpoWeight?: number[];
	/** α2: weight of the DPH loss. */
	dphWeight?: number[];
	lr?: number[];
	/** Label-noise rate η of the training pairs. */
	noise?: number[];
	/** Freezing mode: all, no-backbone, heads (the paper's frozen-backbone ablation). */
	trainable?: TrainableMode[];
	/**
	 * A reward head by name (task-specific heads): the training config's `heads.name`, merged with the base's other
	 * `heads` options (e.g. `reinit: "head"` to add the head to a checkpoint that lacks it).
	 */
	head?: string[];
	seed?: number[];
}

export type SweepPreset = 'sepdph-demo' | 'condph-demo';
export const SWEEP_PRESETS: readonly SweepPreset[] = ['sepdph-demo', 'condph-demo'];

export interface SweepSpec {
	name: string;
	preset: SweepPreset;
	/** Partial TrainConfig merged over the preset. */
	base: Record<string, unknown>;
	grid: SweepGrid;
}

export interface SweepRun {
	/** Position in the full expansion (not in a shard). */
	index: number;
	id: string;
	params: RunParams;
	config: TrainConfig;
	/** Hash of the resolved config: tells a resumed sweep whether a stored result still matches its run. */
	configHash: string;
}

export interface ExpandedSweep {
	spec: SweepSpec;
	/** Hash of the normalised spec; stored with every result so merge can tell sweeps apart. */
	hash: string;
	/** Axes the grid names, in AXES order. */
	axes: Axis[];
	runs: SweepRun[];
}

export const MAX_RUNS = 10_000;

/** An invalid sweep spec; `field` is the path of the offending field, e.g. `grid.dphEps[2]` or `base.optim.lr`. */
export class SweepSpecError extends ConfigError {
	override name = 'SweepSpecError';
}

const { array, knownKeys, oneOf, reject } = checkers(SweepSpecError);

/** Where each axis lands in a TrainConfig. */
const AXIS_PATH: Record<Axis, readonly [string] | readonly [string, string]> = {
	pooler: ['model', 'pooler'],
	objective: ['objective', 'dph'],
	dphEps: ['objective', 'dphEps'],
	dpoEps: ['objective', 'dpoEps'],
	beta: ['objective', 'beta'],
	dpoWeight: ['objective', 'dpoWeight'],
	dphWeight: ['objective', 'dphWeight'],
	lr: ['optim', 'lr'],
	noise: ['data', 'noise'],
	trainable: ['trainable'],
	head: ['heads', 'name'],
	seed: ['seed'],
};

/** Axes whose values are strings: from a fixed list, or (null) any non-empty name. */
const STRING_AXES: Partial<Record<Axis, readonly string[] | null>> = {
	pooler: POOLERS,
	objective: DPH_OBJECTIVES,
	trainable: TRAINABLE_MODES,
	head: null,
};

/** Set `value` at an axis's path in a (partial, raw) config, copying the objects on the way. */
function withAxis(raw: Obj, axis: Axis, value: ParamValue): Obj {
	// From a checkpoint the pooler is the new heads' (heads.reinit "pooler+head"): the paper's Table 6 set-up.
	const path = axis === 'pooler' && raw.from !== undefined ? (['heads', 'pooler'] as const) : AXIS_PATH[axis];
	if (path.length === 1) return { ...raw, [path[0]]: value };
	const inner = raw[path[0]];
	return { ...raw, [path[0]]: { ...(isObject(inner) ? inner : {}), [path[1]]: value } };
}

/** JSON with object keys sorted, so the hash does not depend on how the file orders its keys. */
function canonical(x: unknown): string {
	if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
	if (isObject(x)) {
		return `{${Object.keys(x)
			.sort()
			.filter((k) => x[k] !== undefined)
			.map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(x);
}

export function hashConfig(cfg: TrainConfig): string {
	return hashString(canonical(cfg));
}

/** `pooler=bert,objective=sepdph,seed=1`: stable as long as the values are. */
export function runId(params: RunParams): string {
	const parts = AXES.filter((a) => params[a] !== undefined).map((a) => `${a}=${params[a]}`);
	return parts.join(',');
}

const fieldOf = (e: unknown) => (e instanceof TrainConfigError ? e.field : '');

/** A run's config from its raw (partial) config, with the warm-up scaled to its steps as `dph train` does. */
const resolveRun = (raw: Obj, presetBase: TrainConfig) =>
	resolveTrainConfig(withScaledWarmup(raw, presetBase), presetBase);

/** Validate a raw sweep spec (parsed JSON). Errors name the field path and list what is allowed. */
export function parseSweepSpec(raw: unknown, opts: { defaultName?: string } = {}): SweepSpec {
	if (!isObject(raw)) return reject('(root)', 'the sweep spec must be a JSON object', raw);
	knownKeys('', raw, ['name', 'preset', 'base', 'grid'], 'a sweep field');
	const name = raw.name ?? opts.defaultName ?? 'sweep';
	if (typeof name !== 'string' || !/^[\w.-]{1,100}$/.test(name)) {
		reject(
			'name',
			`name = ${showValue(name)} is invalid: use 1–100 letters, digits, "_", "-" or "." (it names result files and stores)`,
			name,
		);
	}
	const preset = oneOf('preset', raw.preset ?? 'sepdph-demo', SWEEP_PRESETS);
	const base = raw.base ?? {};
	if (!isObject(base)) return reject('base', 'base must be an object (a partial training config)', base);
	const rawGrid = raw.grid;
	if (!isObject(rawGrid)) {
		return reject('grid', `grid must be an object with one or more axes (known: ${AXES.join(', ')})`, rawGrid);
	}
	const presetBase = TRAIN_PRESETS[preset](DEFAULT_TRAIN_CONFIG);
	// The base alone must be a valid config before its axes are varied.
	try {
		resolveRun(base, presetBase);
	} catch (e) {
		const f = fieldOf(e);
		reject(f ? `base.${f}` : 'base', `base.${(e as Error).message}`);
	}
	const axes = Object.keys(rawGrid);
	if (!axes.length) {
		reject('grid', `grid has no axes; give at least one of ${AXES.join(', ')} (e.g. "seed": [1, 2, 3])`);
	}
	knownKeys('grid', rawGrid, AXES, 'a sweep axis');
	// From a checkpoint the model is its config.json: the pooler varies only as newly initialised heads.
	const reinit = isObject(base.heads) ? base.heads.reinit : undefined;
	if (base.from !== undefined && rawGrid.pooler !== undefined && reinit !== 'pooler+head') {
		reject(
			'grid.pooler',
			'grid.pooler with base.from trains a new pooler and head per value: set base.heads.reinit to "pooler+head" (the checkpoint’s own pooler comes from its config.json), or vary trainable or the objective instead',
			rawGrid.pooler,
		);
	}
	const grid: SweepGrid = {};
	for (const a of axes as Axis[]) {
		const field = `grid.${a}`;
		const seen = new Set<string>();
		const values = array(
			field,
			rawGrid[a],
			(v, at) => checkAxisValue(a, v, at, seen, base, presetBase),
			'an array of values',
		);
		if (!values.length) reject(field, `${field} is empty; give at least one value or leave the axis out`, values);
		(grid as Record<Axis, ParamValue[]>)[a] = values;
	}
	const total = AXES.reduce((n, a) => n * (grid[a]?.length ?? 1), 1);
	if (total > MAX_RUNS) {
		const sizes = AXES.filter((a) => grid[a])
			.map((a) => `${a} ${grid[a]?.length}`)
			.join(' × ');
		reject('grid', `grid expands to ${total} runs (${sizes}); the limit is ${MAX_RUNS}`, total);
	}
	return { name: name as string, preset, base, grid };
}

/** One value of a grid axis at `at`: of the axis's type, not listed twice, and valid over the base alone. */
function checkAxisValue(a: Axis, v: unknown, at: string, seen: Set<string>, base: Obj, presetBase: TrainConfig) {
	const choices = STRING_AXES[a];
	if (choices) oneOf(at, v, choices);
	else if (choices === null) {
		if (typeof v !== 'string' || !v) reject(at, `${at} = ${showValue(v)} is invalid: must be a non-empty name`, v);
	} else if (typeof v !== 'number' || !Number.isFinite(v))
		reject(at, `${at} = ${showValue(v)} is invalid: must be a number`, v);
	if (seen.has(String(v))) reject(at, `${at} = ${showValue(v)} is listed twice`, v);
	seen.add(String(v));
	// The value alone over the base: reuses the training config's ranges, reported at the grid's path.
	try {
		resolveRun(withAxis(base, a, v as ParamValue), presetBase);
	} catch (e) {
		const f = fieldOf(e);
		const msg = (e as Error).message;
		const where = AXIS_PATH[a].join('.');
		reject(
			at,
			f === where && msg.startsWith(`${f} = `)
				? `${at}${msg.slice(f.length).replace(' is invalid:', ' is out of range:')} (${where})`
				: `${at} = ${showValue(v)}: ${msg}`,
			v,
		);
	}
	return v as ParamValue;
}

/** All runs of a spec in run order, each with a resolved, validated TrainConfig. */
export function expandSweep(spec: SweepSpec): ExpandedSweep {
	const axes = AXES.filter((a) => spec.grid[a] !== undefined);
	const presetBase = TRAIN_PRESETS[spec.preset](DEFAULT_TRAIN_CONFIG);
	const runs: SweepRun[] = [];
	const combos: RunParams[] = [{}];
	for (const a of axes) {
		const values = spec.grid[a] as ParamValue[];
		const next: RunParams[] = [];
		for (const c of combos) for (const v of values) next.push({ ...c, [a]: v });
		combos.splice(0, combos.length, ...next);
	}
	combos.forEach((params, index) => {
		let raw: Obj = spec.base;
		for (const a of axes) raw = withAxis(raw, a, params[a] as ParamValue);
		const id = runId(params);
		let config: TrainConfig;
		try {
			config = resolveRun(raw, presetBase);
		} catch (e) {
			throw new SweepSpecError(`run ${index} (${id}): ${(e as Error).message}`, fieldOf(e) || 'grid');
		}
		runs.push({ index, id, params, config, configHash: hashConfig(config) });
	});
	const hash = hashString(canonical({ name: spec.name, preset: spec.preset, base: spec.base, grid: spec.grid }));
	return { spec, hash, axes, runs };
}

/** Parse and expand in one go (what the CLI and the worker do with a spec file). */
export function loadSweep(raw: unknown, opts: { defaultName?: string } = {}): ExpandedSweep {
	return expandSweep(parseSweepSpec(raw, opts));
}

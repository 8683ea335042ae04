/**
 * The Train page's whole setup as one flat record that lives in the URL hash (`#from=demo:nano-echo-sepdph&steps=20`),
 * so a shared link reproduces it, and the training config built from it. Only values that differ from the defaults
 * go into the hash; a value a link gives that the page cannot take is reported and the default kept, so an old or
 * hand-edited link still opens.
 *
 * Files cannot travel in a link: a setup that starts from an opened folder (`from=files:NAME`) or trains on a JSONL
 * file (`task=jsonl&jsonl=NAME`) records their names, and the page asks for them again.
 */
import { DPH_OBJECTIVES, type DphObjective } from '$lib/dph/losses';
import { POOLERS, type PoolerName } from '$lib/dph/model/config';
import { DEFAULT_TRAIN_CONFIG, TRAIN_PRESETS, withScaledWarmup } from '$lib/dph/train/config';
import { TRAINABLE_MODES, type TrainableMode } from '$lib/dph/train/freeze';
import { readHash, writeHash } from '$lib/notebook/urlstate';

export const SYNTHETIC_TASKS = ['echo', 'arithmetic', 'multiple-choice', 'copy', 'parity'] as const;
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];

export interface TrainSetup {
	/** A TRAIN_PRESETS name: the base every other field is merged over. */
	preset: string;
	/** `scratch`, `demo:NAME` (shipped), `stored:NAME` (IndexedDB) or `files:NAME` (opened from disk). */
	from: string;
	/** The random model of a scratch run. */
	model: 'nano' | 'tiny';
	pooler: PoolerName;
	trainable: TrainableMode;
	/** '' trains the checkpoint's first head as it is; a name trains a fresh head of that name (heads.reinit "head"). */
	head: string;
	task: SyntheticTask | 'jsonl';
	/** Name of the JSONL file (task `jsonl`): shown, and asked for again when a link is opened. */
	jsonl: string;
	dph: DphObjective;
	eps: number;
	noise: number;
	steps: number;
	lr: number;
	dpoWeight: number;
	seed: number;
}

/** The setup a preset gives: the preset's values for the fields the page shows. */
export function presetSetup(preset: string, from = 'scratch'): TrainSetup {
	const c = (TRAIN_PRESETS[preset] ?? TRAIN_PRESETS['sepdph-demo'])(DEFAULT_TRAIN_CONFIG);
	return {
		preset: TRAIN_PRESETS[preset] ? preset : 'sepdph-demo',
		from,
		model: c.model.preset,
		pooler: c.model.pooler,
		trainable: c.trainable,
		head: c.heads?.reinit === 'head' && c.heads.name ? c.heads.name : '',
		task: (SYNTHETIC_TASKS as readonly string[]).includes(c.data.task) ? (c.data.task as SyntheticTask) : 'echo',
		jsonl: '',
		dph: c.objective.dph,
		eps: c.objective.dphEps,
		noise: c.data.noise,
		steps: c.steps,
		lr: c.optim.lr,
		dpoWeight: c.objective.dpoWeight,
		seed: c.seed,
	};
}

export const DEFAULT_SETUP: TrainSetup = presetSetup('sepdph-demo');

type Check = (v: unknown) => boolean;
const among =
	(xs: readonly string[]): Check =>
	(v) =>
		typeof v === 'string' && xs.includes(v);
const number =
	(ok: (n: number) => boolean): Check =>
	(v) =>
		typeof v === 'number' && Number.isFinite(v) && ok(v);
const whole = (lo: number, hi: number) => number((x) => Number.isInteger(x) && x >= lo && x <= hi);

/** What each field of a link may hold; the form's own ranges are checked again by the trainer's config. */
const FIELDS: Record<keyof TrainSetup, Check> = {
	preset: (v) => typeof v === 'string' && v in TRAIN_PRESETS,
	from: (v) => typeof v === 'string' && (v === 'scratch' || /^(demo|stored|files):.+/.test(v)),
	model: among(['nano', 'tiny']),
	pooler: among(POOLERS),
	trainable: among(TRAINABLE_MODES),
	head: (v) => typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v),
	task: among([...SYNTHETIC_TASKS, 'jsonl']),
	jsonl: (v) => typeof v === 'string',
	dph: among(DPH_OBJECTIVES),
	eps: number((x) => x >= 0 && x <= 0.5),
	noise: number((x) => x >= 0 && x < 0.5),
	steps: whole(1, 100_000),
	lr: number((x) => x > 0 && x < 1),
	dpoWeight: number((x) => x >= 0),
	seed: whole(0, 2 ** 32 - 1),
};

/** The setup a URL hash describes, and what in it could not be used (each named, with the default kept). */
export function setupFromHash(hash: string): { setup: TrainSetup; problems: string[] } {
	const values = readHash(hash);
	const problems: string[] = [];
	// A link's preset is the base of the fields it does not give.
	const p = values.get('preset');
	const setup: TrainSetup = presetSetup(typeof p === 'string' ? p : DEFAULT_SETUP.preset);
	const out = setup as unknown as Record<string, unknown>;
	for (const [k, v] of values) {
		if (!(k in FIELDS)) {
			problems.push(`the link's "${k}" is not a setting of this page; ignored`);
			continue;
		}
		// A name that happens to parse as JSON (a file called 123) is still the name.
		const value = (k === 'jsonl' || k === 'from' || k === 'head') && typeof v !== 'string' ? String(v) : v;
		if (FIELDS[k as keyof TrainSetup](value)) out[k] = value;
		else problems.push(`the link's ${k} = ${JSON.stringify(v)} cannot be used; kept ${JSON.stringify(out[k])}`);
	}
	return { setup, problems };
}

/** The hash for a setup: the fields that differ from its preset's, in a fixed order. */
export function setupToHash(s: TrainSetup): string {
	const base = presetSetup(s.preset);
	const values = new Map<string, unknown>();
	for (const k of Object.keys(FIELDS) as (keyof TrainSetup)[]) {
		if (k === 'preset' ? s.preset !== DEFAULT_SETUP.preset : s[k] !== base[k]) values.set(k, s[k]);
	}
	return writeHash(values);
}

/** `demo:nano-echo-sepdph` → { kind: 'demo', name: 'nano-echo-sepdph' }; scratch → null. */
export function startOf(from: string): { kind: 'demo' | 'stored' | 'files'; name: string } | null {
	const m = /^(demo|stored|files):(.+)$/.exec(from);
	return m ? { kind: m[1] as 'demo' | 'stored' | 'files', name: m[2] } : null;
}

/**
 * The (partial) training config of a setup, merged over its preset by the worker. From a checkpoint the model
 * comes from its config.json, so the scratch-only fields are left out; `from` names the start for the closing
 * summary and training_config.json. `jsonlText` is the chosen file's text (task `jsonl`).
 */
export function setupConfig(s: TrainSetup, jsonlText?: string): Record<string, unknown> {
	const start = startOf(s.from);
	const preset = (TRAIN_PRESETS[s.preset] ?? TRAIN_PRESETS['sepdph-demo'])(DEFAULT_TRAIN_CONFIG);
	return withScaledWarmup(
		{
			steps: s.steps,
			seed: s.seed,
			trainable: s.trainable,
			...(s.head ? { heads: { reinit: 'head', name: s.head } } : {}),
			...(start ? { from: start.name } : { model: { preset: s.model, pooler: s.pooler } }),
			data:
				s.task === 'jsonl'
					? { task: 'jsonl', jsonl: jsonlText ?? '' }
					: { task: s.task, noise: s.noise, validationPairs: 64 },
			objective: { dph: s.dph, dphEps: s.eps, dpoWeight: s.dpoWeight },
			optim: { lr: s.lr },
			evalEvery: Math.max(10, Math.floor(s.steps / 10)),
		},
		preset,
	);
}

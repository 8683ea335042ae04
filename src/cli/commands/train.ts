import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { getTf, initBackend } from '../../lib/dph/backend.ts';
import { HeadError } from '../../lib/dph/model/heads.ts';
import type { TrainConfig } from '../../lib/dph/train/config.ts';
import {
	DEFAULT_TRAIN_CONFIG,
	resolveTrainConfig,
	TRAIN_PRESETS,
	TrainConfigError,
	withScaledWarmup,
} from '../../lib/dph/train/config.ts';
import { TRAINABLE_MODES } from '../../lib/dph/train/freeze.ts';
import { folderFileSha256 } from '../../lib/dph/train/provenance.ts';
import { checkResumeConfig, ResumeError, type ResumePoint, readResume } from '../../lib/dph/train/resume.ts';
import { loadStart, overriddenModelFields, StartError, type StartPoint } from '../../lib/dph/train/start.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';
import { isObject } from '../../lib/dph/validate.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import { backendArg, type CliCommand, cliOptions, headlessBackend, int, str, UsageError } from '../args.ts';
import { readTrainConfigFile } from '../config-file.ts';
import { checkDataFile, type DataFile, readDataFlag } from '../train-data.ts';
import { checkOutFolder, type RunSources, runTraining } from '../train-run.ts';

const DTYPES = ['f32', 'f16', 'bf16'] as const;

async function openResume(dir: string): Promise<ResumePoint> {
	try {
		return await readResume(await dirFolder(resolve(dir)), dir);
	} catch (e) {
		const m = (e as Error).message;
		throw new UsageError(e instanceof ResumeError ? m : `resume ${JSON.stringify(dir)}: ${m}`);
	}
}

/** The resumed folder's metrics.jsonl up to its step, so the new folder's holds the whole run. */
function priorMetrics(dir: string, step: number): string[] {
	let text = '';
	try {
		text = readFileSync(join(resolve(dir), 'metrics.jsonl'), 'utf8');
	} catch {
		return [];
	}
	return text.split('\n').filter((l) => {
		if (!l.trim()) return false;
		try {
			return (JSON.parse(l) as { step?: number }).step! <= step;
		} catch {
			return false;
		}
	});
}

/** sha256 of a starting checkpoint's weights, checked against the one a resumed run began from. */
async function source(path: string | undefined, recorded: string | null | undefined, field: string) {
	if (path === undefined) return null;
	// A folder that does not load is reported by loadStart below, with the field it came from.
	const sha256 = await dirFolder(path)
		.then(folderFileSha256)
		.catch(() => null);
	if (recorded && sha256 !== recorded) {
		throw new UsageError(
			`--resume: ${field} ${JSON.stringify(path)} has changed since the run began: its model.safetensors has sha256 ${sha256}, the run started from ${recorded}`,
		);
	}
	return { path, sha256 };
}

export const trainCommand: CliCommand = {
	name: 'train',
	summary: 'train a small DPH model (LSWT + pooler + reward head, joint cDPO + DPH) and write a checkpoint folder',
	usage:
		'dph train [config.json] [--from DIR] [--ref DIR] [--data FILE.jsonl] [--preset NAME] [--steps N] [--trainable all|no-backbone|heads] [--head NAME] [--dtype f32|f16|bf16] [--resume DIR] [--backend webgpu|wasm|cpu] [--seed S] [--out DIR] [--json]',
	help: `Trains on a built-in synthetic task, or on your own pairs (data.task "jsonl" and data.jsonlPath, a JSONL
file relative to the config file's folder), and writes a Hugging Face–layout folder (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json) plus metrics.jsonl, training_config.json (the config
and its provenance: starting checkpoint and its sha256, freezing, final metrics) and the resume state
(optimizer.safetensors, trainer_state.json).
Progress goes to stderr; the last line on stdout is one JSON object with validation metrics.
Options:
  config.json       training options (see docs/TRAINING.md), merged over the preset, e.g.
                    {"steps": 300, "data": {"task": "jsonl", "jsonlPath": "pairs.jsonl"}}
  --from DIR        start from this checkpoint folder (e.g. one dph train wrote): its config.json, weights
                    and tokenizer are used, model.* is ignored; the cDPO reference is a frozen copy of it.
                    Config field "from" (relative to the config file's folder)
  --ref DIR         the cDPO reference checkpoint instead (config "refFrom"); the same model and tokenizer
  --data FILE       train on this JSONL file (data.task "jsonl"; relative to the working folder): TRL
                    {"prompt","chosen","rejected"} or {"messages","candidates","label"} pairs, or
                    {"messages":[…]} chats for SFT alone (objective dpoWeight = dphWeight = 0, sftWeight > 0).
                    Bad lines are skipped with a warning naming the file and line
  --preset NAME     the base config: sepdph-demo (default) or condph-demo (the nano demo), or the paper's
                    paper-alignment (§4.5: lr 3e-6, 200 warm-up, cosine to 3e-7, β 0.6, cDPO ε 0.25, DPH ε 0.1,
                    pooler dropout 0.1, prior regularization 0.5, 64 pairs/step, 23040 steps) or
                    paper-frozen-heads (Table 6: heads only, no dropout), meant with --from (docs/TRAINING.md)
  --steps N         optimizer steps; without optim.warmupSteps the warm-up is min(20, N/10)
  --trainable MODE  all (default), no-backbone (transformer blocks frozen, the reference's
                    trainable_backbone: false) or heads (pooler + reward heads only); the
                    config's "frozen" patterns freeze more (docs/TRAINING.md, Freezing)
  --head NAME       the reward head to train (config heads.name; default the first); the others are
                    left untouched. A name the checkpoint lacks needs config heads.reinit "head" (Heads)
  --dtype D         model.safetensors in f32 (default), f16 or bf16 (config "exportDtype"); weights beyond
                    the F16 range (|x| > 65504) are written as f32 with a warning naming the tensor
  --resume DIR      continue the run that wrote DIR, exactly: its weights, optimizer state, step and data
                    order; its config is the base (a config file or flags may only change steps, which may
                    grow, evalEvery and the dtype; anything else is an error naming the field). --out
                    defaults to DIR. The schedule is laid over the new steps from the resume point on
  --backend NAME    webgpu, wasm or cpu (default: a GPU if WebGPU has one, else wasm; a software
                    WebGPU adapter such as SwiftShader is slower than wasm and is passed over)
  --seed S          random seed (data, initialisation, dropout)
  --out DIR         checkpoint folder (default runs/<preset>-seed<S>)
  --json            print only the final JSON object on stdout`,
	options: cliOptions({
		string: [
			'preset',
			'steps',
			'trainable',
			'head',
			'backend',
			'seed',
			'out',
			'from',
			'ref',
			'dtype',
			'resume',
			'data',
		],
		boolean: ['json'],
	}),
	async run(args, io) {
		const presetFlag = str(args, 'preset');
		const presetName = presetFlag ?? 'sepdph-demo';
		const makePreset = TRAIN_PRESETS[presetName];
		if (!makePreset)
			throw new UsageError(`--preset must be one of ${Object.keys(TRAIN_PRESETS).join(', ')}, got "${presetName}"`);
		const backend = backendArg(args);
		const file = args.positionals[0];
		const raw: Record<string, unknown> = file ? readTrainConfigFile(file) : {};
		// The flags are checked on their own first, so a bad --steps is not blamed on a field derived from it.
		const steps = int(args, 'steps', 1);
		const seed = int(args, 'seed', 0, 2 ** 32 - 1);
		// A path in the config file is relative to the file's folder, like data.jsonlPath; a flag's, to the working one.
		for (const k of ['from', 'refFrom'] as const) {
			if (file && typeof raw[k] === 'string' && raw[k]) raw[k] = resolve(dirname(file), raw[k] as string);
		}
		const fromFlag = str(args, 'from');
		const refFlag = str(args, 'ref');
		if (fromFlag !== undefined) raw.from = resolve(fromFlag);
		if (refFlag !== undefined) raw.refFrom = resolve(refFlag);
		if (steps !== undefined) raw.steps = steps;
		if (seed !== undefined) raw.seed = seed;
		const trainable = str(args, 'trainable');
		if (trainable !== undefined) {
			if (!(TRAINABLE_MODES as readonly string[]).includes(trainable))
				throw new UsageError(`--trainable must be one of ${TRAINABLE_MODES.join(', ')}, got "${trainable}"`);
			raw.trainable = trainable;
		}
		const head = str(args, 'head');
		if (head !== undefined) raw.heads = { ...(isObject(raw.heads) ? raw.heads : {}), name: head };
		const dataFlag = str(args, 'data');
		const dataFile: DataFile | null = dataFlag === undefined ? null : readDataFlag(dataFlag, raw);
		const dtype = str(args, 'dtype');
		if (dtype !== undefined) {
			if (!(DTYPES as readonly string[]).includes(dtype))
				throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got "${dtype}"`);
			raw.exportDtype = dtype;
		}
		const resumeDir = str(args, 'resume');
		const point = resumeDir === undefined ? undefined : await openResume(resumeDir);
		if (
			point?.config.data.task === 'jsonl' &&
			typeof (raw.data as { jsonl?: unknown } | undefined)?.jsonl !== 'string'
		) {
			throw new UsageError(
				`--resume ${resumeDir}: the run trained on a JSONL file (sha256 ${point.jsonlSha256}), which the checkpoint does not hold; give it again (--data FILE, or a config file with data.jsonlPath)`,
			);
		}
		let cfg: TrainConfig;
		try {
			// A resumed run's base is its own config, not the preset's, and its warm-up is not rescaled.
			const saved = point?.config as TrainConfig | undefined;
			const preset = saved && !presetFlag ? saved : makePreset(saved ?? DEFAULT_TRAIN_CONFIG);
			cfg = resolveTrainConfig(point ? raw : withScaledWarmup(raw, preset), preset);
		} catch (e) {
			throw new UsageError(`${file ?? 'config'}: ${(e as Error).message}`);
		}
		const dataWarnings = dataFile ? checkDataFile(dataFile, cfg) : [];
		if (point) {
			try {
				await checkResumeConfig(point, cfg);
			} catch (e) {
				if (e instanceof TrainConfigError) throw new UsageError(`--resume ${resumeDir}: ${e.message}`);
				throw e;
			}
		}
		const out = resolve(
			str(args, 'out') ?? (resumeDir !== undefined ? resumeDir : join('runs', `${presetName}-seed${cfg.seed}`)),
		);
		try {
			// A base model's folder is never written to: heads trained on it go to a folder of their own.
			if (cfg.from !== undefined && resolve(cfg.from) === out) {
				throw new Error(`${out} is the folder of the starting checkpoint (--from); give another --out`);
			}
			await checkOutFolder(out);
		} catch (e) {
			throw new UsageError(`--out ${(e as Error).message}`);
		}
		const report = await initBackend(headlessBackend(backend));
		const tf = await getTf();
		const log = (s: string) => io.stderr(s);
		// Hashed before loading, so a resumed run whose `from` changed stops before any tensor exists.
		const sources: RunSources = {
			from: await source(cfg.from, point?.sources.from, 'from'),
			refFrom: await source(cfg.refFrom, point?.sources.refFrom, 'refFrom'),
			resumed: point
				? { path: resolve(point.name), step: point.state.step, metrics: priorMetrics(point.name, point.state.step) }
				: null,
		};
		let start: StartPoint | undefined;
		if (cfg.from !== undefined) {
			const ignored = overriddenModelFields(raw);
			if (ignored.length) {
				log(
					`warning: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored: the model comes from the config.json of ${cfg.from}\n`,
				);
			}
			try {
				start = await loadStart(tf, dirFolder, cfg.from, cfg.refFrom);
			} catch (e) {
				if (e instanceof StartError) throw new UsageError(e.message);
				throw e;
			}
			for (const n of start.checkpoint.notes) log(`note: ${n}\n`);
		}
		let trainer: DPHTrainer;
		try {
			trainer = new DPHTrainer(tf, cfg, start);
		} catch (e) {
			// A `frozen` pattern that matches no parameter is only found once the model exists.
			if (e instanceof TrainConfigError || e instanceof HeadError) {
				throw new UsageError(`${file ?? 'config'}: ${e.message}`);
			}
			throw e;
		}
		if (point) {
			try {
				trainer.restore(point.state, point.weights);
			} catch (e) {
				trainer.dispose();
				throw new UsageError(`--resume ${resumeDir}: ${(e as Error).message}`);
			}
		}
		for (const n of trainer.heads.notes) log(`note: ${n}\n`);
		for (const w of [...dataWarnings, ...trainer.dataReport.warnings]) log(`warning: ${w}\n`);
		const { droppedOverlong: dropped, truncated } = trainer.dataReport;
		if (dropped || truncated) {
			log(
				`note: ${[dropped && `${dropped} example${dropped === 1 ? '' : 's'} longer than data.maxLen ${cfg.data.maxLen} dropped`, truncated && `${truncated} truncated`].filter(Boolean).join(', ')} (data.overlong "${cfg.data.overlong}")\n`,
			);
		}
		const model = start
			? `${start.checkpoint.card.name} from ${cfg.from}${cfg.refFrom ? ` (reference ${cfg.refFrom})` : ''}`
			: `${cfg.model.preset} model`;
		log(
			`dph train: ${presetName} on ${report.label} · ${model} (${trainer.parameterCount.toLocaleString('en')} parameters, ${trainer.modelConfig.reward_pooler} pooler, head ${trainer.heads.head}${trainer.cache ? ', backbone cached' : ''}) · ` +
				`${cfg.objective.dph} ε=${cfg.objective.dphEps}, cDPO β=${cfg.objective.beta} ε=${cfg.objective.dpoEps}${cfg.objective.sftWeight ? ` · SFT α=${cfg.objective.sftWeight}` : ''} · task ${cfg.data.task} · ${cfg.steps} steps${trainer.frozenNames.length ? ` · trainable ${cfg.trainable}, ${trainer.frozenNames.length} tensors frozen` : ''}\n`,
		);
		if (point) log(`resuming at step ${point.state.step} of ${point.name}\n`);
		return runTraining(trainer, cfg, out, io, report.backend, sources);
	},
};

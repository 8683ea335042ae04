/**
 * Jobs the compute worker can run, by kind. The page imports only the types; the worker imports the registry.
 * Later work (training, sweeps, margin simulations) adds kinds here.
 */
import type { BackendName } from '../dph/backend';
import type { LoadedCheckpoint, LoadProgress, ModelCard, StateDictReport } from '../dph/checkpoint/load';
import type { MultipleChoiceItem } from '../dph/data/types';
import type { Accuracy, ItemScore } from '../dph/score';
import type { SelfTestResult, SelfTestStep } from '../dph/selftest';
import type { SweepTable } from '../dph/sweep/aggregate';
import type { RunResult } from '../dph/sweep/results';
import type { SweepProgress } from '../dph/sweep/runner';
import { loadSweep } from '../dph/sweep/spec';
import type { CheckpointFiles, EvalMetrics, StepMetrics } from '../dph/train/trainer';

export type TrainProgress = ({ kind: 'train' } & StepMetrics) | ({ kind: 'validation' } & EvalMetrics);

export interface TrainResult {
	/** Last validation metrics. */
	validation: EvalMetrics | null;
	steps: number;
	stopped: boolean;
	/** Set when training stopped on a non-finite value (the checkpoint is the last good one). */
	error: string | null;
	backend: string;
	parameters: number;
	files: CheckpointFiles;
}

/**
 * Sweep progress. `step` counts optimizer steps over the whole queue (finished runs included), so the generic
 * progress bar of notebook jobs (`step` out of jobTotal) works; `progress.step` is the step within the run.
 */
export type SweepJobProgress =
	| { kind: 'step'; step: number; progress: SweepProgress }
	| { kind: 'run'; step: number; result: RunResult; runsDone: number; runsTotal: number };

export interface SweepJobResult {
	/** Every run of the sweep that has a result (stored earlier or now), in run order. */
	results: RunResult[];
	table: SweepTable;
	executed: number;
	skipped: number;
	stopped: boolean;
	backend: string;
}

/** Where the worker reads a checkpoint folder from: files the user picked or dropped, or a URL (static/…). */
export type CheckpointSource = { kind: 'files'; files: File[]; name?: string } | { kind: 'url'; url: string };

export interface CheckpointResult {
	/** Handle of the model now held by the worker; `score` jobs name it. */
	id: number;
	card: ModelCard;
	notes: string[];
	defaulted: string[];
	report: StateDictReport;
	backend: string;
	seconds: number;
}

export interface ScoreResult {
	scores: ItemScore[];
	accuracy: Accuracy | null;
	msPerCandidate: number;
}

export interface JobSpecs {
	selftest: {
		params: { steps: number; backend?: BackendName; seed?: number; batch?: number };
		progress: SelfTestStep;
		result: SelfTestResult;
	};
	train: {
		/** A (partial) TrainConfig, validated in the worker. */
		params: { config: Record<string, unknown> };
		progress: TrainProgress;
		result: TrainResult;
	};
	sweep: {
		/**
		 * The sweep spec as JSON (validated in the worker). Results go to IndexedDB under the sweep's name, so
		 * running the same spec again resumes; `store: 'memory'` keeps them for this job only.
		 */
		params: { spec: unknown; backend?: BackendName; store?: 'indexeddb' | 'memory' };
		progress: SweepJobProgress;
		result: SweepJobResult;
	};
	checkpoint: {
		/** Load a checkpoint into the worker, replacing the one it held. */
		params: { source: CheckpointSource };
		/** `step` = bytes of model.safetensors read, out of `total`. */
		progress: LoadProgress & { step: number };
		result: CheckpointResult;
	};
	score: {
		/** Score items with the checkpoint the worker holds (`id` from the checkpoint job). */
		params: { id: number; items: MultipleChoiceItem[]; tokens?: boolean; batchRows?: number };
		/** `step` = items scored, out of `total`. */
		progress: { step: number; total: number };
		result: ScoreResult;
	};
}

export type JobKind = keyof JobSpecs;
export const JOB_KINDS: readonly JobKind[] = ['selftest', 'train', 'sweep', 'checkpoint', 'score'];

export interface JobContext<K extends JobKind> {
	signal: AbortSignal;
	progress(p: JobSpecs[K]['progress']): void;
	/** Resolves at once, or when the page resumes a paused job. */
	paused(): Promise<void>;
}

/** How far a job is, for progress bars: every progress message carries `step` out of `params.steps`. */
export function jobTotal<K extends JobKind>(kind: K, params: JobSpecs[K]['params']): number {
	switch (kind) {
		case 'selftest':
			return (params as JobSpecs['selftest']['params']).steps;
		case 'train': {
			const steps = (params as JobSpecs['train']['params']).config.steps;
			return typeof steps === 'number' ? steps : 200;
		}
		case 'sweep': {
			// Total optimizer steps of the sweep; an invalid spec is reported by the job itself.
			try {
				const runs = loadSweep((params as JobSpecs['sweep']['params']).spec).runs;
				return runs.length * (runs[0]?.config.steps ?? 0);
			} catch {
				return 0;
			}
		}
		case 'checkpoint':
			return 0;
		case 'score':
			return (params as JobSpecs['score']['params']).items.length;
	}
	return 0;
}

export type JobRegistry = {
	[K in JobKind]: (params: JobSpecs[K]['params'], ctx: JobContext<K>) => Promise<JobSpecs[K]['result']>;
};

/** The checkpoint the worker holds between a `checkpoint` job and the `score` jobs that use it. */
let held: { id: number; ck: LoadedCheckpoint } | null = null;
let nextCheckpointId = 1;

/** Loaded inside the worker only, so the page bundle never pulls tfjs in through here. */
export async function loadJobRegistry(): Promise<JobRegistry> {
	const { runSelfTest } = await import('../dph/selftest');
	return {
		selftest: (params, ctx) => runSelfTest({ ...params, signal: ctx.signal, onStep: (s) => ctx.progress(s) }),
		train: async (params, ctx) => {
			const [{ getTf, initBackend }, { resolveTrainConfig }, { DPHTrainer, TrainingDivergedError }] = await Promise.all(
				[import('../dph/backend'), import('../dph/train/config'), import('../dph/train/trainer')],
			);
			const cfg = resolveTrainConfig(params.config);
			const report = await initBackend();
			const tf = await getTf();
			const trainer = new DPHTrainer(tf, cfg);
			let validation: EvalMetrics | null = null;
			let error: string | null = null;
			try {
				while (trainer.stepCount < cfg.steps && !ctx.signal.aborted) {
					await ctx.paused();
					if (ctx.signal.aborted) break;
					const m = await trainer.step();
					ctx.progress({ kind: 'train', ...m });
					if (m.step % cfg.evalEvery === 0 || m.step === cfg.steps) {
						validation = await trainer.evaluate();
						ctx.progress({ kind: 'validation', ...validation });
					}
				}
			} catch (e) {
				if (!(e instanceof TrainingDivergedError)) throw e;
				error = e.message;
			}
			const files = await trainer.export();
			const result: TrainResult = {
				validation,
				steps: trainer.stepCount,
				stopped: ctx.signal.aborted,
				error,
				backend: report.label,
				parameters: trainer.parameterCount,
				files,
			};
			trainer.dispose();
			return result;
		},
		sweep: async (params, ctx) => {
			const [{ getTf, initBackend }, { runSweep }, { aggregate }, { MemoryResultsStore }, { IdbResultsStore }] =
				await Promise.all([
					import('../dph/backend'),
					import('../dph/sweep/runner'),
					import('../dph/sweep/aggregate'),
					import('../dph/sweep/results'),
					import('../dph/sweep/results-idb'),
				]);
			const sweep = loadSweep(params.spec);
			const report = await initBackend(params.backend ? { prefer: params.backend } : {});
			const tf = await getTf();
			const store = params.store === 'memory' ? new MemoryResultsStore() : new IdbResultsStore(sweep.spec.name);
			const steps = sweep.runs[0]?.config.steps ?? 0;
			const outcome = await runSweep(sweep, {
				tf,
				backend: report.backend,
				store,
				signal: ctx.signal,
				paused: () => ctx.paused(),
				onProgress: (p) => ctx.progress({ kind: 'step', step: p.runsDone * steps + p.step, progress: p }),
				onResult: (result, c) => ctx.progress({ kind: 'run', step: c.runsDone * steps, result, ...c }),
			});
			return { ...outcome, table: aggregate(outcome.results), backend: report.label };
		},
		checkpoint: async (params, ctx) => {
			const [{ getTf, initBackend }, { loadCheckpoint }, { filesFolder, urlFolder }] = await Promise.all([
				import('../dph/backend'),
				import('../dph/checkpoint/load'),
				import('../dph/checkpoint/folder'),
			]);
			const report = await initBackend();
			const tf = await getTf();
			const src = params.source;
			const folder = src.kind === 'files' ? filesFolder(src.files, src.name) : urlFolder(src.url);
			// One model at a time: a medium checkpoint is 2.3 GB in float32.
			held?.ck.dispose();
			held = null;
			const ck = await loadCheckpoint(tf, folder, {
				signal: ctx.signal,
				onProgress: (p) => ctx.progress({ ...p, step: p.done }),
			});
			held = { id: nextCheckpointId++, ck };
			return {
				id: held.id,
				card: ck.card,
				notes: ck.notes,
				defaulted: ck.defaulted,
				report: ck.report,
				backend: report.label,
				seconds: ck.seconds,
			};
		},
		score: async (params, ctx) => {
			const [{ getTf }, { scoreItems, accuracy }] = await Promise.all([
				import('../dph/backend'),
				import('../dph/score'),
			]);
			if (!held || held.id !== params.id) {
				throw new Error(
					'The worker no longer holds this checkpoint (it was replaced or the page reloaded): open it again',
				);
			}
			const tf = await getTf();
			const t0 = performance.now();
			const scores = await scoreItems(tf, held.ck, params.items, {
				tokens: params.tokens,
				batchRows: params.batchRows,
				signal: ctx.signal,
				onProgress: (done, total) => ctx.progress({ step: done, total }),
			});
			const candidates = params.items.reduce((a, it) => a + it.candidates.length, 0);
			return {
				scores,
				accuracy: accuracy(scores, params.items),
				msPerCandidate: (performance.now() - t0) / Math.max(1, candidates),
			};
		},
	};
}

/**
 * Jobs the compute worker can run, by kind: their parameters, progress and results. Pages import these types (and
 * jobTotal); the implementations are in registry.ts, which only the worker imports.
 */
import type { BackendName } from '../dph/backend';
import type { LoadProgress, ModelCard, StateDictReport } from '../dph/checkpoint/load';
import type { ChatMessage, MultipleChoiceItem } from '../dph/data/types';
import type { Accuracy, ItemScore } from '../dph/score';
import type { SelfTestResult, SelfTestStep } from '../dph/selftest';
import type { SweepTable } from '../dph/sweep/aggregate';
import type { RunResult } from '../dph/sweep/results';
import type { SweepProgress } from '../dph/sweep/runner';
import { loadSweep } from '../dph/sweep/spec';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, TRAIN_PRESETS } from '../dph/train/config';
import type { CheckpointFiles, EvalMetrics, StepMetrics } from '../dph/train/trainer';
import type { GeneratedPrompt } from './generate-job';

export type TrainProgress = ({ kind: 'train' } & StepMetrics) | ({ kind: 'validation' } & EvalMetrics);

/** Where a run diverged and which step's weights it returned to (null: none were good). */
export interface TrainDivergence {
	step: number;
	quantity: string;
	rolledBackTo: number | null;
}

export interface TrainResult {
	/** Validation metrics of the weights in `files` (after a rollback: of the rolled-back weights). */
	validation: EvalMetrics | null;
	/** Optimizer steps run. */
	steps: number;
	/** The step the weights in `files` come from: `steps`, the rollback's step, or 0 for the initial weights. */
	weightsStep: number;
	stopped: boolean;
	/** Set when training stopped on a non-finite value: the message, and `diverged` says where. */
	error: string | null;
	diverged: TrainDivergence | null;
	backend: string;
	parameters: number;
	/** What the run started from (config.from), or null for a random preset model. */
	from: string | null;
	trainable: string;
	/** Parameter tensors the run left untouched (its freezing). */
	frozenTensors: number;
	/** The checkpoint; null when the run diverged before any weights gave a finite loss. */
	files: CheckpointFiles | null;
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

/** One prompt of a `generate` job: its messages and any typed candidates to rank with the samples. */
export interface GeneratePrompt {
	messages: ChatMessage[];
	candidates?: string[];
}

export interface GenerateParams {
	/** The held checkpoint (`id` from the checkpoint job), or a source to load first (replacing the held one). */
	id?: number;
	source?: CheckpointSource;
	prompts: GeneratePrompt[];
	/** Samples per prompt, 0…64 (0 ranks the typed candidates only). */
	n: number;
	maxNewTokens: number;
	/** 0 is greedy. */
	temperature: number;
	topK?: number;
	topP?: number;
	/** Prompt i (from 0) samples from deriveSeed(seed, 'line', i + 1), as line i + 1 of `dph generate` does. */
	seed?: number;
	/** The reward head to rank by (default the first). */
	head?: string | null;
	/** Per-token log-probs of every candidate, for the heatmap. */
	tokens?: boolean;
}

export interface GenerateResult {
	prompts: GeneratedPrompt[];
	stopped: boolean;
	/** The head `reward` is of (null: the model has none), and all heads (each candidate's `rewards` has them all). */
	head: string | null;
	heads: string[];
	seconds: number;
	tokensPerSecond: number;
}

/**
 * `step` = prompts done, out of `total`. While prompt `prompt` decodes, `texts` are its samples so far (the closing
 * <|im_end|> left out) and `tokens` how many were decoded; empty once the prompt is done.
 */
export interface GenerateProgress {
	step: number;
	total: number;
	prompt: number;
	texts: string[];
	tokens: number;
}

export interface JobSpecs {
	selftest: {
		params: { steps: number; backend?: BackendName; seed?: number; batch?: number };
		progress: SelfTestStep;
		result: SelfTestResult;
	};
	train: {
		/**
		 * A (partial) TrainConfig, validated in the worker over the named preset (default: the defaults). With `start`
		 * the run starts from that checkpoint, loaded in the worker; `config.from` names it.
		 */
		params: { config: Record<string, unknown>; preset?: string; start?: CheckpointSource };
		progress: TrainProgress;
		result: TrainResult;
	};
	sweep: {
		/**
		 * The sweep spec as JSON (validated in the worker). Results go to IndexedDB under the sweep's name, so
		 * running the same spec again resumes; `store: 'memory'` keeps them for this job only.
		 */
		params: {
			spec: unknown;
			backend?: BackendName;
			store?: 'indexeddb' | 'memory';
			/** Run only these runs (indices in the full expansion); the Sweeps page hands one run at a time to each of its workers. */
			runs?: number[];
		};
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
		/** `step` = items scored, out of `total`; `blocks`: a layer-streamed pass's blocks done, out of the model's. */
		progress: { step: number; total: number; blocks?: { done: number; total: number } };
		result: ScoreResult;
	};
	generate: {
		params: GenerateParams;
		progress: GenerateProgress;
		result: GenerateResult;
	};
}

export type JobKind = keyof JobSpecs;

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
		case 'train':
			// The steps the worker will run: its resolved config's (defaults fill what is omitted; an invalid config is
			// reported by the job itself).
			try {
				const p = params as JobSpecs['train']['params'];
				const base = TRAIN_PRESETS[p.preset ?? '']?.(DEFAULT_TRAIN_CONFIG) ?? DEFAULT_TRAIN_CONFIG;
				return resolveTrainConfig(p.config, base).steps;
			} catch {
				return 0;
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
		case 'generate':
			return (params as JobSpecs['generate']['params']).prompts.length;
	}
	return 0;
}

export type JobRegistry = {
	[K in JobKind]: (params: JobSpecs[K]['params'], ctx: JobContext<K>) => Promise<JobSpecs[K]['result']>;
};

/**
 * The sweep runner: executes the runs that the results store does not have yet, in run order, one DPHTrainer at a
 * time (disposed after each run), appending each finished run to the store at once. Stopping (AbortSignal)
 * abandons the run in progress and keeps the finished ones; running again with the same store resumes.
 *
 * tfjs is injected (like `dph train` does), so the same runner serves the compute worker, the CLI and tests.
 * A run that diverges (TrainingDivergedError) is a result like any other, with `error` set: it is deterministic,
 * so resuming does not redo it. Any other exception stops the sweep and nothing is stored for that run, so a
 * resume retries it.
 *
 * A run whose config names `from` (and `refFrom`) starts from that checkpoint, loaded afresh for each run through
 * `openCheckpoint` (the trainer owns and disposes what it is given); a checkpoint that fails to load stops the
 * sweep with the StartError naming it, so nothing is stored and a resume retries.
 */
import type { TF } from '../backend';
import type { CheckpointFolder } from '../checkpoint/folder';
import { type TrainLoopOutcome, trainLoop } from '../train/loop';
import { loadStart } from '../train/start';
import { DPHTrainer, type EvalMetrics } from '../train/trainer';
import { METRICS, type ResultsStore, type RunCurve, type RunMetrics, type RunResult } from './results';
import type { ExpandedSweep, RunParams, SweepRun } from './spec';

export interface SweepProgress {
	run: { id: string; index: number; params: RunParams };
	/** Position of this run in the queue (0-based). */
	runIndex: number;
	/** Runs of the queue finished so far, including those already in the store. */
	runsDone: number;
	runsTotal: number;
	/** Steps done in this run, out of `steps`. */
	step: number;
	steps: number;
	/** Training loss of the last step. */
	loss: number;
	/** From the time per step so far in this session; null before the first step. */
	etaSeconds: number | null;
}

export interface RunSweepOptions {
	tf: TF;
	/** Backend name recorded with each result. */
	backend: string;
	store: ResultsStore;
	/** The runs to execute (e.g. one shard), in order; default: all runs of the sweep. */
	runs?: readonly SweepRun[];
	signal?: AbortSignal;
	onProgress?: (p: SweepProgress) => void;
	/** Called after each run is stored, with the queue's counts. */
	onResult?: (r: RunResult, counts: { runsDone: number; runsTotal: number }) => void;
	/** Awaited before every step; resolves when a paused sweep may continue. */
	paused?: () => Promise<void>;
	/** Opens a run's `from` / `refFrom` as written in the spec (the CLI resolves paths against the spec file). */
	openCheckpoint?: (name: string) => Promise<CheckpointFolder>;
}

export interface SweepOutcome {
	/** Results of the queue's runs (stored before or now), in run order. */
	results: RunResult[];
	executed: number;
	/** Runs found finished in the store. */
	skipped: number;
	stopped: boolean;
}

export class SweepResumeError extends Error {
	override name = 'SweepResumeError';
}

export function toRunMetrics(e: EvalMetrics): RunMetrics {
	return {
		dph_accuracy: e.dphAccuracy,
		logprob_accuracy: e.logprobAccuracy,
		reward_chosen: e.rewardChosen,
		reward_rejected: e.rewardRejected,
		margin: e.margin,
		loss_dph: e.dphLoss,
		loss_dpo: e.dpoLoss,
	};
}

/** Curves are for plots: 5 significant digits keep the JSONL small without visible loss. */
const compact = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(5)) : x);

function emptyCurve(): RunCurve {
	const c = { step: [], loss: [] } as unknown as RunCurve;
	for (const m of METRICS) c[m] = [];
	return c;
}

async function makeTrainer(tf: TF, run: SweepRun, open: RunSweepOptions['openCheckpoint']): Promise<DPHTrainer> {
	const { from, refFrom } = run.config;
	if (from === undefined) return new DPHTrainer(tf, run.config);
	if (!open) throw new Error(`run ${run.id}: base.from ${JSON.stringify(from)} needs a way to open checkpoints here`);
	return new DPHTrainer(tf, run.config, await loadStart(tf, open, from, refFrom));
}

/**
 * What a store already holds of a queue: its finished results by id. A stored run trained with another config
 * (the spec changed since) is refused rather than mixed in. Shared by the serial runner and the CLI's worker pool.
 */
export async function storedResults(store: ResultsStore, queue: readonly SweepRun[]): Promise<Map<string, RunResult>> {
	const stored = new Map<string, RunResult>();
	const inQueue = new Map(queue.map((r) => [r.id, r]));
	for (const r of await store.load()) {
		const run = inQueue.get(r.id);
		if (!run) continue;
		if (r.config_hash !== run.configHash) {
			throw new SweepResumeError(
				`the results already hold run "${r.id}" trained with a different configuration (the sweep spec changed ` +
					'since it ran); keep the two apart: use another output folder or sweep name, or remove the old results',
			);
		}
		stored.set(r.id, r);
	}
	return stored;
}

export async function runSweep(sweep: ExpandedSweep, opts: RunSweepOptions): Promise<SweepOutcome> {
	const { tf, store, signal } = opts;
	const queue = opts.runs ?? sweep.runs;
	const stored = await storedResults(store, queue);
	const runsTotal = queue.length;
	let runsDone = queue.filter((r) => stored.has(r.id)).length;
	const skipped = runsDone;
	const steps = (run: SweepRun) => run.config.steps;
	let stepsLeft = queue.filter((r) => !stored.has(r.id)).reduce((n, r) => n + steps(r), 0);
	let stepsRun = 0;
	let stepSeconds = 0;
	let executed = 0;
	let stopped = false;

	for (let runIndex = 0; runIndex < queue.length && !stopped; runIndex++) {
		const run = queue[runIndex];
		if (stored.has(run.id)) continue;
		if (signal?.aborted) {
			stopped = true;
			break;
		}
		const t0 = performance.now();
		const trainer = await makeTrainer(tf, run, opts.openCheckpoint);
		const curve = emptyCurve();
		// For the ETA: time training since the last step was reported (that step's validation, this step), not pauses.
		let mark = performance.now();
		let outcome: TrainLoopOutcome;
		try {
			outcome = await trainLoop(trainer, {
				signal,
				// A diverged run is stored without metrics, so its rolled-back weights need no validation.
				revalidate: false,
				paused: async () => {
					const p0 = performance.now();
					await opts.paused?.();
					mark += performance.now() - p0;
				},
				onStep: (m) => {
					stepSeconds += (performance.now() - mark) / 1000;
					stepsRun++;
					stepsLeft--;
					opts.onProgress?.({
						run: { id: run.id, index: run.index, params: run.params },
						runIndex,
						runsDone,
						runsTotal,
						step: m.step,
						steps: run.config.steps,
						loss: m.loss,
						etaSeconds: (stepSeconds / stepsRun) * stepsLeft,
					});
					mark = performance.now();
				},
				onEval: (e, m) => {
					curve.step.push(m.step);
					curve.loss.push(compact(m.loss));
					const rm = toRunMetrics(e);
					for (const k of METRICS) curve[k].push(compact(rm[k]));
				},
			});
		} finally {
			trainer.dispose();
		}
		if (outcome.stopped) {
			stopped = true;
			break;
		}
		stepSeconds += (performance.now() - mark) / 1000;
		const { diverged, validation } = outcome;
		if (diverged) stepsLeft -= run.config.steps - trainer.stepCount;
		const result: RunResult = {
			sweep: sweep.spec.name,
			spec_hash: sweep.hash,
			id: run.id,
			index: run.index,
			params: run.params,
			config_hash: run.configHash,
			metrics: diverged || !validation ? null : toRunMetrics(validation),
			steps: trainer.stepCount,
			seconds: (performance.now() - t0) / 1000,
			backend: opts.backend,
			...(run.config.from !== undefined ? { from: run.config.from } : {}),
			...(run.config.refFrom !== undefined ? { ref_from: run.config.refFrom } : {}),
			trainable: run.config.trainable,
			frozen_tensors: trainer.frozenNames.length,
			...(curve.step.length ? { curve } : {}),
			...(diverged ? { error: diverged.message } : {}),
		};
		await store.append(result);
		stored.set(run.id, result);
		executed++;
		runsDone++;
		opts.onResult?.(result, { runsDone, runsTotal });
	}
	const results = queue.flatMap((r) => stored.get(r.id) ?? []);
	return { results, executed, skipped, stopped };
}

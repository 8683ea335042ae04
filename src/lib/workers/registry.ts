/**
 * The compute worker's jobs, by kind (their parameters, progress and results are typed in job-specs.ts). Static
 * imports: this module is loaded by the worker only.
 */

import { IdbResultsStore } from '../browser/results-idb';
import { getTf, initBackend } from '../dph/backend';
import { filesFolder, urlFolder } from '../dph/checkpoint/folder';
import type { LoadedCheckpoint } from '../dph/checkpoint/load';
import { loadForScoring, type StreamedCheckpoint } from '../dph/checkpoint/load-streamed';
import { accuracy, scoreItems } from '../dph/score';
import { runSelfTest } from '../dph/selftest';
import { aggregate } from '../dph/sweep/aggregate';
import { MemoryResultsStore } from '../dph/sweep/results';
import { runSweep } from '../dph/sweep/runner';
import { loadSweep } from '../dph/sweep/spec';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, TRAIN_PRESETS } from '../dph/train/config';
import { trainLoop } from '../dph/train/loop';
import { loadStart } from '../dph/train/start';
import { DPHTrainer } from '../dph/train/trainer';
import { runGenerate } from './generate-job';
import type { CheckpointSource, JobContext, JobRegistry, TrainResult } from './job-specs';

/** The checkpoint the worker holds between a `checkpoint` job and the `score` jobs that use it. */
let held: { id: number; ck: LoadedCheckpoint | StreamedCheckpoint } | null = null;
let nextCheckpointId = 1;

const folderOf = (src: CheckpointSource) =>
	src.kind === 'files' ? filesFolder(src.files, src.name) : urlFolder(src.url);

/** A train job's base config: its named preset's, so the fields the page does not send come from the preset. */
function trainBase(preset: string | undefined) {
	if (preset === undefined) return DEFAULT_TRAIN_CONFIG;
	const make = TRAIN_PRESETS[preset];
	if (!make) throw new Error(`preset ${JSON.stringify(preset)} is not one of ${Object.keys(TRAIN_PRESETS).join(', ')}`);
	return make(DEFAULT_TRAIN_CONFIG);
}

/** The worker's jobs. Only compute.worker.ts imports this module, so pages never bundle tfjs through it. */
export async function loadJobRegistry(): Promise<JobRegistry> {
	return {
		selftest: (params, ctx) => runSelfTest({ ...params, signal: ctx.signal, onStep: (s) => ctx.progress(s) }),
		train: async (params, ctx) => {
			const cfg = resolveTrainConfig(params.config, trainBase(params.preset));
			const report = await initBackend();
			const tf = await getTf();
			if (params.start && cfg.from === undefined) throw new Error('a train job given a start needs config.from');
			// The checkpoint's files came over from the page; its tensors are made here, never on the main thread.
			const source = params.start;
			const start = source && (await loadStart(tf, async () => folderOf(source), cfg.from as string));
			const trainer = new DPHTrainer(tf, cfg, start);
			try {
				const { validation, diverged } = await trainLoop(trainer, {
					signal: ctx.signal,
					paused: () => ctx.paused(),
					onStep: (m) => ctx.progress({ kind: 'train', ...m }),
					onEval: (e) => ctx.progress({ kind: 'validation', ...e }),
				});
				// After a rollback `validation` is of the rolled-back weights: the ones in `files`.
				return {
					validation,
					steps: trainer.stepCount,
					weightsStep: trainer.weightsStep,
					stopped: ctx.signal.aborted,
					error: diverged?.message ?? null,
					diverged: diverged && {
						step: diverged.step,
						quantity: diverged.quantity,
						rolledBackTo: diverged.rolledBackTo,
					},
					backend: report.label,
					parameters: trainer.parameterCount,
					from: trainer.from,
					trainable: cfg.trainable,
					frozenTensors: trainer.frozenNames.length,
					files: !diverged || diverged.rolledBackTo !== null ? await trainer.export() : null,
				} satisfies TrainResult;
			} finally {
				trainer.dispose();
			}
		},
		sweep: async (params, ctx) => {
			const sweep = loadSweep(params.spec);
			const report = await initBackend(params.backend ? { prefer: params.backend } : {});
			const tf = await getTf();
			const store = params.store === 'memory' ? new MemoryResultsStore() : new IdbResultsStore(sweep.spec.name);
			const steps = sweep.runs[0]?.config.steps ?? 0;
			const only = params.runs ? new Set(params.runs) : null;
			const outcome = await runSweep(sweep, {
				tf,
				backend: report.backend,
				store,
				runs: only ? sweep.runs.filter((r) => only.has(r.index)) : undefined,
				signal: ctx.signal,
				paused: () => ctx.paused(),
				// In the page a spec's base.from is a URL (the shipped demo under static/checkpoints/, or any served folder).
				openCheckpoint: async (name) => urlFolder(name),
				onProgress: (p) => ctx.progress({ kind: 'step', step: p.runsDone * steps + p.step, progress: p }),
				onResult: (result, c) => ctx.progress({ kind: 'run', step: c.runsDone * steps, result, ...c }),
			});
			return { ...outcome, table: aggregate(outcome.results), backend: report.label };
		},
		checkpoint: async (params, ctx) => {
			const report = await initBackend();
			await hold(params.source, ctx);
			const ck = (held as { ck: LoadedCheckpoint }).ck;
			return {
				id: (held as { id: number }).id,
				card: ck.card,
				notes: ck.notes,
				defaulted: ck.defaulted,
				report: ck.report,
				backend: report.label,
				seconds: ck.seconds,
			};
		},
		score: async (params, ctx) => {
			const ck = heldCheckpoint(params.id);
			const tf = await getTf();
			const t0 = performance.now();
			let step = 0;
			const total = params.items.length;
			const scores = await scoreItems(tf, ck, params.items, {
				tokens: params.tokens,
				batchRows: params.batchRows,
				signal: ctx.signal,
				onProgress: (done) => {
					step = done;
					ctx.progress({ step, total });
				},
				// A streamed pass of the paper's medium model takes many seconds: its blocks are the visible progress.
				onBlock: (done, blocks) => ctx.progress({ step, total, blocks: { done, total: blocks } }),
			});
			const candidates = params.items.reduce((a, it) => a + it.candidates.length, 0);
			return {
				scores,
				accuracy: accuracy(scores, params.items),
				msPerCandidate: (performance.now() - t0) / Math.max(1, candidates),
			};
		},
		generate: async (params, ctx) => {
			await initBackend();
			if (params.source) await hold(params.source, { signal: ctx.signal });
			const ck = params.source ? (held as { ck: LoadedCheckpoint }).ck : heldCheckpoint(params.id);
			if ('store' in ck) {
				throw new Error(
					`Generating needs the whole model resident on the backend; this one (${ck.card.parameters.toLocaleString('en')} parameters) is held in ${ck.card.dtypes.join('/')} and streamed a block at a time for scoring. Use a GPU (WebGPU) to generate with it`,
				);
			}
			return runGenerate(await getTf(), ck, params, ctx);
		},
	};
}

/** Load a checkpoint into the worker, replacing the one it held. */
async function hold(src: CheckpointSource, ctx: { signal: AbortSignal } & Partial<JobContext<'checkpoint'>>) {
	const tf = await getTf();
	const folder = folderOf(src);
	// One model at a time: a medium checkpoint is 2.3 GB in float32.
	held?.ck.dispose();
	held = null;
	const ck = await loadForScoring(tf, folder, {
		signal: ctx.signal,
		onProgress: (p) => ctx.progress?.({ ...p, step: p.done }),
	});
	held = { id: nextCheckpointId++, ck };
}

function heldCheckpoint(id: number | undefined): LoadedCheckpoint | StreamedCheckpoint {
	if (!held || held.id !== id) {
		throw new Error('The worker no longer holds this checkpoint (it was replaced or the page reloaded): open it again');
	}
	return held.ck;
}

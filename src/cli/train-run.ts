/**
 * `dph train` around trainLoop, after the config is resolved: progress on stderr, metrics.jsonl, the checkpoint
 * folder written atomically, and the closing JSON on stdout. On divergence the trainer has rolled the weights back
 * to its last good snapshot; that checkpoint is written (unless there is none), the closing JSON carries
 * `"diverged": {"step", "quantity", "rolled_back_to"}`, metrics.jsonl ends with a `"kind": "diverged"` line, and
 * the exit status is 1.
 */

import { DPH_CONFIG_FILE, DPH_HEADS_FILE, headsFilesFor } from '../lib/dph/checkpoint/dph-heads.ts';
import { type Dtype, exportDtype, F16RangeError } from '../lib/dph/checkpoint/dtype.ts';
import { familyOf } from '../lib/dph/model/family.ts';
import type { TrainConfig } from '../lib/dph/train/config.ts';
import { type TrainLoopOutcome, trainLoop } from '../lib/dph/train/loop.ts';
import { type CheckpointRef, trainingConfigJson } from '../lib/dph/train/provenance.ts';
import { jsonlSha256, RESUME_FILES, resumeFiles } from '../lib/dph/train/resume.ts';
import type { CheckpointFiles, DPHTrainer, StepMetrics } from '../lib/dph/train/trainer.ts';
import { dirFolder } from '../node/checkpoint-folder.ts';
import { assertReplaceable, writeFolderAtomically } from '../node/checkpoint-folder-write.ts';
import type { CliIO } from './args.ts';
import { bar, seconds } from './progress.ts';

/** Every file `dph train` writes: a folder holding only these may be replaced by the next run. */
export const TRAIN_FOLDER_FILES = [
	'config.json',
	'model.safetensors',
	'tokenizer.json',
	'tokenizer_config.json',
	'metrics.jsonl',
	'training_config.json',
	DPH_HEADS_FILE,
	DPH_CONFIG_FILE,
	...RESUME_FILES,
] as const;

/** Where the run came from, for training_config.json's provenance and trainer_state.json. */
export interface RunSources {
	from: CheckpointRef | null;
	refFrom: CheckpointRef | null;
	/** The folder a resumed run continued, its step, and its metrics.jsonl lines up to that step. */
	resumed: { path: string; step: number; metrics: string[] } | null;
}

const NO_SOURCES: RunSources = { from: null, refFrom: null, resumed: null };

/**
 * The checkpoint files in the config's dtype. An F16 export with weights beyond the F16 range is written as F32
 * instead, with a warning naming the tensor: the run is not lost, and the folder still loads.
 */
async function exportFiles(
	trainer: DPHTrainer,
	cfg: TrainConfig,
	log: (s: string) => void,
	from: CheckpointRef | null,
): Promise<{ files: CheckpointFiles | Record<string, string | Uint8Array>; dtype: Dtype }> {
	// Heads on a Hugging Face base: dph_heads.safetensors + dph_config.json beside it, never a copy of the base.
	if (familyOf(trainer.modelConfig).name === 'llama' && from) {
		const c = trainer.modelConfig;
		const files = await headsFilesFor(
			await dirFolder(from.path),
			c,
			await trainer.weights(),
			trainer.tokenizer,
			from.path,
		);
		return { files, dtype: 'F32' };
	}
	const dtype = exportDtype(cfg.exportDtype);
	try {
		return { files: await trainer.export(dtype), dtype };
	} catch (e) {
		if (!(e instanceof F16RangeError)) throw e;
		log(`warning: --dtype f16: ${e.message}. model.safetensors is written as F32 instead.\n`);
		return { files: await trainer.export('F32'), dtype: 'F32' };
	}
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);

/** The progress line's metrics: DPH accuracy and rewards with pairs, the next-token loss with SFT, skips. */
function stepDetail(m: StepMetrics, trainer: DPHTrainer): string {
	const parts: string[] = [];
	if (Number.isFinite(m.dphAccuracy)) {
		parts.push(`acc ${m.dphAccuracy.toFixed(2)} r_w ${m.rewardChosen.toFixed(2)} r_l ${m.rewardRejected.toFixed(2)}`);
	}
	if (trainer.cfg.objective.sftWeight > 0 && Number.isFinite(m.nextTokenLoss))
		parts.push(`ntl ${m.nextTokenLoss.toFixed(3)}`);
	if (trainer.skippedSteps) parts.push(`${trainer.skippedSteps} skipped`);
	return parts.map((p) => ` ${p}`).join('');
}

/** Fails before training when `--out` holds other things, so an hour of training is not lost at the end. */
export async function checkOutFolder(out: string): Promise<void> {
	await assertReplaceable(out, TRAIN_FOLDER_FILES);
}

export async function runTraining(
	trainer: DPHTrainer,
	cfg: TrainConfig,
	out: string,
	io: CliIO,
	backend: string,
	sources: RunSources = NO_SOURCES,
): Promise<number> {
	const log = (s: string) => io.stderr(s);
	const metricsLines: string[] = [...(sources.resumed?.metrics ?? [])];
	const firstStep = trainer.stepCount;
	const t0 = performance.now();
	let tokens = 0;
	try {
		let outcome: TrainLoopOutcome;
		try {
			outcome = await trainLoop(trainer, {
				onStep: (m) => {
					tokens += (m.tokensPerSecond * m.ms) / 1000;
					metricsLines.push(JSON.stringify({ kind: 'train', ...m }));
					const elapsed = (performance.now() - t0) / 1000;
					const eta = (elapsed / (m.step - firstStep)) * (cfg.steps - m.step);
					const line = `${bar(m.step, cfg.steps)} ${m.step}/${cfg.steps} loss ${m.loss.toFixed(3)}${stepDetail(m, trainer)} · ${seconds(elapsed)} elapsed, ${seconds(eta)} left`;
					if (io.isTTY) log(`\r${line}\x1b[K`);
					else if (m.step % Math.max(1, Math.floor(cfg.steps / 10)) === 0 || m.step === cfg.steps) log(`${line}\n`);
				},
				onEval: (e) => {
					metricsLines.push(JSON.stringify({ kind: 'validation', ...e }));
				},
			});
		} finally {
			if (io.isTTY) log('\n');
		}
		// After a rollback `last` is of the weights actually written, not of the steps after them that were thrown away.
		const { diverged, validation: last } = outcome;
		const record = diverged && {
			step: diverged.step,
			quantity: diverged.quantity,
			rolled_back_to: diverged.rolledBackTo,
		};
		if (record) {
			if (last) metricsLines.push(JSON.stringify({ kind: 'validation', ...last }));
			metricsLines.push(JSON.stringify({ kind: 'diverged', ...record }));
		}
		const written = !diverged || diverged.rolledBackTo !== null;
		let dtype: Dtype | null = null;
		if (written) {
			const exported = await exportFiles(trainer, cfg, log, sources.from);
			const headsOnly = DPH_CONFIG_FILE in exported.files;
			dtype = exported.dtype;
			// After a rollback the optimizer is ahead of the weights: such a folder cannot be resumed.
			// (A heads-format run is not resumable yet: its resume state would hold the frozen base too.)
			const state =
				diverged || headsOnly
					? {}
					: await resumeFiles(await trainer.trainingState(), cfg, dtype === 'F32' ? null : await trainer.weights(), {
							from: sources.from?.sha256 ?? null,
							refFrom: sources.refFrom?.sha256 ?? null,
						});
			const provenance = trainingConfigJson(
				cfg,
				{
					from: sources.from,
					refFrom: sources.refFrom,
					resumedFrom: sources.resumed && { path: sources.resumed.path, step: sources.resumed.step },
					freezing: {
						trainable: cfg.trainable,
						frozen: cfg.frozen,
						trainableEmbeddings: cfg.trainableEmbeddings,
						frozenTensors: trainer.frozenNames.length,
					},
					head: trainer.heads.head,
					backboneCached: trainer.cache !== null,
					dtype,
					metrics: last ? { ...last } : null,
					diverged: diverged && {
						step: diverged.step,
						quantity: diverged.quantity,
						rolledBackTo: diverged.rolledBackTo,
					},
				},
				await jsonlSha256(cfg),
			);
			await writeFolderAtomically(
				out,
				{
					...exported.files,
					...state,
					'metrics.jsonl': `${metricsLines.join('\n')}\n`,
					'training_config.json': provenance,
				},
				{ replaces: TRAIN_FOLDER_FILES },
			);
		}
		const summary = {
			backend,
			from: cfg.from ?? null,
			resumed_from: sources.resumed ? { path: sources.resumed.path, step: sources.resumed.step } : null,
			steps: cfg.steps,
			loss_dph: last?.dphLoss ?? null,
			loss_dpo: last?.dpoLoss ?? null,
			dph_accuracy: last?.dphAccuracy ?? null,
			logprob_accuracy: last?.logprobAccuracy ?? null,
			reward_chosen: last?.rewardChosen ?? null,
			reward_rejected: last?.rewardRejected ?? null,
			margin: last?.margin ?? null,
			// Held-out next-token loss on the assistant tokens (the SFT term's quantity), whatever the objective.
			next_token_loss: finite(last?.nextTokenLoss),
			perplexity: finite(last?.perplexity),
			dropped_overlong: trainer.dataReport.droppedOverlong,
			truncated: trainer.dataReport.truncated,
			skipped_steps: trainer.skippedSteps,
			trainable: cfg.trainable,
			// Tensors no step touched: bit-identical to the starting weights in the checkpoint.
			frozen_tensors: trainer.frozenNames.length,
			head: trainer.heads.head,
			// Whether the frozen backbone ran once (cached-heads.ts) rather than every step.
			backbone_cached: trainer.cache !== null,
			tokens_per_s: (tokens * 1000) / (performance.now() - t0),
			checkpoint: written ? out : null,
			dtype,
			...(record ? { diverged: record } : {}),
		};
		if (diverged) {
			log(
				`dph: ${diverged.message}\n${
					written
						? `checkpoint of step ${diverged.rolledBackTo}${diverged.rolledBackTo === 0 ? ' (the initial, untrained weights)' : ''} written to ${out}`
						: `no checkpoint written; ${out} is unchanged`
				}\n`,
			);
		} else log(`checkpoint written to ${out}\n`);
		io.stdout(`${JSON.stringify(summary)}\n`);
		return diverged ? 1 : 0;
	} finally {
		trainer.dispose();
	}
}

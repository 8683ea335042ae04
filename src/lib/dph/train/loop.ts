/**
 * The training loop every driver shares (the compute worker, `dph train`, the sweep runner, tests): steps until
 * `trainer.cfg.steps`, validation every `evalEvery` steps and after the last, stopping between steps on an
 * AbortSignal and waiting while paused. The divergence policy lives here once: a TrainingDivergedError ends the
 * loop without throwing, the trainer has already rolled its weights back to the last snapshot a later pass
 * accepted, and the outcome's `validation` is of those rolled-back weights (the ones an export writes), not of the
 * steps thrown away. Any other error propagates.
 */
import { type DPHTrainer, type EvalMetrics, type StepMetrics, TrainingDivergedError } from './trainer';

export interface TrainLoopOptions {
	/** Checked before and after each pause; the step in progress always finishes. */
	signal?: AbortSignal;
	/** Awaited before every step; resolves when a paused run may continue. */
	paused?: () => Promise<void>;
	/** After a divergence, validate the rolled-back weights for the outcome (default true). */
	revalidate?: boolean;
	/** After every step, before its validation. */
	onStep?: (m: StepMetrics) => void | Promise<void>;
	/** After each scheduled validation, with the step it follows. Not called for the re-evaluation after a rollback. */
	onEval?: (e: EvalMetrics, m: StepMetrics) => void | Promise<void>;
}

export interface TrainLoopOutcome {
	/**
	 * Validation metrics of the weights the trainer holds now: the last scheduled validation, or after a divergence
	 * a fresh pass over the rolled-back weights. Null when no validation ran, when no weights were ever good, or
	 * after a divergence with `revalidate: false`.
	 */
	validation: EvalMetrics | null;
	/** The signal ended the loop before the last step. */
	stopped: boolean;
	/** Why training stopped early on a non-finite value; `rolledBackTo` says which weights the trainer holds. */
	diverged: TrainingDivergedError | null;
}

/** Whether validation runs after `step`: every `evalEvery` steps and after the last one. */
function isEvalStep(step: number, cfg: { evalEvery: number; steps: number }): boolean {
	return step % cfg.evalEvery === 0 || step === cfg.steps;
}

export async function trainLoop(trainer: DPHTrainer, opts: TrainLoopOptions = {}): Promise<TrainLoopOutcome> {
	const { cfg } = trainer;
	const { signal } = opts;
	let validation: EvalMetrics | null = null;
	try {
		while (trainer.stepCount < cfg.steps) {
			if (signal?.aborted) return { validation, stopped: true, diverged: null };
			await opts.paused?.();
			if (signal?.aborted) return { validation, stopped: true, diverged: null };
			const m = await trainer.step();
			await opts.onStep?.(m);
			if (isEvalStep(m.step, cfg)) {
				validation = await trainer.evaluate();
				await opts.onEval?.(validation, m);
			}
		}
		return { validation, stopped: false, diverged: null };
	} catch (e) {
		if (!(e instanceof TrainingDivergedError)) throw e;
		return {
			validation: e.rolledBackTo === null || opts.revalidate === false ? null : await trainer.evaluate(),
			stopped: false,
			diverged: e,
		};
	}
}

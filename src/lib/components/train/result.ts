/**
 * What the Train page says about a finished run's checkpoint, next to Save and Download: which step its weights are
 * from, and that they are the untrained ones when a run stopped or diverged before any good step.
 */
import type { TrainResult } from '$lib/workers/job-specs';

export interface TrainResultNote {
	/** "Finished after 150 steps on …", "Stopped …", "Diverged at step 7 (the loss) …". */
	headline: string;
	/** Which weights the checkpoint holds, or why there is none. */
	weights: string;
	/** The checkpoint holds the initial weights: Save and Download must say so. */
	untrained: boolean;
	/** A checkpoint exists to save or download. */
	saveable: boolean;
}

export function trainResultNote(r: TrainResult): TrainResultNote {
	const on = `on ${r.backend} · ${r.parameters.toLocaleString('en')} parameters`;
	const saveable = r.files !== null;
	const untrained = saveable && r.weightsStep === 0;
	if (r.diverged) {
		const d = r.diverged;
		const headline = `Diverged at step ${d.step} (${d.quantity} is not finite) ${on}.`;
		if (d.rolledBackTo === null)
			return {
				headline,
				weights: 'No weights gave a finite loss, so there is no checkpoint to save.',
				untrained: false,
				saveable: false,
			};
		return {
			headline,
			weights:
				d.rolledBackTo === 0
					? 'Rolled back to step 0 — these are the initial, untrained weights.'
					: `Rolled back to step ${d.rolledBackTo}: the checkpoint holds the weights of step ${d.rolledBackTo}, the last good ones.`,
			untrained,
			saveable,
		};
	}
	return {
		headline: `${r.stopped ? 'Stopped' : 'Finished'} after ${r.steps} steps ${on}.`,
		weights: untrained
			? 'No step was run — these are the initial, untrained weights.'
			: `The checkpoint holds the weights of step ${r.weightsStep}.`,
		untrained,
		saveable,
	};
}

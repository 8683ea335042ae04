/** The error a training run stops with when a loss, gradient or weight norm is not finite (see trainer.ts). */
export class TrainingDivergedError extends Error {
	override name = 'TrainingDivergedError';
	/**
	 * @param rolledBackTo the step whose weights the model holds now (0: the initial, untrained weights), or null when
	 *   no weights ever gave a finite loss, so there is no good checkpoint at all.
	 */
	constructor(
		readonly step: number,
		readonly quantity: string,
		readonly rolledBackTo: number | null,
	) {
		super(
			`Training stopped at step ${step}: ${quantity} is not finite. ${
				rolledBackTo === null
					? 'No weights gave a finite loss, so there is no good checkpoint'
					: rolledBackTo === 0
						? 'The parameters were rolled back to step 0: the initial, untrained weights'
						: `The parameters were rolled back to step ${rolledBackTo}, the last good checkpoint`
			}; try a lower learning rate, less weight decay or stronger gradient clipping.`,
		);
	}
}

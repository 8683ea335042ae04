/** Pair-averaged metrics of a training step or a validation pass, and the running sums both keep. */
export interface PairMetrics {
	dphLoss: number;
	dpoLoss: number;
	dphAccuracy: number;
	logprobAccuracy: number;
	rewardChosen: number;
	rewardRejected: number;
	margin: number;
}

/** Running pair-weighted sums of the per-batch metrics; training steps and validation both use it. */
export class PairTally {
	pairs = 0;
	private dph = 0;
	private dpo = 0;
	private correct = 0;
	private lpCorrect = 0;
	private rw = 0;
	private rl = 0;

	/** `avgLogProb` holds the B chosen rows, then the B rejected rows. */
	add(dphLoss: number, dpoLoss: number, rw: ArrayLike<number>, rl: ArrayLike<number>, avgLogProb: ArrayLike<number>) {
		const B = rw.length;
		for (let i = 0; i < B; i++) {
			if (rw[i] > rl[i]) this.correct++;
			if (avgLogProb[i] > avgLogProb[B + i]) this.lpCorrect++;
			this.rw += rw[i];
			this.rl += rl[i];
		}
		this.dph += dphLoss * B;
		this.dpo += dpoLoss * B;
		this.pairs += B;
	}

	metrics(): PairMetrics {
		const n = this.pairs;
		return {
			dphLoss: this.dph / n,
			dpoLoss: this.dpo / n,
			dphAccuracy: this.correct / n,
			logprobAccuracy: this.lpCorrect / n,
			rewardChosen: this.rw / n,
			rewardRejected: this.rl / n,
			margin: (this.rw - this.rl) / n,
		};
	}
}

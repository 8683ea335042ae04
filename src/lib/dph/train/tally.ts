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

/** Σ r_w, Σ r_l and how many pairs had r_w > r_l (a tie counts as wrong), over every pair added so far. */
export interface RewardSums {
	correct: number;
	rw: number;
	rl: number;
}

/** Adds the pairs' rewards to `sums` in place, in index order; returns `sums`. */
export function addRewards(sums: RewardSums, rw: ArrayLike<number>, rl: ArrayLike<number>): RewardSums {
	// Locals, not the object's fields, in the loop: the simulation calls this every step.
	let { correct, rw: sw, rl: sl } = sums;
	for (let i = 0; i < rw.length; i++) {
		if (rw[i] > rl[i]) correct++;
		sw += rw[i];
		sl += rl[i];
	}
	sums.correct = correct;
	sums.rw = sw;
	sums.rl = sl;
	return sums;
}

/** Running pair-weighted sums of the per-batch metrics; training steps and validation both use it. */
export class PairTally {
	pairs = 0;
	private dph = 0;
	private dpo = 0;
	private lpCorrect = 0;
	private readonly rewards: RewardSums = { correct: 0, rw: 0, rl: 0 };

	/** `avgLogProb` holds the B chosen rows, then the B rejected rows. */
	add(dphLoss: number, dpoLoss: number, rw: ArrayLike<number>, rl: ArrayLike<number>, avgLogProb: ArrayLike<number>) {
		const B = rw.length;
		addRewards(this.rewards, rw, rl);
		for (let i = 0; i < B; i++) if (avgLogProb[i] > avgLogProb[B + i]) this.lpCorrect++;
		this.dph += dphLoss * B;
		this.dpo += dpoLoss * B;
		this.pairs += B;
	}

	metrics(): PairMetrics {
		const n = this.pairs;
		const { correct, rw, rl } = this.rewards;
		return {
			dphLoss: this.dph / n,
			dpoLoss: this.dpo / n,
			dphAccuracy: correct / n,
			logprobAccuracy: this.lpCorrect / n,
			rewardChosen: rw / n,
			rewardRejected: rl / n,
			margin: (rw - rl) / n,
		};
	}
}

/**
 * What pair i is trained on under label noise. `resample`: the expected loss (1−η)·L(r_w, r_l) + η·L(r_l, r_w)
 * of losses/noise.ts (expectedUnderNoise for the recorded loss, withLabelNoise's derivatives for Newton), and a
 * fresh flip at rate η for every stochastic gradient; `fixed`: the loss on the pair's own, possibly flipped, label.
 */
import { expectedUnderNoise, getLoss, type LossParams, type PreferenceLoss, withLabelNoise } from '../losses/index';

/** Gradient [∂r_w, ∂r_l] and Hessian [∂²r_w, ∂r_w∂r_l, ∂²r_l] with respect to (r_w, r_l). */
export interface Curvature {
	g: [number, number];
	h: [number, number, number];
}

export class PairObjective {
	private readonly loss: PreferenceLoss<LossParams>;
	/** What a `resample` pair minimises in expectation (the loss itself when η = 0), for its derivatives. */
	private readonly expected: PreferenceLoss<LossParams>;

	constructor(
		lossName: string,
		private readonly p: LossParams,
		private readonly eta: number,
		private readonly fixed: boolean,
		private readonly flipped: Uint8Array,
		private readonly noiseRand: () => number,
	) {
		this.loss = getLoss(lossName);
		this.expected = !fixed && eta > 0 ? withLabelNoise(this.loss, eta) : this.loss;
	}

	/** The training objective of pair i: expected loss under resampled flips, or the loss on its fixed label. */
	value(i: number, rw: number, rl: number): number {
		const { loss, p } = this;
		if (this.fixed) return this.flipped[i] ? loss.value(rl, rw, p) : loss.value(rw, rl, p);
		// A plain call rather than expected.value: this runs for every pair at every recorded step.
		return this.eta === 0 ? loss.value(rw, rl, p) : expectedUnderNoise(loss, rw, rl, this.eta, p);
	}

	/** Gradient and Hessian of value(i, ·, ·). */
	curvature(i: number, rw: number, rl: number): Curvature {
		const { p } = this;
		if (!this.fixed || !this.flipped[i]) {
			const loss = this.fixed ? this.loss : this.expected;
			const [ga, gb] = loss.grad(rw, rl, p);
			const [[haa, hab], [, hbb]] = loss.hessian(rw, rl, p);
			return { g: [ga, gb], h: [haa, hab, hbb] };
		}
		// L(r_l, r_w): swap the slots back.
		const [ga, gb] = this.loss.grad(rl, rw, p);
		const [[haa, hab], [, hbb]] = this.loss.hessian(rl, rw, p);
		return { g: [gb, ga], h: [hbb, hab, haa] };
	}

	/** A stochastic gradient of pair i: its label flipped when the noise says so (one draw per call under resample). */
	sampleGrad(i: number, rw: number, rl: number): [number, number] {
		const flip = this.fixed ? this.flipped[i] === 1 : this.eta > 0 && this.noiseRand() < this.eta;
		if (!flip) return this.loss.grad(rw, rl, this.p);
		// L(r_l, r_w): r_w sits in the second slot.
		const [a, b] = this.loss.grad(rl, rw, this.p);
		return [b, a];
	}
}

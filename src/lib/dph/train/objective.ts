/**
 * The joint training objective of the paper (eq. 7), as the reference trainer computes it:
 *   loss = α1 · L_cDPO(β, ε_dpo) + α2 · L_DPH(ε_dph) + α_sft · L_SFT
 * with summed, masked log-probs for DPO (a frozen reference model supplies the baseline), the DPH loss on the
 * rewards read at the last <|im_end|>, and the SFT term (sft.ts) on the chosen rows. Pair batches stack chosen rows
 * first, then rejected rows (as the reference does); chat batches (SFT only) hold one conversation per row.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { type DphObjective, LOSSES } from '../losses';
import { familyOf, isLlama, type ModelConfig } from '../model/family';
import { pretranspose } from '../model/kv-cache';
import { type Params, rewards } from '../model/lswt';
import { maskedNextTokenCE, meanCE } from './sft';

type Tensor = tfjs.Tensor;
type TF = typeof tfjs;

export interface ObjectiveConfig {
	dph: DphObjective;
	dphEps: number;
	dpoEps: number;
	beta: number;
	/** α1: weight of cDPO; 0 disables it (and the reference model). */
	dpoWeight: number;
	/** α2: weight of the DPH loss. */
	dphWeight: number;
	/** α_sft: weight of the masked next-token cross-entropy on assistant tokens (chosen rows); 0 disables it. */
	sftWeight: number;
}

export interface BatchTensors {
	/** [2B, L] int32: B chosen rows, then B rejected rows. */
	ids: Tensor;
	/** [2B, L] int32: next-token targets (pad positions hold any valid id; the mask hides them). */
	targets: Tensor;
	/** [2B, L] float32: 1 on assistant content + its closing <|im_end|> (training mask). */
	trainMask: Tensor;
	/** [2B, L] float32: 1 on assistant content only (average log-prob baseline). */
	evalMask: Tensor;
	/** [2B] int32: index of the last <|im_end|> in each row. */
	rewardIndex: Tensor;
	/** Rows are conversations for SFT, not chosen/rejected pairs: no rewards, no cDPO; every row is an SFT row. */
	chat?: boolean;
}

/** The batch's tensors, for disposal (`chat` is a flag, not a tensor). */
export function batchTensorList(b: BatchTensors): Tensor[] {
	return [b.ids, b.targets, b.trainMask, b.evalMask, b.rewardIndex];
}

/**
 * Per-sequence log-probs of the targets: summed over `mask` and averaged over it. Log-softmax over the whole
 * vocabulary in float32; the target is picked with a one-hot product so the gradient exists on every backend.
 */
export function sequenceLogProbs(tf: TF, lg: Tensor, targets: Tensor, mask: Tensor): { sum: Tensor; mean: Tensor } {
	return tf.tidy(() => {
		const V = lg.shape[lg.shape.length - 1];
		const logp = tf.logSoftmax(lg);
		const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tf.cast(targets, 'int32'), V), 'float32')), -1);
		const sum = tf.sum(tf.mul(picked, mask), -1);
		const mean = tf.div(sum, tf.maximum(tf.sum(mask, -1), 1));
		return { sum, mean };
	});
}

/** cDPO (eq. 3) on summed log-ratios: −(1−ε)·logσ(βz) − ε·logσ(−βz), z = (π_w − π_l) − (ref_w − ref_l). */
export function cdpoLoss(tf: TF, policySum: Tensor, refSum: Tensor, beta: number, eps: number): Tensor {
	return tf.tidy(() => {
		const B = policySum.shape[0] / 2;
		// Implicit rewards β·log(π/π_ref) of chosen and rejected rows; the loss is the registry's cDPO on them.
		const implicit = tf.mul(tf.sub(policySum, refSum), beta);
		const [iw, il] = tf.split(implicit, [B, B]);
		return tf.mean(LOSSES.cdpo.tensor(tf, iw, il, { eps }));
	});
}

export interface ObjectiveOutput {
	loss: tfjs.Scalar;
	dphLoss: Tensor;
	dpoLoss: Tensor;
	/** [B] rewards of chosen and rejected sequences. */
	rw: Tensor;
	rl: Tensor;
	/** [2B] average log-prob over the assistant content (eval mask), for the log-prob predictor. */
	avgLogProb: Tensor;
	/** Σ next-token cross-entropy over the SFT rows' training mask, and how many tokens that is (both 0 when not computed). */
	sftSum: tfjs.Scalar;
	sftTokens: tfjs.Scalar;
	tokens: number;
}

/**
 * The joint loss for one batch. `refSum` (summed log-probs of the frozen reference model on the same batch, [2B])
 * is computed outside any gradient tape by the caller.
 */
export function objective(
	tf: TF,
	c: ModelConfig,
	p: Params,
	batch: BatchTensors,
	refSum: Tensor | null,
	obj: ObjectiveConfig,
	opts: { training: boolean; dropoutSeed?: number; head?: string },
): ObjectiveOutput {
	const h = familyOf(c).hiddenStates(tf, c, p, batch.ids, { training: opts.training });
	const rows = batch.ids.shape[0];
	const B = batch.chat ? rows : rows / 2;
	let rw: Tensor;
	let rl: Tensor;
	let dphLoss: Tensor;
	if (batch.chat) {
		// Conversations have no rejected answer: nothing to reward.
		[rw, rl, dphLoss] = [tf.zeros([0]), tf.zeros([0]), tf.scalar(0)];
	} else {
		const r = rewards(tf, c, p, h, batch.rewardIndex, opts);
		[rw, rl] = tf.split(r, [B, B]);
		dphLoss = tf.mean(LOSSES[obj.dph].tensor(tf, rw, rl, { eps: obj.dphEps }));
	}
	let dpoLoss: Tensor = tf.scalar(0);
	let avgLogProb: Tensor = tf.zeros([batch.chat ? 0 : 2 * B]);
	let sftSum = tf.scalar(0);
	let sftTokens = tf.scalar(0);
	// Validation always reports the held-out next-token loss, so it needs the logits whatever the weights.
	if (obj.dpoWeight > 0 || obj.sftWeight > 0 || !opts.training) {
		const lg = familyOf(c).logits(tf, c, p, h);
		if (!batch.chat) {
			const train = sequenceLogProbs(tf, lg, batch.targets, batch.trainMask);
			avgLogProb = sequenceLogProbs(tf, lg, batch.targets, batch.evalMask).mean;
			if (obj.dpoWeight > 0 && refSum) dpoLoss = cdpoLoss(tf, train.sum, refSum, obj.beta, obj.dpoEps);
		}
		if (obj.sftWeight > 0 || !opts.training) {
			// The SFT rows: every conversation, or the chosen answers of pairs (rows 0…B−1).
			const first = (x: Tensor) => (batch.chat ? x : tf.slice(x, 0, B));
			({ sum: sftSum, count: sftTokens } = maskedNextTokenCE(
				tf,
				first(lg),
				first(batch.targets),
				first(batch.trainMask),
			));
		}
	}
	const sftLoss = obj.sftWeight > 0 ? tf.mul(meanCE(tf, { sum: sftSum, count: sftTokens }), obj.sftWeight) : 0;
	const loss = tf.add(tf.add(tf.mul(dphLoss, obj.dphWeight), tf.mul(dpoLoss, obj.dpoWeight)), sftLoss) as tfjs.Scalar;
	const tokens = batch.ids.size;
	return { loss, dphLoss, dpoLoss, rw, rl, avgLogProb, sftSum, sftTokens, tokens };
}

/**
 * The frozen cDPO reference, its linear weights transposed once (kv-cache.ts pretranspose: on wasm, within its
 * memory cap) instead of on every step's forward; disposeParams frees the copies with the weights.
 */
export function frozenReference(tf: TF, c: ModelConfig, ref: Params | null): Params | null {
	// LSWT only: a Llama-family reference would also copy its (untied-name) embedding table, up to the 512 MiB cap.
	if (ref && !isLlama(c)) pretranspose(tf, ref);
	return ref;
}

/** Summed training-mask log-probs of the frozen reference model, [2B] (no gradient). */
export function referenceLogProbs(tf: TF, c: ModelConfig, ref: Params, batch: BatchTensors): Tensor {
	return tf.tidy(() => {
		const h = familyOf(c).hiddenStates(tf, c, ref, batch.ids);
		return sequenceLogProbs(tf, familyOf(c).logits(tf, c, ref, h), batch.targets, batch.trainMask).sum;
	});
}

/**
 * The SFT term of the joint objective: α_sft · masked next-token cross-entropy, the paper's SFT stage (and, with
 * only the embeddings trainable, its vocab-extension stage). The mask is the batch's training mask: assistant
 * content and each assistant message's closing `<|im_end|>`, as the reference's `tokenize_chat` train mask, so
 * system and user turns, headers and padding never contribute. The loss is the mean over masked tokens of the
 * micro-batch, as torch's CrossEntropyLoss with ignore_index −100 averages in the reference SFT trainer.
 */
import type * as tfjs from '@tensorflow/tfjs';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

export interface MaskedCE {
	/** Σ over masked positions of −log p(target): a scalar. */
	sum: tfjs.Scalar;
	/** How many positions the mask keeps: a scalar. */
	count: tfjs.Scalar;
}

/**
 * Cross-entropy of `targets` under `lg` ([R, L, V] logits, [R, L] targets and mask), summed over the mask.
 * Log-softmax in float32 with the target picked by a one-hot product, as `sequenceLogProbs` does, so the gradient
 * exists on every backend.
 */
export function maskedNextTokenCE(tf: TF, lg: Tensor, targets: Tensor, mask: Tensor): MaskedCE {
	return tf.tidy(() => {
		const V = lg.shape[lg.shape.length - 1];
		const logp = tf.logSoftmax(lg);
		const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tf.cast(targets, 'int32'), V), 'float32')), -1);
		const m = tf.cast(mask, 'float32');
		return { sum: tf.neg(tf.sum(tf.mul(picked, m))) as tfjs.Scalar, count: tf.sum(m) as tfjs.Scalar };
	});
}

/** The mean of a MaskedCE (0 when the mask is empty, so an all-context batch adds nothing rather than NaN). */
export function meanCE(tf: TF, ce: MaskedCE): tfjs.Scalar {
	return tf.tidy(() => tf.div(ce.sum, tf.maximum(ce.count, 1)) as tfjs.Scalar);
}

export interface SftMetrics {
	/** Token-weighted mean next-token cross-entropy (nats) over the masked tokens; NaN when none were scored. */
	nextTokenLoss: number;
	/** exp(nextTokenLoss). */
	perplexity: number;
	/** Masked tokens scored. */
	sftTokens: number;
}

/** Running token-weighted next-token loss, over training micro-batches or a validation pass. */
export class SftTally {
	private sum = 0;
	private count = 0;

	add(sum: number, count: number) {
		this.sum += sum;
		this.count += count;
	}

	metrics(): SftMetrics {
		const loss = this.count ? this.sum / this.count : Number.NaN;
		return { nextTokenLoss: loss, perplexity: Math.exp(loss), sftTokens: this.count };
	}
}

/**
 * The Direct Preference Head on top of any backbone: the reward pooler (the reference's `pooler_pipeline`) and the
 * named reward heads, reading one hidden state per sequence. Nothing here depends on the model family; it needs
 * only the few config fields of `RewardConfig`, which LSWTConfig and LlamaConfig both carry.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { PoolerName } from './config';
import { headKey, resolveHead } from './heads';
import { linear, swiglu } from './linear';

export { describeHeads, HeadError, headKey, headNames, resolveHead, unknownHead } from './heads';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** The config fields the pooler and heads read. */
export interface RewardConfig {
	d_model: number;
	/** Inner width of the SwiGLU poolers (fc1 maps to 2·d_ffn). */
	d_ffn: number;
	reward_pooler: PoolerName;
	reward_heads: string[] | null;
	reward_dropout: number;
}

export interface RewardOptions {
	/** Enables dropout in the pooler. */
	training?: boolean;
	/** Seed for dropout masks (training only), for reproducible runs. */
	dropoutSeed?: number;
	/** The reward head to read (config.reward_heads); default the first, as the reference's evaluation does. */
	head?: string | null;
}

/** torch.nn.Sequential indices differ by pooler: these are the Linear layers' keys. */
export function poolerLinears(
	c: Pick<RewardConfig, 'd_model' | 'd_ffn' | 'reward_pooler'>,
): { key: string; shape: [number, number] }[] {
	const d = c.d_model;
	switch (c.reward_pooler) {
		case 'identity':
			return [];
		case 'bert':
			return [{ key: 'pooler_pipeline.0', shape: [d, d] }];
		case 't5':
			return [{ key: 'pooler_pipeline.1', shape: [d, d] }];
		case 'swiglu_bert':
			return [
				{ key: 'pooler_pipeline.0', shape: [2 * c.d_ffn, d] },
				{ key: 'pooler_pipeline.2', shape: [d, c.d_ffn] },
			];
		case 'swiglu_t5':
			return [
				{ key: 'pooler_pipeline.1', shape: [2 * c.d_ffn, d] },
				{ key: 'pooler_pipeline.3', shape: [d, c.d_ffn] },
			];
	}
}

export function poolerShapes(c: Pick<RewardConfig, 'd_model' | 'd_ffn' | 'reward_pooler'>): [string, number[]][] {
	return poolerLinears(c).flatMap(({ key, shape }) => [
		[`${key}.weight`, shape] as [string, number[]],
		[`${key}.bias`, [shape[0]]] as [string, number[]],
	]);
}

/** The pooler's and every head's parameters, in the reference's order. */
export function rewardShapes(c: Pick<RewardConfig, 'd_model' | 'd_ffn' | 'reward_pooler' | 'reward_heads'>) {
	const out = poolerShapes(c);
	for (const h of c.reward_heads ?? []) out.push([headKey(h), [1, c.d_model]]);
	return out;
}

/**
 * The reward pooler on the selected hidden state x [B, D] (the reference's `pooler_pipeline`): identity, BERT
 * (tanh(linear)), T5 (dropout first) and their SwiGLU variants. `drop(t, k)` applies the k-th dropout site.
 */
function pool(
	tf: TF,
	c: RewardConfig,
	p: Record<string, Tensor>,
	x: Tensor,
	drop: (t: Tensor, k: number) => Tensor,
): Tensor {
	const lin = (key: string, t: Tensor) => linear(tf, t, p[`${key}.weight`], p[`${key}.bias`]);
	const [l1, l2] = poolerLinears(c).map((l) => l.key);
	switch (c.reward_pooler) {
		case 'identity':
			return drop(x, 0);
		case 'bert':
			return drop(tf.tanh(lin(l1, x)), 1);
		case 't5':
			return drop(tf.tanh(lin(l1, drop(x, 0))), 1);
		case 'swiglu_bert':
			return drop(tf.tanh(lin(l2, swiglu(tf, lin(l1, x)))), 1);
		case 'swiglu_t5':
			return drop(tf.tanh(lin(l2, swiglu(tf, lin(l1, drop(x, 0))))), 1);
	}
}

/** The hidden state at each row's `rewardIndex`, [B, D]: a one-hot matMul, which has a gradient on every backend. */
export function selectHidden(tf: TF, hidden: Tensor, rewardIndex: Tensor): Tensor {
	return tf.tidy(() => {
		const [B, S, d] = hidden.shape as [number, number, number];
		const hot = tf.oneHot(tf.cast(rewardIndex, 'int32') as tfjs.Tensor1D, S);
		const pick = tf.reshape(tf.cast(hot, 'float32'), [B, 1, S]);
		return tf.reshape(tf.matMul(pick, hidden), [B, d]);
	});
}

/**
 * Rewards [B] from already selected hidden states x [B, D]: the pooler, then one reward head. Split from `rewards`
 * so frozen-backbone training (cached-heads.ts) runs the same ops, dropout masks included, on cached vectors.
 */
export function pooledRewards(
	tf: TF,
	c: RewardConfig,
	p: Record<string, Tensor>,
	x: Tensor,
	opts: RewardOptions = {},
): Tensor {
	return tf.tidy(() => {
		const head = resolveHead(c, opts.head);
		const pooled = pool(tf, c, p, x, (t, k) =>
			opts.training && c.reward_dropout > 0
				? tf.dropout(t, c.reward_dropout, undefined, (opts.dropoutSeed ?? 0) + k)
				: t,
		); // [B, D]
		return tf.reshape(linear(tf, pooled, p[headKey(head)]), [x.shape[0] as number]);
	});
}

/**
 * The DPH reward of each sequence, [B]: the hidden state at `rewardIndex` (the last <|im_end|>) through the
 * pooler and the reward head `opts.head` (default the first).
 */
export function rewards(
	tf: TF,
	c: RewardConfig,
	p: Record<string, Tensor>,
	hidden: Tensor,
	rewardIndex: Tensor,
	opts: RewardOptions = {},
): Tensor {
	return tf.tidy(() => pooledRewards(tf, c, p, selectHidden(tf, hidden, rewardIndex), opts));
}

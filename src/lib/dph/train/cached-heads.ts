/**
 * Frozen-backbone training on cached vectors (the paper's frozen-Qwen setup, Table 6). When only the pooler and
 * reward heads train and nothing but the DPH term is in the loss, a sequence's reward depends on the backbone only
 * through the hidden state at its reward position, which no step changes. So that vector is computed once per
 * sequence (train and validation pairs), and each step runs the pooler and head on a gather of cached rows: the
 * same ops, dropout seeds and loss as the full forward, without the backbone. Validation's average log-prob (the
 * log-prob predictor) is frozen with the backbone, so it is cached too.
 * Both paths go through MicroBatch, so the trainer's step does not care which one it runs.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { PairBatch, PreferencePair } from '../data';
import { LOSSES } from '../losses';
import { familyOf, type ModelConfig } from '../model/family';
import { type Params, pooledRewards, selectHidden } from '../model/lswt';
import type { TrainConfig } from './config';
import {
	type BatchTensors,
	batchTensorList,
	type ObjectiveConfig,
	type ObjectiveOutput,
	objective,
	sequenceLogProbs,
} from './objective';
import { DPH_PREFIXES } from './param-groups';

type TF = typeof tfjs;

export interface MicroOptions {
	training: boolean;
	dropoutSeed?: number;
}

/** One micro-batch ready to run: the objective on it (under a gradient tape when training), then dispose. */
export interface MicroBatch {
	/** Non-pad tokens of its sequences. */
	tokens: number;
	run(opts: MicroOptions): ObjectiveOutput;
	dispose(): void;
}

/** The full forward: the backbone runs on the batch's token ids. */
export function fullMicroBatch(
	tf: TF,
	c: ModelConfig,
	p: Params,
	t: BatchTensors,
	refSum: tfjs.Tensor | null,
	obj: ObjectiveConfig,
	tokens: number,
	head: string,
): MicroBatch {
	return {
		tokens,
		run: (opts) => objective(tf, c, p, t, refSum, obj, { ...opts, head }),
		dispose: () => tf.dispose([...batchTensorList(t), ...(refSum ? [refSum] : [])]),
	};
}

/**
 * Whether a run can train on cached vectors: caching on (heads.cache, default true), every trainable parameter in
 * the pooler or a reward head, and every objective weight but the DPH term's zero (cDPO, and any term added later
 * under an `…Weight` name, needs the backbone's logits at every step).
 */
export function canCacheBackbone(cfg: TrainConfig, trainableNames: readonly string[]): boolean {
	if (cfg.heads?.cache === false) return false;
	const terms = Object.entries(cfg.objective).filter(([k]) => k.endsWith('Weight') && k !== 'dphWeight');
	return (
		terms.every(([, v]) => v === 0) &&
		trainableNames.length > 0 &&
		trainableNames.every((n) => DPH_PREFIXES.some((p) => n.startsWith(p)))
	);
}

export interface CacheSource {
	pairs: readonly PreferencePair[];
	/** Also cache the average log-prob of each sequence (validation: the log-prob predictor). */
	logProbs: boolean;
}

/** Pairs per forward pass while filling the cache. */
const FILL_PAIRS = 32;

export class BackboneCache {
	private constructor(
		private tf: TF,
		/** [2N, d_model]: row 2i the chosen, 2i + 1 the rejected sequence of pair i. */
		private vectors: tfjs.Tensor2D,
		private index: Map<PreferencePair, number>,
		private tokens: Int32Array,
		/** [2N] average log-probs (0 where not cached). */
		private logProb: Float32Array,
		/** Seconds the fill took. */
		readonly seconds: number,
	) {}

	/**
	 * Run the frozen backbone once over every pair of `sources`, batched by `batch` (the trainer's own batching, so
	 * truncation and padding are those of the uncached run). A pair that `batch` skips has no entry, and is skipped
	 * by micro() as the batch would skip it.
	 */
	static async build(
		tf: TF,
		c: ModelConfig,
		p: Params,
		sources: readonly CacheSource[],
		batch: (pairs: PreferencePair[]) => PairBatch,
	): Promise<BackboneCache> {
		const t0 = performance.now();
		const want = new Map<PreferencePair, boolean>();
		for (const s of sources) for (const pair of s.pairs) want.set(pair, (want.get(pair) ?? false) || s.logProbs);
		const all = [...want.keys()];
		const d = c.d_model;
		const vec = new Float32Array(2 * all.length * d);
		const logProb = new Float32Array(2 * all.length);
		const tokens = new Int32Array(all.length);
		const index = new Map<PreferencePair, number>();
		// Log-probs need the logits, so pairs that need them are batched apart from those that do not.
		for (const lp of [false, true]) {
			const group = all.filter((pair) => want.get(pair) === lp);
			for (let s = 0; s < group.length; s += FILL_PAIRS) {
				const chunk = group.slice(s, s + FILL_PAIRS);
				const b = batch(chunk);
				const B = b.pairs;
				const shape: [number, number] = [b.rows, b.length];
				const out = tf.tidy(() => {
					const ids = tf.tensor2d(b.ids, shape, 'int32');
					const h = familyOf(c).hiddenStates(tf, c, p, ids);
					const x = selectHidden(tf, h, tf.tensor1d(b.rewardIndex, 'int32'));
					if (!lp) return [x];
					const lg = familyOf(c).logits(tf, c, p, h);
					const targets = tf.tensor2d(b.targets, shape, 'int32');
					return [x, sequenceLogProbs(tf, lg, targets, tf.tensor2d(b.evalMask, shape, 'float32')).mean];
				});
				const [xv, lv] = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
				tf.dispose(out);
				b.kept.forEach((k, j) => {
					const i = index.size;
					index.set(chunk[k], i);
					// Rows: B chosen then B rejected; the cache interleaves them per pair.
					vec.set(xv.subarray(j * d, (j + 1) * d), 2 * i * d);
					vec.set(xv.subarray((B + j) * d, (B + j + 1) * d), (2 * i + 1) * d);
					tokens[i] = b.seqLength[j] + b.seqLength[B + j];
					if (lv) {
						logProb[2 * i] = lv[j];
						logProb[2 * i + 1] = lv[B + j];
					}
				});
			}
		}
		const n = index.size;
		const vectors = tf.tensor2d(vec.subarray(0, 2 * n * d), [2 * n, d]);
		return new BackboneCache(tf, vectors, index, tokens, logProb, (performance.now() - t0) / 1000);
	}

	/** Cached sequences (2 per pair). */
	get rows(): number {
		return this.vectors.shape[0];
	}

	/** A micro-batch of `pairs` (chosen rows first, as the full batch stacks them) on the cached vectors. */
	micro(c: ModelConfig, p: Params, obj: ObjectiveConfig, head: string, pairs: readonly PreferencePair[]): MicroBatch {
		const tf = this.tf;
		const at = pairs.map((pair) => this.index.get(pair)).filter((i): i is number => i !== undefined);
		const rows = [...at.map((i) => 2 * i), ...at.map((i) => 2 * i + 1)];
		const idx = tf.tensor1d(rows, 'int32');
		const lp = Float32Array.from(rows, (r) => this.logProb[r]);
		return {
			tokens: at.reduce((a, i) => a + this.tokens[i], 0),
			run: (opts) => {
				const x = tf.gather(this.vectors, idx); // [2B, D], a constant: no gradient reaches the backbone
				const r = pooledRewards(tf, c, p, x, { ...opts, head });
				const B = at.length;
				const [rw, rl] = tf.split(r, [B, B]);
				const dphLoss = tf.mean(LOSSES[obj.dph].tensor(tf, rw, rl, { eps: obj.dphEps }));
				const dpoLoss = tf.scalar(0);
				// As objective(): log-probs are only computed (here: read) outside training.
				const avgLogProb = opts.training ? tf.zeros([2 * B]) : tf.tensor1d(lp);
				const loss = tf.add(tf.mul(dphLoss, obj.dphWeight), tf.mul(dpoLoss, obj.dpoWeight)) as tfjs.Scalar;
				// No language-model term here (canCacheBackbone): the SFT sums are empty, so no next-token loss is reported.
				const [sftSum, sftTokens] = [tf.scalar(0), tf.scalar(0)];
				return { loss, dphLoss, dpoLoss, rw, rl, avgLogProb, sftSum, sftTokens, tokens: 2 * B };
			},
			dispose: () => idx.dispose(),
		};
	}

	dispose(): void {
		this.vectors.dispose();
	}
}

/** A BackboneCache filled on first use (the first step or evaluation), so constructing a trainer stays cheap. */
export class LazyBackboneCache {
	private filling: Promise<BackboneCache> | null = null;
	private filled: BackboneCache | null = null;
	private disposed = false;

	constructor(private fill: () => Promise<BackboneCache>) {}

	/**
	 * The cache of a run when canCacheBackbone allows it, else null. `run()` gives the trainer's model and data when
	 * the fill starts (the data is loaded after the cache is set up). Only pairs reach it: the cache needs
	 * dphWeight > 0 and messages-only data α1 = α2 = 0.
	 */
	static forRun(
		tf: TF,
		cfg: TrainConfig,
		trainableNames: readonly string[],
		run: () => { config: ModelConfig; params: Params; data: readonly unknown[]; val: readonly unknown[] },
		batch: (pairs: PreferencePair[]) => PairBatch,
	): LazyBackboneCache | null {
		if (!canCacheBackbone(cfg, trainableNames)) return null;
		return new LazyBackboneCache(() => {
			const r = run();
			const sources = [
				{ pairs: r.data as PreferencePair[], logProbs: false },
				{ pairs: r.val as PreferencePair[], logProbs: true },
			];
			return BackboneCache.build(tf, r.config, r.params, sources, batch);
		});
	}

	async micro(c: ModelConfig, p: Params, obj: ObjectiveConfig, head: string, pairs: PreferencePair[]) {
		this.filling ??= this.fill().then((cache) => {
			if (this.disposed) cache.dispose();
			else this.filled = cache;
			return cache;
		});
		return (await this.filling).micro(c, p, obj, head, pairs);
	}

	/** Seconds the fill took, null before it ran. */
	get seconds(): number | null {
		return this.filled?.seconds ?? null;
	}

	dispose(): void {
		this.disposed = true;
		this.filled?.dispose();
		this.filled = null;
	}
}

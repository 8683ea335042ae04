/**
 * Incremental decoding with a per-layer key/value cache (docs/GENERATION.md § Cached decoding).
 *
 * The prompt is prefilled once with batch 1; its cache is tiled to the N samples, which then decode one token per
 * step as one batch. A sample ends at `<|im_end|>` (finish "im_end") or after `maxNewTokens` (finish "length");
 * finished samples leave the batch, so the last long sample does not drag the others' rows along.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { familyOf, type ModelConfig } from '../model/family';
import { disposeCache, type KVCache, pretranspose, selectRows, tileCache } from '../model/kv-cache';
import type { Params } from '../model/lswt';
import { deriveSeed, mulberry32 } from '../random';
import { checkSampling, type SamplingOptions, sampleToken } from './sample';

type TF = typeof tfjs;

/**
 * The LM head for decoding: logits [B, V] as the family's `logits` computes them (LSWT: (h · W_headᵀ) · Eᵀ;
 * Llama: h · W_lmᵀ), with the transposes made once per decode. On wasm a transposed operand is otherwise copied on
 * every call (tfops.ts mm), which for the [vocab, d] embedding is the largest cost of a step.
 */
export class DecodeHead {
	private readonly chainT: tfjs.Tensor2D[];

	constructor(
		private readonly tf: TF,
		p: Params,
		config?: ModelConfig,
	) {
		// Without a config the parameter names tell the family: only LSWT has head_proj.
		const chain = config
			? familyOf(config).headChain(config, p)
			: p['head_proj.weight']
				? [p['head_proj.weight'], p['model.input_embedding.embedding.weight']]
				: [p['lm_head.weight'] ?? p['model.embed_tokens.weight']];
		this.chainT = chain.map((w) => tf.transpose(w) as tfjs.Tensor2D);
	}

	/** h [B, D] → logits [B, V]. */
	apply(h: tfjs.Tensor): tfjs.Tensor2D {
		const { tf } = this;
		return tf.tidy(() => this.chainT.reduce((x, wT) => tf.matMul(x, wT), h as tfjs.Tensor2D));
	}

	dispose(): void {
		for (const t of this.chainT) t.dispose();
	}
}

/**
 * A cached decoder over one batch of sequences that share a prefix. `prefill` runs the prompt; each `step` feeds
 * one token per row still decoding and returns the next-token logits of those rows.
 */
export class CachedDecoder {
	private cache: KVCache | null = null;
	private readonly head: DecodeHead;
	private readonly release: () => void;

	constructor(
		private readonly tf: TF,
		private readonly config: ModelConfig,
		private readonly params: Params,
	) {
		this.head = new DecodeHead(tf, params, config);
		this.release = pretranspose(tf, params);
	}

	/** Tokens held per row. */
	get length(): number {
		return this.cache?.length ?? 0;
	}

	/** Run `prompt` (batch 1), then repeat its cache `rows` times. Returns the logits after the prompt, [vocab]. */
	async prefill(prompt: readonly number[], rows = 1): Promise<Float32Array> {
		this.reset();
		const [last] = await this.run([prompt as number[]]);
		if (rows > 1 && this.cache) {
			const one = this.cache;
			this.cache = tileCache(this.tf, one, rows);
			disposeCache(one);
		}
		return last;
	}

	/**
	 * Keep only these rows (indices into the current batch), then feed `tokens[r]` to row r. Returns one logit row
	 * per (kept) row.
	 */
	async step(tokens: readonly number[], keep?: readonly number[]): Promise<Float32Array[]> {
		if (!this.cache) throw new Error('CachedDecoder.step before prefill');
		if (keep) {
			const old = this.cache;
			this.cache = selectRows(this.tf, old, keep);
			disposeCache(old);
		}
		return this.run(tokens.map((t) => [t]));
	}

	private async run(ids: number[][]): Promise<Float32Array[]> {
		const { tf } = this;
		const S = ids[0].length;
		const x = tf.tensor2d(ids, [ids.length, S], 'int32');
		let out: { hidden: tfjs.Tensor; cache: KVCache };
		try {
			out = familyOf(this.config).extendHidden(tf, this.config, this.params, x, this.cache);
		} finally {
			x.dispose();
		}
		disposeCache(this.cache);
		this.cache = out.cache;
		const lg = tf.tidy(() => {
			const [B, , D] = out.hidden.shape as [number, number, number];
			return this.head.apply(tf.reshape(tf.slice(out.hidden, [0, S - 1, 0], [B, 1, D]), [B, D]));
		});
		out.hidden.dispose();
		const data = (await lg.data()) as Float32Array;
		const V = lg.shape[1] as number;
		lg.dispose();
		return ids.map((_, r) => data.subarray(r * V, (r + 1) * V));
	}

	/** Drop the cache; the decoder can prefill again. */
	reset(): void {
		disposeCache(this.cache);
		this.cache = null;
	}

	dispose(): void {
		this.reset();
		this.head.dispose();
		this.release();
	}
}

export type Finish = 'im_end' | 'length';

export interface DecodedSample {
	/** Generated ids, the final `<|im_end|>` included when generated. */
	ids: number[];
	finish: Finish;
}

export interface DecodeOptions extends SamplingOptions {
	/** Samples of the prompt (default 1). */
	n?: number;
	maxNewTokens: number;
	/** Sample k draws from its own stream derived from this seed, so it does not depend on the batch (default 0). */
	seed?: number;
	/** The id that ends a sample. */
	stopId: number;
	/** Called with (sample, token) as each token is chosen, for streaming. */
	onToken?: (sample: number, id: number) => void;
	signal?: AbortSignal;
}

/** Decode `n` samples of `prompt` (ids, ending with the assistant header) as one batch sharing its cache. */
export async function decode(
	tf: TF,
	config: ModelConfig,
	params: Params,
	prompt: readonly number[],
	opts: DecodeOptions,
): Promise<DecodedSample[]> {
	checkSampling(opts);
	const n = opts.n ?? 1;
	const rands = Array.from({ length: n }, (_, k) => mulberry32(deriveSeed(opts.seed ?? 0, 'sample', k)));
	const samples: DecodedSample[] = Array.from({ length: n }, () => ({ ids: [], finish: 'length' }));
	if (opts.maxNewTokens < 1) return samples;
	const dec = new CachedDecoder(tf, config, params);
	try {
		const first = await dec.prefill(prompt, n);
		let rows: Float32Array[] = samples.map(() => first);
		/** Sample index of each batch row. */
		let active = samples.map((_, k) => k);
		for (let t = 0; ; t++) {
			if (opts.signal?.aborted) throw new DOMException('Generation was stopped', 'AbortError');
			const next: number[] = [];
			const keep: number[] = [];
			active.forEach((k, r) => {
				const id = sampleToken(rows[r], opts, rands[k]);
				samples[k].ids.push(id);
				opts.onToken?.(k, id);
				if (id === opts.stopId) samples[k].finish = 'im_end';
				else {
					keep.push(r);
					next.push(id);
				}
			});
			if (t + 1 >= opts.maxNewTokens || keep.length === 0) break;
			rows = await dec.step(next, keep.length < active.length ? keep : undefined);
			active = keep.map((r) => active[r]);
		}
		return samples;
	} finally {
		dec.dispose();
	}
}

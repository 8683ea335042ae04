/**
 * Generation benchmark (used by `dph bench`): generated tokens per second of the cached decoder, and its speed-up
 * over recomputing the whole sequence for every new token (the decoder without a cache), on the current backend.
 *
 * Both decode greedily from the same random model with a stop id that never occurs, so both make exactly
 * `newTokens` tokens after a `promptTokens`-token prompt. The uncached decoder runs the full forward on prompt +
 * tokens so far and reads the logits at the last position only (as the cached one does), so the ratio is the
 * cache's alone. A short warm-up of each (kernels, tables) is not timed.
 */
import { BACKENDS, type BackendName, getTf, initBackend, type TF } from '../../lib/dph/backend';
import { checkpointBenchConfig } from '../../lib/dph/bench/checkpoint';
import { DecodeHead, decode } from '../../lib/dph/generate/decode';
import { argmax } from '../../lib/dph/generate/sample';
import type { LSWTConfig } from '../../lib/dph/model/config';
import { pretranspose } from '../../lib/dph/model/kv-cache';
import { countParameters, disposeParams, hiddenStates, initParams, type Params } from '../../lib/dph/model/lswt';
import { isSoftwareGpu } from './score-harness';

export interface GenerateBench {
	parameters: number;
	promptTokens: number;
	newTokens: number;
	/** One sample: new tokens / s of the cached decoder. */
	cachedTokensPerS: number;
	/** `batch` samples of one prompt decoded together: new tokens (all samples) / s. */
	batchTokensPerS: number;
	batch: number;
	/** One sample, the whole sequence recomputed per token. */
	uncachedTokensPerS: number;
	/** Median over interleaved repetitions of uncached time / median cached time, for one sample. */
	speedup: number;
	/** Tensors left behind by the timed runs (0 when nothing leaks). */
	tensorGrowth: number;
	/**
	 * Leading tokens on which the two greedy decoders agree: both run one model, so fewer than newTokens means one
	 * of them is wrong (or two logits tie within float32 rounding), not slow.
	 */
	agreeTokens: number;
}

/** Greedy decoding without a cache: the full forward per token, with the cached decoder's head and weights. */
async function uncached(tf: TF, c: LSWTConfig, p: Params, prompt: number[], n: number): Promise<number[]> {
	const seq = [...prompt];
	const head = new DecodeHead(tf, p);
	const release = pretranspose(tf, p);
	try {
		for (let t = 0; t < n; t++) {
			const lg = tf.tidy(() => {
				const h = hiddenStates(tf, c, p, tf.tensor2d([seq], [1, seq.length], 'int32'));
				return head.apply(tf.reshape(tf.slice(h, [0, seq.length - 1, 0], [1, 1, c.d_model]), [1, c.d_model]));
			});
			seq.push(argmax((await lg.data()) as Float32Array));
			lg.dispose();
		}
	} finally {
		head.dispose();
		release();
	}
	return seq.slice(prompt.length);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchGenerate(
	tf: TF,
	config: LSWTConfig,
	o: { promptTokens?: number; newTokens?: number; batch?: number; reps?: number } = {},
): Promise<GenerateBench> {
	const reps = o.reps ?? 3;
	const P = o.promptTokens ?? 40;
	const n = o.newTokens ?? 64;
	const batch = o.batch ?? 8;
	const p = initParams(tf, config, 1);
	try {
		const prompt = Array.from({ length: P }, (_, i) => 4 + ((i * 7) % (config.vocab_size - 4)));
		const opts = { temperature: 0, stopId: -1, maxNewTokens: n };
		await decode(tf, config, p, prompt, { ...opts, maxNewTokens: 4 });
		await uncached(tf, config, p, prompt, 2);
		const before = tf.memory().numTensors;
		// Interleaved repetitions, medians: a machine whose load drifts slows both decoders alike.
		const times = { cached: [] as number[], batch: [] as number[], uncached: [] as number[] };
		let cached: number[] = [];
		let full: number[] = [];
		for (let r = 0; r < reps; r++) {
			let t0 = performance.now();
			cached = (await decode(tf, config, p, prompt, opts))[0].ids;
			times.cached.push(performance.now() - t0);
			t0 = performance.now();
			await decode(tf, config, p, prompt, { ...opts, n: batch, temperature: 1, seed: 1 });
			times.batch.push(performance.now() - t0);
			t0 = performance.now();
			full = await uncached(tf, config, p, prompt, n);
			times.uncached.push(performance.now() - t0);
		}
		const cachedMs = median(times.cached);
		const batchMs = median(times.batch);
		const uncachedMs = median(times.uncached);
		let agree = 0;
		while (agree < n && full[agree] === cached[agree]) agree++;
		return {
			parameters: countParameters(config),
			promptTokens: P,
			newTokens: n,
			cachedTokensPerS: (n * 1000) / cachedMs,
			batchTokensPerS: (batch * n * 1000) / batchMs,
			batch,
			uncachedTokensPerS: (n * 1000) / uncachedMs,
			speedup: uncachedMs / cachedMs,
			tensorGrowth: tf.memory().numTensors - before,
			agreeTokens: agree,
		};
	} finally {
		disposeParams(p);
	}
}

type Num = number | null;

/** Between tiny and the paper's medium: d_model 512, 8 layers, 8 heads, the OPT vocabulary; 60 M parameters. */
export const SMALL_CONFIG: LSWTConfig = {
	...checkpointBenchConfig('tiny').config,
	d_vocab: 512,
	d_model: 512,
	d_ffn: 2048,
	n_heads: 8,
	n_layers: 8,
};

/**
 * The `generate` part of `dph bench`: every backend that starts (SwiftShader WebGPU skipped: it emulates the GPU
 * on the CPU), the tiny preset with the OPT vocabulary (--quick: nano, wasm only, one repetition).
 */
export async function generateBench(
	quick: boolean,
	log: (s: string) => void,
	notes: Record<string, string>,
): Promise<{ result: Record<string, unknown>; text: string }> {
	const model = quick ? 'nano' : 'tiny';
	const config = checkpointBenchConfig(model).config;
	const perS: Record<BackendName, Num> = { webgpu: null, wasm: null, cpu: null };
	const batchPerS: Record<BackendName, Num> = { webgpu: null, wasm: null, cpu: null };
	const speedup: Record<BackendName, Num> = { webgpu: null, wasm: null, cpu: null };
	const runs: Record<string, GenerateBench> = {};
	for (const backend of BACKENDS) {
		const why = (s: string) => {
			for (const k of ['generate_tokens_per_s', 'generate_batch_tokens_per_s', 'generate_cache_speedup'])
				notes[`${k}.${backend}`] = s;
		};
		if (quick && backend !== 'wasm') {
			why('--quick measures wasm only');
			continue;
		}
		try {
			const report = await initBackend({ prefer: backend });
			if (backend === 'webgpu' && isSoftwareGpu(report.adapter)) {
				why('SwiftShader: GPU kernels emulated on the CPU, not measured');
				continue;
			}
			log(`generation, ${model} preset, on ${backend}…\n`);
			const tf = await getTf();
			// The cpu backend's uncached baseline takes minutes at tiny size: one repetition there.
			const r = await benchGenerate(tf, config, { reps: quick || backend === 'cpu' ? 1 : 3 });
			runs[backend] = r;
			perS[backend] = r.cachedTokensPerS;
			batchPerS[backend] = r.batchTokensPerS;
			speedup[backend] = r.speedup;
		} catch (e) {
			why(`unavailable: ${(e as Error).message}`);
		}
	}
	// Where tiny's ~190 small kernels per step dominate, the cache cannot pay much; a wider model shows what it
	// saves once the layers cost more than dispatching them (wasm only: cpu would take minutes uncached).
	let small: GenerateBench | null = null;
	if (!quick) {
		try {
			await initBackend({ prefer: 'wasm' });
			log('generation, small model (60 M parameters), on wasm…\n');
			small = await benchGenerate(await getTf(), SMALL_CONFIG, { reps: 1 });
		} catch (e) {
			notes.generate_small_wasm = `unavailable: ${(e as Error).message}`;
		}
	}
	const fmt = (v: Num, d: number) => (v === null ? '—' : v.toFixed(d)).padStart(10);
	let text = `\nGeneration, ${model} preset (${(countParameters(config) / 1e6).toFixed(1)} M parameters), 40-token prompt, 64 new tokens, greedy:\n`;
	text += `  ${''.padEnd(26)}${BACKENDS.map((b) => b.padStart(10)).join('')}\n`;
	text += `  ${'tokens/s, 1 sample'.padEnd(26)}${BACKENDS.map((b) => fmt(perS[b], 1)).join('')}\n`;
	text += `  ${'tokens/s, 8 samples'.padEnd(26)}${BACKENDS.map((b) => fmt(batchPerS[b], 1)).join('')}\n`;
	text += `  ${'cache speed-up'.padEnd(26)}${BACKENDS.map((b) => fmt(speedup[b], 1)).join('')}\n`;
	if (small) {
		text += `  small (d_model 512, 8 layers, ${(small.parameters / 1e6).toFixed(0)} M) on wasm: ${small.cachedTokensPerS.toFixed(1)} tokens/s (8 samples: ${small.batchTokensPerS.toFixed(1)}), cache speed-up ${small.speedup.toFixed(1)}×\n`;
	}
	return {
		result: {
			generate_tokens_per_s: perS,
			generate_batch_tokens_per_s: batchPerS,
			generate_cache_speedup: speedup,
			generate: {
				definition: `new tokens per second of decode() (greedy, a stop id that never occurs) after a 40-token prompt, 64 new tokens, prefill included; batch: 8 samples of the prompt at temperature 1; speed-up: median time of greedy decoding that recomputes the whole sequence per token (same head and weights) / median cached time, interleaved repetitions; ${model} preset with the OPT vocabulary (50 272), random weights`,
				runs,
				small_wasm: small,
			},
		},
		text,
	};
}

/**
 * A real, tiny training run used to check a backend end to end (page, worker, Node and CI): a token-embedding
 * reward model (embedding → mean pool → tanh pooler → bias-free reward head) trained with the ConDPH loss on a
 * synthetic preference task where the preferred sequence contains more "good" tokens. Small enough for
 * SwiftShader WebGPU, real enough to exercise matMul, embedding gradients, reductions and the optimizer.
 */
import type * as TF from '@tensorflow/tfjs';
import { type BackendName, getTf, initBackend } from './backend';
import { mulberry32 } from './random';
import { embed, logSigmoid } from './tfops';

export interface SelfTestOptions {
	backend?: BackendName;
	steps?: number;
	batch?: number;
	seqLen?: number;
	vocab?: number;
	dim?: number;
	seed?: number;
	eps?: number;
	learningRate?: number;
	onStep?: (s: SelfTestStep) => void;
	signal?: AbortSignal;
}

export interface SelfTestStep {
	step: number;
	loss: number;
	accuracy: number;
	ms: number;
	numTensors: number;
}

export interface SelfTestResult {
	backend: BackendName;
	label: string;
	steps: SelfTestStep[];
	/** Mean of the first and last quarter of the loss curve. */
	firstLoss: number;
	lastLoss: number;
	msPerStep: number;
	/** numTensors after each step minus after the first: 0 everywhere means no leak. */
	tensorGrowth: number;
	stopped: boolean;
}

/** Pairs of token sequences; the chosen one has more tokens from the "good" half of the vocabulary. */
export function makePairs(rand: () => number, n: number, seqLen: number, vocab: number) {
	const chosen = new Int32Array(n * seqLen);
	const rejected = new Int32Array(n * seqLen);
	const half = vocab >> 1;
	for (let i = 0; i < n; i++) {
		for (let t = 0; t < seqLen; t++) {
			const good = rand() < 0.7;
			chosen[i * seqLen + t] = good ? Math.floor(rand() * half) : half + Math.floor(rand() * half);
			const bad = rand() < 0.7;
			rejected[i * seqLen + t] = bad ? half + Math.floor(rand() * half) : Math.floor(rand() * half);
		}
	}
	return { chosen, rejected };
}

export async function runSelfTest(opts: SelfTestOptions = {}): Promise<SelfTestResult> {
	const { steps = 20, batch = 8, seqLen = 8, vocab = 32, dim = 16, seed = 1, eps = 0.1, learningRate = 0.05 } = opts;
	const report = await initBackend(opts.backend ? { prefer: opts.backend } : {});
	const tf = await getTf();
	const rand = mulberry32(seed);
	const init = (shape: number[], scale: number) => {
		const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
		for (let i = 0; i < a.length; i++) a[i] = (rand() * 2 - 1) * scale;
		return tf.variable(tf.tensor(a, shape));
	};
	const E = init([vocab, dim], 0.5);
	const Wp = init([dim, dim], 1 / Math.sqrt(dim));
	const w = init([dim, 1], 1 / Math.sqrt(dim));
	const vars = [E, Wp, w];
	const optimizer = tf.train.adam(learningRate);

	const reward = (ids: TF.Tensor): TF.Tensor =>
		tf.tidy(() => {
			const h = tf.mean(embed(tf, E, ids, { differentiable: true }), 1) as TF.Tensor2D;
			return tf.reshape(tf.matMul(tf.tanh(tf.matMul(h, Wp)), w as TF.Tensor2D), [-1]);
		});

	const out: SelfTestStep[] = [];
	let baseline = -1;
	let stopped = false;
	try {
		for (let step = 0; step < steps; step++) {
			if (opts.signal?.aborted) {
				stopped = true;
				break;
			}
			const t0 = performance.now();
			const { chosen, rejected } = makePairs(rand, batch, seqLen, vocab);
			const ids = tf.tensor2d(chosen, [batch, seqLen], 'int32');
			const idsL = tf.tensor2d(rejected, [batch, seqLen], 'int32');
			const lossT = optimizer.minimize(
				() =>
					tf.tidy(() => {
						const margin = tf.sub(reward(ids), reward(idsL));
						// ConDPH (eq. 6): −(1−ε)·logσ(Δ) − ε·logσ(−Δ)
						const l = tf.neg(
							tf.add(tf.mul(1 - eps, logSigmoid(tf, margin)), tf.mul(eps, logSigmoid(tf, tf.neg(margin)))),
						);
						return tf.mean(l) as TF.Scalar;
					}),
				true,
				vars,
			);
			const accT = tf.tidy(() => tf.mean(tf.cast(tf.greater(tf.sub(reward(ids), reward(idsL)), 0), 'float32')));
			const [lossV, accV] = await Promise.all([lossT!.data(), accT.data()]);
			tf.dispose([lossT!, accT, ids, idsL]);
			const numTensors = tf.memory().numTensors;
			if (baseline < 0) baseline = numTensors;
			const s = { step: step + 1, loss: lossV[0], accuracy: accV[0], ms: performance.now() - t0, numTensors };
			out.push(s);
			opts.onStep?.(s);
		}
	} finally {
		optimizer.dispose();
		tf.dispose(vars);
	}
	const q = Math.max(1, Math.floor(out.length / 4));
	const mean = (xs: SelfTestStep[]) => xs.reduce((a, s) => a + s.loss, 0) / Math.max(1, xs.length);
	return {
		backend: report.backend,
		label: report.label,
		steps: out,
		firstLoss: mean(out.slice(0, q)),
		lastLoss: mean(out.slice(-q)),
		// The first step compiles shaders; leave it out of the speed figure.
		msPerStep: out.length > 1 ? out.slice(1).reduce((a, s) => a + s.ms, 0) / (out.length - 1) : (out[0]?.ms ?? 0),
		tensorGrowth: out.length ? Math.max(...out.map((s) => s.numTensors)) - baseline : 0,
		stopped,
	};
}

/**
 * A running simulation of the rewards of many preference pairs while a preference loss is minimised: `advance`
 * takes optimizer steps on sampled batches and records statistics after each (see index.ts for the models).
 */
import { deriveSeed, mulberry32 } from '../random';
import { addRewards } from '../train/tally';
import { int } from './check';
import { makeData } from './data';
import { type LinearFeatures, linearRewards, pairRewards } from './linear';
import { PairObjective } from './objective';
import { createOptimizer, type Optimizer } from './optimizers';
import { type DynamicsSpec, MAX_STEPS, type ResolvedSpec, validateSpec } from './spec';
import { type Targets, theoreticalTargets } from './targets';

export interface TrackedPair {
	/** Index of the pair in the data set. */
	pair: number;
	/** Whether its label is flipped for the whole run (noise `fixed`). */
	flipped: boolean;
	rw: Float64Array;
	rl: Float64Array;
}

/**
 * Everything recorded, per step t = 0 … steps (t = 0 is the initial state, t after t updates), averaged over all
 * pairs. Entries past `step` are not yet computed (simulateSteps fills them progressively).
 */
export interface SimulationResult {
	spec: ResolvedSpec;
	/** Steps completed so far. */
	step: number;
	done: boolean;
	meanRw: Float64Array;
	meanRl: Float64Array;
	/** Mean of r_w − r_l. */
	meanMargin: Float64Array;
	/** Standard deviation of r_w − r_l across pairs. */
	sdMargin: Float64Array;
	/** Mean of r_w + r_l: ConDPH never changes it for free rewards; SepDPH pulls it to 0. */
	meanSum: Float64Array;
	/** Mean training loss: the expected loss under noise (`resample`), or the loss on the observed labels (`fixed`). */
	loss: Float64Array;
	/** Fraction of pairs with r_w > r_l on the clean labels. */
	accuracy: Float64Array;
	tracked: TrackedPair[];
	/** Current per-pair rewards (at `step`), r_w of the truly preferred answer. */
	rw: Float64Array;
	rl: Float64Array;
	/** Pairs whose label is flipped for the whole run (0 unless noise is `fixed`). */
	flippedCount: number;
	/** Per-pair optimum of the expected loss (see theoreticalTargets). */
	targets: Targets;
	/** Linear model: current weights [bias, w_1 … w_dim] and the hidden direction w* (unit length, no bias). */
	weights: Float64Array | null;
	trueDirection: Float64Array | null;
	/** Linear model: the pairs' features, row-major [pair][width], width = 1 + dim, bias feature first. */
	features: LinearFeatures | null;
}

/** Not exported from the package: notebooks use simulate, simulateSteps and the convergence functions. */
export class Simulation {
	readonly res: SimulationResult;
	private readonly objective: PairObjective;
	private readonly n: number;
	private readonly params: Float64Array;
	private readonly grad: Float64Array;
	private readonly opt: Optimizer;
	private readonly order: Int32Array;
	private readonly batchRand: () => number;
	private readonly features: LinearFeatures | null;
	/** Scratch for one pair's (r_w, r_l). */
	private readonly pair = new Float64Array(2);

	constructor(readonly spec: ResolvedSpec) {
		const s = spec;
		const n = s.pairs;
		this.n = n;
		this.batchRand = mulberry32(deriveSeed(s.seed, 'batch'));
		const noiseRand = mulberry32(deriveSeed(s.seed, 'noise'));
		const data = makeData(s);
		this.objective = new PairObjective(s.loss, s.params, s.eta, s.noise === 'fixed', data.flipped, noiseRand);
		this.order = new Int32Array(n);
		for (let i = 0; i < n; i++) this.order[i] = i;
		this.params = data.params;
		this.features = data.features;
		this.grad = new Float64Array(this.params.length);
		this.opt = createOptimizer(s.optimizer, this.params.length, {
			lr: s.lr,
			beta1: s.beta1,
			beta2: s.beta2,
			eps: s.optEps,
		});
		const len = s.steps + 1;
		const tracked: TrackedPair[] = [];
		for (let k = 0; k < s.track; k++) {
			tracked.push({ pair: k, flipped: data.flipped[k] === 1, rw: new Float64Array(len), rl: new Float64Array(len) });
		}
		this.res = {
			spec: s,
			step: 0,
			done: false,
			meanRw: new Float64Array(len),
			meanRl: new Float64Array(len),
			meanMargin: new Float64Array(len),
			sdMargin: new Float64Array(len),
			meanSum: new Float64Array(len),
			loss: new Float64Array(len),
			accuracy: new Float64Array(len),
			tracked,
			rw: new Float64Array(n),
			rl: new Float64Array(n),
			flippedCount: data.flippedCount,
			targets: theoreticalTargets(s.loss, s.params, s.eta),
			weights: data.features ? this.params : null,
			trueDirection: data.trueDirection,
			features: data.features,
		};
		this.record(0);
	}

	/** Rewards of every pair at the current parameters, into res.rw / res.rl. */
	private rewards(): void {
		const { n, res } = this;
		if (this.features) linearRewards(this.params, this.features, res.rw, res.rl);
		else {
			res.rw.set(this.params.subarray(0, n));
			res.rl.set(this.params.subarray(n, 2 * n));
		}
	}

	private record(t: number): void {
		this.rewards();
		const { n, res } = this;
		const withLoss = this.spec.recordLoss;
		const sums = addRewards({ correct: 0, rw: 0, rl: 0 }, res.rw, res.rl);
		let sm = 0;
		let sm2 = 0;
		let ss = 0;
		let sloss = 0;
		for (let i = 0; i < n; i++) {
			const rw = res.rw[i];
			const rl = res.rl[i];
			const m = rw - rl;
			sm += m;
			sm2 += m * m;
			ss += rw + rl;
			if (withLoss) sloss += this.objective.value(i, rw, rl);
		}
		const mean = sm / n;
		res.meanRw[t] = sums.rw / n;
		res.meanRl[t] = sums.rl / n;
		res.meanMargin[t] = mean;
		res.sdMargin[t] = Math.sqrt(Math.max(0, sm2 / n - mean * mean));
		res.meanSum[t] = ss / n;
		res.loss[t] = withLoss ? sloss / n : Number.NaN;
		res.accuracy[t] = sums.correct / n;
		for (const tp of res.tracked) {
			tp.rw[t] = res.rw[tp.pair];
			tp.rl[t] = res.rl[tp.pair];
		}
	}

	/** Draws the next batch: a partial Fisher–Yates shuffle, so the first B entries of `order` are the batch. */
	private sampleBatch(): number {
		const { n, order } = this;
		const B = this.spec.batchSize;
		if (B === n) return B;
		for (let k = 0; k < B; k++) {
			const j = k + Math.floor(this.batchRand() * (n - k));
			const tmp = order[k];
			order[k] = order[j];
			order[j] = tmp;
		}
		return B;
	}

	private step(): void {
		const { n, grad, params, order, objective } = this;
		const B = this.sampleBatch();
		grad.fill(0);
		if (!this.features) {
			// Each pair owns its rewards, so it steps on its own loss (the gradient of the batch sum): the learning rate
			// then means the same for every pairs/batchSize. Pairs outside the batch get a zero gradient, which
			// Adam/LaProp still apply their momentum to, as PyTorch does for a dense parameter.
			for (let k = 0; k < B; k++) {
				const i = order[k];
				const [gw, gl] = objective.sampleGrad(i, params[i], params[n + i]);
				grad[i] = gw;
				grad[n + i] = gl;
			}
		} else {
			// A shared model minimises the batch mean, as a training loop does.
			const { features, pair } = this;
			const { width, xw, xl } = features;
			const scale = 1 / B;
			for (let k = 0; k < B; k++) {
				const i = order[k];
				const o = i * width;
				pairRewards(params, features, i, pair);
				const [gw, gl] = objective.sampleGrad(i, pair[0], pair[1]);
				// Bias feature: gw + gl first, so a margin loss (gl = −gw) adds exactly 0 and never moves the bias.
				grad[0] += (gw + gl) * scale;
				for (let j = 1; j < width; j++) grad[j] += (gw * xw[o + j] + gl * xl[o + j]) * scale;
			}
		}
		this.opt.step(params, grad);
	}

	advance(k: number): SimulationResult {
		const { res } = this;
		const end = Math.min(this.spec.steps, res.step + k);
		while (res.step < end) {
			this.step();
			res.step++;
			this.record(res.step);
		}
		res.done = res.step === this.spec.steps;
		return res;
	}
}

/** Runs the whole simulation. Deterministic: the same spec (and seed) gives the same numbers. */
export function simulate(spec: DynamicsSpec = {}): SimulationResult {
	const sim = new Simulation(validateSpec(spec));
	return sim.advance(sim.spec.steps);
}

/**
 * The simulation in chunks of `chunk` steps: yields the initial state, then a snapshot after every chunk, the last
 * one with `done: true`. Snapshots are fresh objects (so a reactive cell redraws) sharing the growing arrays; read
 * each only up to its `step`. In a notebook, a cell `const live = simulateSteps(spec, 8);` animates one chunk per
 * animation frame.
 */
export function* simulateSteps(spec: DynamicsSpec = {}, chunk = 10): Generator<SimulationResult, void, unknown> {
	const resolved = validateSpec(spec);
	const k = int('chunk', chunk, 1, MAX_STEPS);
	const sim = new Simulation(resolved);
	yield { ...sim.res };
	while (!sim.res.done) {
		sim.advance(k);
		yield { ...sim.res };
	}
}

/**
 * DPHTrainer: trains an LSWT model with a Direct Preference Head jointly with cDPO, as the reference trainer does,
 * on the tfjs backend chosen by backend.ts. One instance per run, driven by trainLoop (loop.ts) in the CLI, the
 * worker and the sweep runner, and step by step in tests.
 *   step()      one optimizer step (with gradient accumulation), returns step metrics
 *   evaluate()  validation metrics: DPH and log-prob accuracy, mean r_w, r_l, margin, losses
 *   export()    a Hugging Face–layout checkpoint (config.json, model.safetensors, tokenizer.json)
 * Divergence: a non-finite loss, gradient norm, weight norm after the update or validation loss stops the run with a
 * TrainingDivergedError naming the step, the quantity and the step the weights were rolled back to. A snapshot is
 * only ever of weights that are known good: finite (their global norm, checked after every update, does not
 * overflow float32) *and* proven by a forward and backward pass — the weights of step k are copied at step k + 1,
 * once their loss and gradients came out finite. Weights that are finite but so large that the next forward pass
 * overflows (weight decay 1e30 gives 7e26 after one step) are therefore never kept, and export() after a rollback
 * gives a checkpoint that scores to finite numbers. `weightsStep` says which step the weights are from.
 * With `onNonFinite: 'skip'` a non-finite loss or gradient norm skips the update instead (counted in
 * `skippedSteps`), as the reference's GradScaler does; a non-finite weight norm after an update still stops.
 * Data (dataset.ts): pairs, or SFT conversations; SFT-only runs (α1 = α2 = 0) batch the chosen conversations only.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { assertF16Range, type Dtype, exportDtype } from '../checkpoint/dtype';
import { writeSafetensors } from '../checkpoint/safetensors';
import { type PackedRows, type PreferencePair, permutation, type TrainExample } from '../data';
import type { Tokenizer } from '../data/tokenizer';
import { familyOf, type ModelConfig } from '../model/family';
import { disposeParams, type Params } from '../model/lswt';
import { deriveSeed } from '../random';
import { fullMicroBatch, LazyBackboneCache, type MicroBatch } from './cached-heads';
import { freezeParams, type TrainConfig } from './config';
import { chatBatch, type DataReport, loadRunData, pairBatch, runBatch } from './dataset';
import { TrainingDivergedError } from './diverged';
import type { FreezeSplit } from './freeze';
import { type HeadSetup, onlyHead, setupHeads } from './heads';
import { type BatchTensors, frozenReference } from './objective';
import { clipScale, globalNormValue, LaProp, lrSchedule, paramGroups } from './optim';
import { ReferenceSums } from './reference-sums';
import { assignWeights, renameState, type TrainingState } from './resume';
import { type SftMetrics, SftTally } from './sft';
import { type StartPoint, startingWeights } from './start';
import { type PairMetrics, PairTally } from './tally';

export type { PairMetrics, SftMetrics };
export { TrainingDivergedError };

type TF = typeof tfjs;

export interface StepMetrics extends PairMetrics, SftMetrics {
	step: number;
	/** The update was skipped: the loss or gradient norm was not finite (onNonFinite 'skip'). */
	skipped?: boolean;
	loss: number;
	lr: number;
	gradNorm: number;
	tokensPerSecond: number;
	ms: number;
}

export interface EvalMetrics extends PairMetrics, SftMetrics {
	step: number;
	pairs: number;
}

export interface CheckpointFiles {
	'config.json': string;
	'model.safetensors': Uint8Array;
	'tokenizer.json': string;
	'tokenizer_config.json': string;
}

export class DPHTrainer {
	readonly tokenizer: Tokenizer;
	/** The checkpoint the run started from (StartPoint.from), or null for a fresh preset model. */
	readonly from: string | null;
	private tokenizerConfig: string;
	readonly modelConfig: ModelConfig;
	readonly params: Params;
	private ref: Params | null = null;
	private trainVars: tfjs.Variable[];
	private optimizer: LaProp;
	private schedule: (step: number) => number;
	private train: TrainExample[];
	readonly validation: TrainExample[];
	/** What loading the data found: overlong examples dropped or truncated, unencodable characters. */
	readonly dataReport: DataReport;
	/** Steps whose update was skipped (onNonFinite 'skip'). */
	skippedSteps = 0;
	private order: number[] = [];
	private cursor = 0;
	private epoch = 0;
	private lastGood: { step: number; data: Map<string, Float32Array> } | null = null;
	/** The step restore() continued from: its weights are proven good by the run that wrote them. */
	private resumedAt = -1;
	stepCount = 0;
	/** The step the current weights come from: stepCount, or the snapshot's step after a rollback. */
	weightsStep = 0;
	readonly parameterCount: number;
	/** Parameters this run leaves untouched (config `trainable`, `frozen`, `trainableEmbeddings`), in model order. */
	readonly frozenNames: string[];
	/** The reward head trained and evaluated (config `heads`), and notes on what setting it up did. */
	readonly heads: HeadSetup;
	/** Frozen-backbone vectors when only the heads train (cached-heads.ts); null: the backbone runs every step. */
	readonly cache: LazyBackboneCache | null;
	/** The frozen reference's sums per pair, computed once each (reference-sums.ts). */
	readonly refSums = new ReferenceSums();

	constructor(
		private tf: TF,
		readonly cfg: TrainConfig,
		start?: StartPoint,
	) {
		const init = startingWeights(tf, cfg, start);
		this.tokenizer = init.tokenizer;
		let split: FreezeSplit<tfjs.Variable>;
		try {
			this.heads = setupHeads(tf, cfg, init, start !== undefined);
			split = onlyHead(freezeParams(init.params, cfg), this.heads.modelConfig, this.heads.head, this.heads.notes);
		} catch (e) {
			// A config this model refuses (an unknown head, a frozen pattern matching nothing): free its weights.
			disposeParams(init.params);
			if (init.ref) disposeParams(init.ref);
			throw e;
		}
		this.modelConfig = this.heads.modelConfig;
		this.params = init.params;
		this.ref = frozenReference(tf, this.modelConfig, init.ref);
		this.tokenizerConfig = init.tokenizerConfig;
		this.from = start?.from ?? null;
		this.parameterCount = familyOf(this.modelConfig).countParameters(this.modelConfig);
		// Frozen variables are left out of the gradient and of every parameter group: no gradient, decay or update.
		const { trainable, frozen } = split;
		this.frozenNames = frozen;
		const run = () => ({ config: this.modelConfig, params: this.params, data: this.train, val: this.validation });
		this.cache = LazyBackboneCache.forRun(tf, cfg, Object.keys(trainable), run, (x) =>
			pairBatch(this.tokenizer, x, cfg),
		);
		this.trainVars = Object.values(trainable);
		this.optimizer = new LaProp(
			tf,
			paramGroups(trainable, {
				weightDecay: cfg.optim.weightDecay,
				decayInit: cfg.optim.decayInit,
				dphWeightDecay: cfg.optim.dphWeightDecay,
				dphDecayInit: cfg.optim.dphDecayInit,
			}),
			{ beta1: cfg.optim.beta1, beta2: cfg.optim.beta2, eps: cfg.optim.eps },
		);
		this.schedule = lrSchedule({
			lrMax: cfg.optim.lr,
			warmupSteps: cfg.optim.warmupSteps,
			totalSteps: cfg.steps,
			minRatio: cfg.optim.minLrRatio,
		});
		const data = loadRunData(cfg, this.tokenizer, start ? `the tokenizer of ${start.from}` : undefined);
		this.train = data.train;
		this.validation = data.validation;
		this.dataReport = data.report;
	}

	private nextPairs(n: number): TrainExample[] {
		const out: TrainExample[] = [];
		while (out.length < n) {
			if (this.cursor >= this.order.length) {
				this.order = this.epochOrder(this.epoch++);
				this.cursor = 0;
			}
			out.push(this.train[this.order[this.cursor++]]);
		}
		return out;
	}

	private epochOrder(epoch: number): number[] {
		return permutation(this.train.length, deriveSeed(this.cfg.seed, 'epoch', epoch));
	}

	private tensors(b: PackedRows & { chat: boolean }): BatchTensors {
		const tf = this.tf;
		const shape: [number, number] = [b.rows, b.length];
		return {
			ids: tf.tensor2d(b.ids, shape, 'int32'),
			targets: tf.tensor2d(b.targets, shape, 'int32'),
			trainMask: tf.tensor2d(b.trainMask, shape, 'float32'),
			evalMask: tf.tensor2d(b.evalMask, shape, 'float32'),
			rewardIndex: tf.tensor1d(b.rewardIndex, 'int32'),
			chat: b.chat,
		};
	}

	private async micro(examples: TrainExample[], training: boolean): Promise<MicroBatch> {
		const { tf, modelConfig: c, params: p, cfg } = this;
		if (this.cache) return this.cache.micro(c, p, cfg.objective, this.heads.head, examples as PreferencePair[]);
		const b = runBatch(this.tokenizer, examples, cfg, chatBatch(cfg, examples, training));
		const t = this.tensors(b);
		const refSum = this.ref && !b.chat ? await this.refSums.batch(tf, c, this.ref, examples, t) : null;
		return fullMicroBatch(tf, c, p, t, refSum, cfg.objective, b.tokens, this.heads.head);
	}

	/** One optimizer step over `accumulate` micro-batches. */
	async step(): Promise<StepMetrics> {
		const tf = this.tf;
		const t0 = performance.now();
		const step = this.stepCount + 1;
		const lr = this.schedule(step);
		let summed: Record<string, tfjs.Tensor> | null = null;
		const tally = new PairTally();
		const sft = new SftTally();
		let loss = 0;
		let tokens = 0;
		for (let k = 0; k < this.cfg.accumulate; k++) {
			const mb = await this.micro(this.nextPairs(this.cfg.batchSize), true);
			let kept: tfjs.Tensor[] = [];
			const { value, grads } = tf.variableGrads(() => {
				const o = mb.run({
					training: true,
					dropoutSeed: deriveSeed(this.cfg.seed, 'dropout', step, k),
				});
				kept = [o.dphLoss, o.dpoLoss, o.rw, o.rl, o.avgLogProb, o.sftSum, o.sftTokens].map((x) => tf.keep(x));
				// Like the reference: the loss of each micro-batch is divided by the number of micro-batches.
				return tf.div(o.loss, this.cfg.accumulate) as tfjs.Scalar;
			}, this.trainVars);
			const [lossV, dphV, dpoV, rwV, rlV, avgV, sftV, sftN] = await Promise.all([value, ...kept].map((x) => x.data()));
			tf.dispose([value, ...kept]);
			mb.dispose();
			tally.add(dphV[0], dpoV[0], rwV, rlV, avgV);
			sft.add(sftV[0], sftN[0]);
			loss += lossV[0];
			tokens += mb.tokens;
			if (!summed) summed = grads;
			else {
				const next: Record<string, tfjs.Tensor> = {};
				for (const [name, g] of Object.entries(grads)) next[name] = tf.add(summed[name], g);
				tf.dispose([...Object.values(summed), ...Object.values(grads)]);
				summed = next;
			}
		}
		const metrics = { step, loss, ...tally.metrics(), ...sft.metrics(), lr };
		if (!Number.isFinite(loss)) {
			tf.dispose(Object.values(summed ?? {}));
			return this.nonFinite(metrics, 'the loss', Number.NaN, tokens, t0);
		}
		const grads = summed ?? {};
		const gradNorm = await globalNormValue(tf, grads);
		if (!Number.isFinite(gradNorm)) {
			tf.dispose(Object.values(grads));
			return this.nonFinite(metrics, 'the gradient norm', gradNorm, tokens, t0);
		}
		// The weights of the previous step just gave a finite loss and gradients: now they may be kept.
		const prev = this.stepCount;
		if ((prev === 0 || prev === this.resumedAt || prev % this.cfg.evalEvery === 0) && this.lastGood?.step !== prev)
			await this.snapshot(prev);
		// clip_grad_norm_'s factor, applied by the optimizer as it reads each gradient.
		this.optimizer.applyGradients(grads, lr, clipScale(gradNorm, this.cfg.optim.maxGradNorm));
		tf.dispose(Object.values(grads));
		this.stepCount = step;
		this.weightsStep = step;
		if (!(await this.weightsFinite())) throw this.diverged(step, 'the weight norm after the update');
		const ms = performance.now() - t0;
		return { ...metrics, gradNorm, tokensPerSecond: (tokens * 1000) / ms, ms };
	}

	/** A step with a non-finite loss or gradient norm: stop (roll back and throw) or skip it, by onNonFinite. */
	private nonFinite(
		m: Omit<StepMetrics, 'gradNorm' | 'tokensPerSecond' | 'ms'>,
		quantity: string,
		gradNorm: number,
		tokens: number,
		t0: number,
	): StepMetrics {
		if (this.cfg.onNonFinite !== 'skip') throw this.diverged(m.step, quantity);
		// As GradScaler.step: no update and no optimizer-state change; the schedule still moves on.
		this.skippedSteps++;
		this.stepCount = m.step;
		const ms = performance.now() - t0;
		return { ...m, skipped: true, gradNorm, tokensPerSecond: (tokens * 1000) / ms, ms };
	}

	/** Validation metrics on clean labels, without dropout. */
	async evaluate(maxPairs = this.validation.length): Promise<EvalMetrics> {
		const tf = this.tf;
		const pairs = this.validation.slice(0, maxPairs);
		const tally = new PairTally();
		const sft = new SftTally();
		const size = Math.max(1, this.cfg.batchSize * 2);
		for (let i = 0; i < pairs.length; i += size) {
			const mb = await this.micro(pairs.slice(i, i + size), false);
			const o = tf.tidy(() => {
				const out = mb.run({ training: false });
				return [out.dphLoss, out.dpoLoss, out.rw, out.rl, out.avgLogProb, out.sftSum, out.sftTokens];
			});
			const [dphV, dpoV, rwV, rlV, avgV, sftV, sftN] = await Promise.all(o.map((x) => x.data()));
			tf.dispose(o);
			mb.dispose();
			tally.add(dphV[0], dpoV[0], rwV, rlV, avgV);
			sft.add(sftV[0], sftN[0]);
		}
		const m = tally.metrics();
		const s = sft.metrics();
		// Validation is a forward pass on weights no training step has checked yet (those of the last update). Pair
		// metrics exist only with pairs; SFT conversations have the next-token loss alone.
		const pairsBad =
			tally.pairs > 0 && ![m.dphLoss, m.dpoLoss, m.rewardChosen, m.rewardRejected].every(Number.isFinite);
		if (pairsBad || (s.sftTokens > 0 && !Number.isFinite(s.nextTokenLoss))) {
			throw this.diverged(this.stepCount, 'the validation loss');
		}
		return { step: this.weightsStep, pairs: tally.pairs, ...m, ...s };
	}

	/**
	 * One reduction over the trainable variables (the only ones an update changes): their global norm, which is not
	 * finite when a weight is NaN or ±Inf or the sum of squares overflows float32 (norm above ~1.8e19), like the
	 * gradient norm.
	 */
	private async weightsFinite(): Promise<boolean> {
		return Number.isFinite(await globalNormValue(this.tf, new Map(this.trainVars.map((v) => [v, v]))));
	}

	private async snapshot(step: number) {
		const entries = await Promise.all(
			Object.entries(this.params).map(async ([k, v]) => [k, (await v.data()) as Float32Array] as const),
		);
		this.lastGood = { step, data: new Map(entries.map(([k, d]) => [k, d.slice()])) };
	}

	/** Roll back to the last good snapshot and make the error to throw. */
	private diverged(step: number, quantity: string): TrainingDivergedError {
		const good = this.lastGood;
		if (good) {
			for (const [k, v] of Object.entries(this.params)) {
				const data = good.data.get(k);
				if (data) {
					const t = this.tf.tensor(data, v.shape);
					v.assign(t);
					t.dispose();
				}
			}
			this.weightsStep = good.step;
		}
		return new TrainingDivergedError(step, quantity, good ? good.step : null);
	}

	/** The weights as float32 arrays by parameter name (copies). */
	async weights(): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
		return Promise.all(
			Object.entries(this.params).map(async ([name, v]) => ({
				name,
				shape: v.shape,
				data: ((await v.data()) as Float32Array).slice(),
			})),
		);
	}

	/**
	 * The model as a Hugging Face–layout folder: the format the Checkpoints work loads. model.safetensors is in
	 * `dtype` (default `cfg.exportDtype`, else F32); F16 refuses weights beyond its range (assertF16Range).
	 */
	async export(dtype: Dtype = exportDtype(this.cfg.exportDtype)): Promise<CheckpointFiles> {
		const tensors = (await this.weights()).map((t) => ({ ...t, dtype }));
		if (dtype === 'F16') assertF16Range(tensors);
		return {
			'config.json': `${JSON.stringify(familyOf(this.modelConfig).toConfigJson(this.modelConfig), null, 2)}\n`,
			'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
			'tokenizer.json': `${JSON.stringify(this.tokenizer.toJSON(), null, 2)}\n`,
			'tokenizer_config.json': this.tokenizerConfig,
		};
	}

	/** What resume.ts saves besides the weights; only between steps and not after a rollback. */
	async trainingState(): Promise<TrainingState> {
		if (this.weightsStep !== this.stepCount) throw new Error('trainingState: the weights were rolled back');
		const names = new Map(Object.entries(this.params).map(([k, v]) => [v.name, k]));
		const optimizer = renameState(await this.optimizer.getState(), (n) => names.get(n));
		return {
			step: this.stepCount,
			data: { epoch: this.epoch, cursor: this.cursor, trainPairs: this.train.length },
			optimizer,
			skippedSteps: this.skippedSteps,
		};
	}

	/** Continue from a trainingState() and its weights, before any step: the rest of the run is step for step the same. */
	restore(state: TrainingState, weights: ReadonlyMap<string, Float32Array>): void {
		const { epoch, cursor, trainPairs } = state.data;
		if (this.stepCount !== 0) throw new Error('restore: the trainer has already taken steps');
		if (trainPairs !== this.train.length)
			throw new Error(`restore: the run had ${trainPairs} training pairs, this one ${this.train.length}`);
		const optimizer = renameState(state.optimizer, (k) => this.params[k]?.name);
		assignWeights(this.tf, this.params, weights);
		this.optimizer.setState(optimizer);
		this.order = epoch > 0 ? this.epochOrder(epoch - 1) : [];
		this.cursor = cursor;
		this.epoch = epoch;
		this.stepCount = this.weightsStep = this.resumedAt = state.step;
		this.skippedSteps = state.skippedSteps;
	}

	dispose() {
		this.cache?.dispose();
		this.optimizer.dispose();
		disposeParams(this.params);
		if (this.ref) disposeParams(this.ref);
	}
}

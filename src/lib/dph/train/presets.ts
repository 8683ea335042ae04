/**
 * The paper's training settings as presets (docs/TRAINING.md, Presets, lists them beside the reference code's
 * defaults). Meant for a run that starts from a checkpoint (`from`): at lr 3e-6 a random nano model learns
 * nothing in a demo's few hundred steps.
 *   paper-alignment     §4.5 DPH alignment
 *   paper-frozen-heads  Table 6 / §5.3: the same, with the backbone frozen and no dropout
 */
import type { TrainConfig } from './config';

/** §4.5: "We align the model for 23040 steps with a batch size of 64 pairs, a max LR of 3e-6 …". */
export function paperAlignment(b: TrainConfig): TrainConfig {
	return {
		...b,
		model: { ...b.model, pooler: 'swiglu_bert' },
		data: { ...b.data, overlong: 'drop' },
		objective: { ...b.objective, dph: 'sepdph', dphEps: 0.1, dpoEps: 0.25, beta: 0.6, dpoWeight: 1, dphWeight: 1 },
		optim: {
			...b.optim,
			lr: 3e-6,
			warmupSteps: 200,
			// Cosine from 3e-6 down to 3e-7.
			minLrRatio: 0.1,
			// Prior regularization 0.5 on all parameters: decoupled decay toward the starting weights, backbone and head.
			weightDecay: 0.5,
			decayInit: true,
			dphWeightDecay: 0.5,
			dphDecayInit: true,
			maxGradNorm: 1,
		},
		// "dropout with p = 0.1 to the outputs of the pooler": a training setting, over the checkpoint's reward_dropout.
		poolerDropout: 0.1,
		trainable: 'all',
		steps: 23040,
		// 64 pairs per optimizer step, by accumulation (the reference splits its batch into micro-batches too).
		batchSize: 16,
		accumulate: 4,
		evalEvery: 1000,
	};
}

/**
 * §5.3 (Table 6): "We use an identical training setup to DPH alignment but disable dropout", training "only the
 * pooler and reward head weights". cDPO is off: with the language model frozen its loss is a constant log 2 with no
 * gradient for the heads, so α1 only costs a reference forward pass per step (and would rule out the cached
 * frozen-backbone path).
 */
export function paperFrozenHeads(b: TrainConfig): TrainConfig {
	const a = paperAlignment(b);
	return { ...a, objective: { ...a.objective, dpoWeight: 0 }, poolerDropout: 0, trainable: 'heads' };
}

export const PAPER_PRESETS = {
	'paper-alignment': paperAlignment,
	'paper-frozen-heads': paperFrozenHeads,
} as const;

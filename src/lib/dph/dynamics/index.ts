/**
 * Reward dynamics: how the rewards of many preference pairs move while a preference loss is minimised, under label
 * noise, with SGD, Adam or LaProp. Pure float64 arithmetic on typed arrays (no tensors, no DOM), so it runs in a
 * notebook cell, a worker or Node, and is reproducible from its seed.
 *
 * Two reward models:
 * - `free`: every pair i owns two parameters (r_w,i, r_l,i) that are trained directly — the setting of the paper's
 *   Theorems 1 and 2, where each pair can sit exactly on the optimum.
 * - `linear`: one shared weight vector, r = w·x, on synthetic features x = [1, a] (a constant bias feature, then
 *   `dim` Gaussian features). A hidden direction w* decides which answer is better: w*·(a_w − a_l) > 0 for every
 *   pair. A shared model cannot give every pair the same margin, so only the average lands near the targets.
 *
 *   import { simulate, theoreticalTargets } from '$lib/dph/dynamics';
 *   const res = simulate({ loss: 'condph', params: { eps: 0.1 }, eta: 0.1, optimizer: 'laprop', lr: 0.05, steps: 400 });
 *   res.meanMargin[res.step]; theoreticalTargets('condph', { eps: 0.1 }, 0.1).margin;
 *
 * Label noise (rate η) flips a pair's preference: its loss becomes L(r_l, r_w). `noise: 'resample'` (default) flips
 * each time a pair is drawn into a batch, so every pair feels the expected loss (1−η)·L(r_w, r_l) + η·L(r_l, r_w);
 * `noise: 'fixed'` flips a pair once for the whole run (a mislabelled data set), which free rewards memorise.
 */
export { DynamicsSpecError } from './check';
export {
	type Convergence,
	type ConvergenceCell,
	type ConvergenceOptions,
	type ConvergenceQuantity,
	convergence,
	convergenceGrid,
	convergenceStep,
	stepsToConverge,
} from './convergence';
export { type LinearOptimum, linearOptimum } from './newton';
export { createOptimizer, OPTIMIZERS, type Optimizer, type OptimizerName, type OptimizerOptions } from './optimizers';
export { type DynamicsRow, rows, trackedRows } from './rows';
export { type SimulationResult, simulate, simulateSteps, type TrackedPair } from './simulation';
export {
	type DynamicsSpec,
	NOISE_MODES,
	type NoiseMode,
	REWARD_MODELS,
	type ResolvedSpec,
	type RewardModel,
	validateSpec,
} from './spec';
export { effectiveEps, logOdds, type Targets, theoreticalTargets } from './targets';

/**
 * Which parameters a run trains: the one place that decides, by name, so the trainer, the CLI's `frozen_tensors`
 * count and the tests all agree. The reference decides in three steps, which compose here in the same order:
 *   1. `trainable_embeddings: false` (LSWTConfig) freezes `model.input_embedding` (modeling.py). The LM head reads
 *      that same matrix (tied), so it is frozen with it; `head_proj` is a separate Linear and still trains.
 *   2. `trainable_backbone: false` (train_utils.set_backbone_trainable) freezes `model.blocks` only: embeddings,
 *      input projection, input/output norms, head projection, pooler and reward heads still train.
 *   3. `frozen_params` (train_utils.set_training_mask) freezes every parameter whose name contains a pattern.
 * `heads` is not a reference flag but the paper's frozen-Qwen setup (Table 6): only the pooler and reward heads.
 */
import { DPH_PREFIXES } from './param-groups';

export const TRAINABLE_MODES = ['all', 'no-backbone', 'heads'] as const;
export type TrainableMode = (typeof TRAINABLE_MODES)[number];

export interface FreezeSpec {
	trainable: TrainableMode;
	/** Substring patterns (the reference's `frozen_params`): a parameter whose name contains one is frozen. */
	frozen: readonly string[];
	/** The reference's `trainable_embeddings`; false freezes the (tied) embedding matrix. */
	trainableEmbeddings: boolean;
}

const BACKBONE_PREFIX = 'model.blocks.';
const EMBEDDING_PREFIX = 'model.input_embedding.';

export function isTrainable(name: string, spec: FreezeSpec): boolean {
	if (!spec.trainableEmbeddings && name.startsWith(EMBEDDING_PREFIX)) return false;
	if (spec.trainable === 'no-backbone' && name.startsWith(BACKBONE_PREFIX)) return false;
	if (spec.trainable === 'heads' && !DPH_PREFIXES.some((p) => name.startsWith(p))) return false;
	return !spec.frozen.some((p) => name.includes(p));
}

export interface FreezeSplit<V> {
	trainable: Record<string, V>;
	/** Names of the frozen parameters, in the order given. */
	frozen: string[];
	/** Patterns of `spec.frozen` that match no parameter name: almost always a typo. */
	unmatched: string[];
}

/** Split named parameters (of any type: tfjs variables, shapes) into those that train and the names of the rest. */
export function splitTrainable<V>(params: Record<string, V>, spec: FreezeSpec): FreezeSplit<V> {
	const trainable: Record<string, V> = {};
	const frozen: string[] = [];
	for (const [name, v] of Object.entries(params)) {
		if (isTrainable(name, spec)) trainable[name] = v;
		else frozen.push(name);
	}
	const names = Object.keys(params);
	const unmatched = spec.frozen.filter((p) => !names.some((n) => n.includes(p)));
	return { trainable, frozen, unmatched };
}

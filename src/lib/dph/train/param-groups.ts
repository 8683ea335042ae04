/** The reference's parameter groups (src/model/modeling.py `get_param_groups`) for LaProp. */
import type * as TF from '@tensorflow/tfjs';
import type { LaPropGroup } from './laprop';

export const DEFAULT_DECAY_MASK: readonly string[] = ['norm', 'bias', 'embedding.weight'];
/** Top-level modules of the DPH head (the reference's pooler_pipeline and reward_heads). */
export const DPH_PREFIXES: readonly string[] = ['pooler_pipeline.', 'reward_heads.'];

export interface ParamGroupOptions {
	/** Backbone λ (TrainConfig.opt_weight_decay); default 0.1. */
	weightDecay?: number;
	/** Backbone prior regularisation (TrainConfig.opt_decay_init); default false. */
	decayInit?: boolean;
	/** DPH-head λ (DPHConfig.dph_weight_decay); default 0.1. */
	dphWeightDecay?: number;
	/** DPH-head prior regularisation (DPHConfig.dph_decay_init); default false. */
	dphDecayInit?: boolean;
	decayMask?: readonly string[];
	dphPrefixes?: readonly string[];
}

/**
 * The reference's DPHModel.get_param_groups: trainable variables split into backbone / DPH head (by name prefix,
 * where the reference tests membership of the pooler_pipeline and reward_heads modules) and decay / no decay (by
 * the decay-mask substrings). Always four groups, in the reference's order, possibly empty:
 * 'decay', 'no_decay', 'dph_decay', 'dph_no_decay'. Non-trainable variables are left out, as the reference skips
 * parameters without requires_grad.
 */
export function paramGroups(named: Record<string, TF.Variable>, opts: ParamGroupOptions = {}): LaPropGroup[] {
	const mask = opts.decayMask ?? DEFAULT_DECAY_MASK;
	const prefixes = opts.dphPrefixes ?? DPH_PREFIXES;
	const decayInit = opts.decayInit ?? false;
	const dphDecayInit = opts.dphDecayInit ?? false;
	const groups = {
		decay: [] as TF.Variable[],
		no_decay: [] as TF.Variable[],
		dph_decay: [] as TF.Variable[],
		dph_no_decay: [] as TF.Variable[],
	};
	for (const [name, v] of Object.entries(named)) {
		if (!v.trainable) continue;
		const noDecay = mask.some((s) => name.includes(s));
		const dph = prefixes.some((s) => name.startsWith(s));
		groups[`${dph ? 'dph_' : ''}${noDecay ? 'no_decay' : 'decay'}`].push(v);
	}
	return [
		{ name: 'decay', vars: groups.decay, weightDecay: opts.weightDecay ?? 0.1, decayInit },
		// The no-decay groups keep their decayInit flag, as in the reference; with λ = 0 it has no effect.
		{ name: 'no_decay', vars: groups.no_decay, weightDecay: 0, decayInit },
		{ name: 'dph_decay', vars: groups.dph_decay, weightDecay: opts.dphWeightDecay ?? 0.1, decayInit: dphDecayInit },
		{ name: 'dph_no_decay', vars: groups.dph_no_decay, weightDecay: 0, decayInit: dphDecayInit },
	];
}

/**
 * Optimizer pieces for training DPH models, matching the reference implementation (Avelina9X/direct-preference-heads):
 * LaProp (laprop.ts, its scalar rule in laprop-rule.ts), the learning-rate schedule (schedule.ts), global-norm
 * clipping (clip.ts) and the parameter groups (param-groups.ts). This module is their one entry point.
 */
export {
	type ClipResult,
	clipByGlobalNorm,
	clipByGlobalNormSync,
	clipScale,
	globalNorm,
	globalNormValue,
} from './clip';
export {
	type GradMap,
	LaProp,
	type LaPropGroup,
	type LaPropGroupInfo,
	type LaPropOptions,
	type LaPropParamState,
	type LaPropState,
} from './laprop';
export { DEFAULT_DECAY_MASK, DPH_PREFIXES, type ParamGroupOptions, paramGroups } from './param-groups';
export { type LrScheduleOptions, lrSchedule } from './schedule';

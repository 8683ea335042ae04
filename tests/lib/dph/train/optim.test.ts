import { describe, expect, it } from 'vitest';
import * as clip from '../../../../src/lib/dph/train/clip';
import * as laprop from '../../../../src/lib/dph/train/laprop';
import * as optim from '../../../../src/lib/dph/train/optim';
import * as groups from '../../../../src/lib/dph/train/param-groups';
import * as schedule from '../../../../src/lib/dph/train/schedule';

describe('train/optim: the one entry point of the optimizer pieces', () => {
	it('re-exports LaProp, the schedule, clipping and the parameter groups, and nothing else', () => {
		expect(Object.keys(optim).sort()).toEqual(
			[
				'DEFAULT_DECAY_MASK',
				'DPH_PREFIXES',
				'LaProp',
				'clipByGlobalNorm',
				'clipByGlobalNormSync',
				'clipScale',
				'globalNorm',
				'globalNormValue',
				'lrSchedule',
				'paramGroups',
			].sort(),
		);
		expect(optim.LaProp).toBe(laprop.LaProp);
		expect(optim.lrSchedule).toBe(schedule.lrSchedule);
		expect(optim.clipByGlobalNorm).toBe(clip.clipByGlobalNorm);
		expect(optim.paramGroups).toBe(groups.paramGroups);
	});
});

import { describe, expect, it } from 'vitest';
import { rows, simulateSteps, trackedRows } from '../../../../src/lib/dph/dynamics';

import { linearAdamSpec } from './helpers';

describe('rows and trackedRows', () => {
	const spec = linearAdamSpec;

	it('rows and trackedRows stop at the current step and always include it', () => {
		const snaps = [...simulateSteps(spec, 25)];
		const r = rows(snaps[1], 10);
		expect(r.map((x) => x.step)).toEqual([0, 10, 20, 25]);
		expect(r[3].meanMargin).toBe(snaps[1].meanMargin[25]);
		const tr = trackedRows(snaps[5], 60);
		expect(tr.filter((x) => x.pair === 0).map((x) => x.step)).toEqual([0, 60, 120]);
		expect(new Set(tr.map((x) => x.pair)).size).toBe(6);
	});
});

import { describe, expect, it } from 'vitest';
import { loadSweep, SweepSpecError } from '../../../../src/lib/dph/sweep/spec';

/** The paper's Table 6 set-up: new heads on a frozen checkpoint, pooler × objective × ε. */
const table6 = {
	name: 'table6',
	base: {
		from: 'models/smollm2',
		trainable: 'heads',
		objective: { dpoWeight: 0 },
		heads: { reinit: 'pooler+head', name: 'task' },
	},
	grid: { pooler: ['bert', 'swiglu_bert'], objective: ['sepdph', 'condph'], dphEps: [0, 0.1] },
};

describe('sweeps of new heads on a checkpoint (base.from)', () => {
	it('grid.pooler lands in heads.pooler, crossed with objective and ε', () => {
		const s = loadSweep(table6);
		expect(s.runs).toHaveLength(8);
		const seen = s.runs.map((r) => [r.config.heads?.pooler, r.config.objective.dph, r.config.objective.dphEps]);
		expect(seen).toEqual([
			['bert', 'sepdph', 0],
			['bert', 'sepdph', 0.1],
			['bert', 'condph', 0],
			['bert', 'condph', 0.1],
			['swiglu_bert', 'sepdph', 0],
			['swiglu_bert', 'sepdph', 0.1],
			['swiglu_bert', 'condph', 0],
			['swiglu_bert', 'condph', 0.1],
		]);
		for (const r of s.runs) {
			expect(r.config.from).toBe('models/smollm2');
			expect(r.config.trainable).toBe('heads');
			expect(r.config.heads?.reinit).toBe('pooler+head');
		}
		expect(new Set(s.runs.map((r) => r.configHash)).size).toBe(8);
	});

	it('without heads.reinit "pooler+head" the pooler axis is refused, saying what to set', () => {
		const spec = { ...table6, base: { ...table6.base, heads: { reinit: 'head' } } };
		expect(() => loadSweep(spec)).toThrow(SweepSpecError);
		expect(() => loadSweep(spec)).toThrow(/grid\.pooler with base\.from .*set base\.heads\.reinit to "pooler\+head"/);
	});
});

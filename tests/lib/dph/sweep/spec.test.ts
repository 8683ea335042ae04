import { describe, expect, it } from 'vitest';
import { parseShard, resultsFileName, ShardError, shardRuns } from '../../../../src/lib/dph/sweep/shard';
import {
	AXES,
	expandSweep,
	loadSweep,
	MAX_RUNS,
	parseSweepSpec,
	SweepSpecError,
} from '../../../../src/lib/dph/sweep/spec';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, withScaledWarmup } from '../../../../src/lib/dph/train/config';

/** The error a spec raises (fails the test if it raises none). */
function specError(raw: unknown): SweepSpecError {
	try {
		loadSweep(raw);
	} catch (e) {
		expect(e).toBeInstanceOf(SweepSpecError);
		return e as SweepSpecError;
	}
	throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('sweep spec validation names the field', () => {
	const cases: [string, unknown, string, RegExp][] = [
		['not an object', [1, 2], '(root)', /must be a JSON object/],
		[
			'unknown top-level field',
			{ grid: { seed: [1] }, grdi: {} },
			'grdi',
			/grdi is not a sweep field \(known: name, preset, base, grid\)/,
		],
		['missing grid', { base: {} }, 'grid', /grid must be an object.*known: pooler, objective/],
		['grid without axes', { grid: {} }, 'grid', /grid has no axes/],
		[
			'unknown axis',
			{ grid: { pooler: ['bert'], eps: [0.1] } },
			'grid.eps',
			/grid\.eps is not a sweep axis \(known: pooler, objective, dphEps, .*seed\)/,
		],
		['axis not an array', { grid: { seed: 3 } }, 'grid.seed', /grid\.seed must be an array/],
		['empty axis', { grid: { dphEps: [] } }, 'grid.dphEps', /grid\.dphEps is empty/],
		[
			'dphEps out of range',
			{ grid: { dphEps: [0.1, 0.2, 0.7] } },
			'grid.dphEps[2]',
			/^grid\.dphEps\[2\] = 0\.7 is out of range: valid 0 ≤ dphEps ≤ 0\.5 \(objective\.dphEps\)$/,
		],
		[
			'dpoEps negative',
			{ grid: { dpoEps: [-0.1] } },
			'grid.dpoEps[0]',
			/grid\.dpoEps\[0\] = -0\.1 is out of range: valid 0 ≤ dpoEps ≤ 0\.5/,
		],
		['beta zero', { grid: { beta: [0.6, 0] } }, 'grid.beta[1]', /grid\.beta\[1\] = 0 is out of range: valid beta > 0/],
		['negative α2', { grid: { dphWeight: [1, -1] } }, 'grid.dphWeight[1]', /dphWeight ≥ 0/],
		[
			'lr ≥ 1',
			{ grid: { lr: [1e-3, 2] } },
			'grid.lr[1]',
			/grid\.lr\[1\] = 2 is out of range: valid 0 < lr < 1 \(optim\.lr\)/,
		],
		['noise 0.5', { grid: { noise: [0, 0.5] } }, 'grid.noise[1]', /0 ≤ noise < 0\.5 \(data\.noise\)/],
		[
			'fractional seed',
			{ grid: { seed: [1, 2.5] } },
			'grid.seed[1]',
			/grid\.seed\[1\] = 2\.5 is out of range: valid a whole number/,
		],
		[
			'string where a number belongs',
			{ grid: { beta: ['0.6'] } },
			'grid.beta[0]',
			/grid\.beta\[0\] = "0\.6" is invalid: must be a number/,
		],
		[
			'unknown pooler',
			{ grid: { pooler: ['bert', 'mean'] } },
			'grid.pooler[1]',
			/grid\.pooler\[1\] = "mean" is invalid: valid identity, bert, t5, swiglu_bert, swiglu_t5/,
		],
		['unknown objective', { grid: { objective: ['dpo'] } }, 'grid.objective[0]', /valid sepdph, condph/],
		['duplicate value', { grid: { seed: [1, 2, 1] } }, 'grid.seed[2]', /grid\.seed\[2\] = 1 is listed twice/],
		[
			'bad preset',
			{ preset: 'fast', grid: { seed: [1] } },
			'preset',
			/preset = "fast" is invalid: valid sepdph-demo, condph-demo/,
		],
		['bad name', { name: 'a b/c', grid: { seed: [1] } }, 'name', /name = "a b\/c" is invalid/],
		['base not an object', { base: 3, grid: { seed: [1] } }, 'base', /base must be an object/],
		[
			'unknown field in base',
			{ base: { optim: { lr: 1e-3, lrr: 2 } }, grid: { seed: [1] } },
			'base.optim.lrr',
			/^base\.optim\.lrr is not a training option \(known: lr, warmupSteps/,
		],
		[
			'bad value in base',
			{ base: { batchSize: 0 }, grid: { seed: [1] } },
			'base.batchSize',
			/^base\.batchSize = 0 is invalid/,
		],
	];
	for (const [what, raw, field, message] of cases) {
		it(what, () => {
			const e = specError(raw);
			expect(e.field).toBe(field);
			expect(e.message).toMatch(message);
		});
	}

	it('rejects grids over the run limit before expanding them, with the axis sizes', () => {
		const many = Array.from({ length: 101 }, (_, i) => i);
		const e = specError({ grid: { seed: many, lr: many.map((i) => (i + 1) / 1000) } });
		expect(e.field).toBe('grid');
		expect(e.message).toBe(`grid expands to ${101 * 101} runs (lr 101 × seed 101); the limit is ${MAX_RUNS}`);
	});

	it('checks cross-field rules of the base (warm-up shorter than the run) before any run', () => {
		const e = specError({ base: { steps: 10, optim: { warmupSteps: 20 } }, grid: { seed: [1] } });
		expect(e.field).toBe('base.optim.warmupSteps');
		expect(e.message).toMatch(/^base\.optim\.warmupSteps \(20\) must be less than steps \(10\); lower it/);
		const ok = loadSweep({ base: { steps: 10, optim: { warmupSteps: 2 } }, grid: { seed: [1] } });
		expect(ok.runs[0].config.steps).toBe(10);
	});

	it('a base with steps under the preset warm-up and no warm-up of its own gets the one dph train --steps gives', () => {
		for (const steps of [2, 10, 19, 150, 400]) {
			const s = loadSweep({ base: { steps, optim: { lr: 0.01 } }, grid: { seed: [1, 2] } });
			const train = resolveTrainConfig(withScaledWarmup({ steps }));
			expect(s.runs.map((r) => r.config.optim.warmupSteps)).toEqual([train.optim.warmupSteps, train.optim.warmupSteps]);
			expect(train.optim.warmupSteps).toBe(Math.min(20, Math.floor(steps / 10)));
			expect(s.runs[0].config.optim.lr).toBe(0.01);
		}
		// A base without steps keeps the preset's warm-up and its hash, as before.
		const plain = loadSweep({ grid: { seed: [1] } });
		expect(plain.runs[0].config.optim.warmupSteps).toBe(20);
	});
});

describe('sweep expansion', () => {
	const spec = {
		name: 't4',
		base: { steps: 5, optim: { warmupSteps: 1 } },
		// Keys deliberately not in run order: the order of axes is fixed, not the file's.
		grid: { seed: [3, 1], objective: ['sepdph', 'condph'], pooler: ['bert', 'identity', 't5'] },
	};

	it('orders runs by the fixed axis order with the seed fastest, values in the order listed', () => {
		const s = loadSweep(spec);
		expect(s.axes).toEqual(['pooler', 'objective', 'seed']);
		expect(s.runs).toHaveLength(12);
		// Independent: nested loops in AXES order.
		const expected: string[] = [];
		for (const p of ['bert', 'identity', 't5'])
			for (const o of ['sepdph', 'condph'])
				for (const seed of [3, 1]) expected.push(`pooler=${p},objective=${o},seed=${seed}`);
		expect(s.runs.map((r) => r.id)).toEqual(expected);
		expect(s.runs.map((r) => r.index)).toEqual(expected.map((_, i) => i));
		expect(s.runs[5].params).toEqual({ pooler: 'identity', objective: 'sepdph', seed: 1 });
	});

	it('resolves every run config over the preset and base, axes overriding the base', () => {
		const s = loadSweep({
			preset: 'condph-demo',
			base: { steps: 5, optim: { warmupSteps: 1 }, objective: { dphEps: 0.3 }, data: { noise: 0.2 } },
			grid: { dphEps: [0.05, 0.25], noise: [0.1], lr: [1e-3], dpoWeight: [0, 1], seed: [7] },
		});
		expect(s.axes).toEqual(['dphEps', 'dpoWeight', 'lr', 'noise', 'seed']);
		const r = s.runs[3];
		expect(r.id).toBe('dphEps=0.25,dpoWeight=1,lr=0.001,noise=0.1,seed=7');
		expect(r.config.objective).toEqual({
			...DEFAULT_TRAIN_CONFIG.objective,
			dph: 'condph',
			dphEps: 0.25,
			dpoWeight: 1,
		});
		expect(r.config.optim.lr).toBe(1e-3);
		expect(r.config.optim.warmupSteps).toBe(1);
		expect(r.config.data.noise).toBe(0.1);
		expect(r.config.seed).toBe(7);
		expect(r.config.steps).toBe(5);
	});

	it('ids, config hashes and the spec hash are stable; key order in the file does not matter', () => {
		const a = loadSweep(spec);
		const reordered = {
			grid: { pooler: spec.grid.pooler, seed: spec.grid.seed, objective: spec.grid.objective },
			base: spec.base,
			name: 't4',
		};
		const b = loadSweep(reordered);
		expect(b.hash).toBe(a.hash);
		expect(b.runs.map((r) => [r.id, r.configHash])).toEqual(a.runs.map((r) => [r.id, r.configHash]));
		// Different configs hash differently; a changed base changes the spec hash and every config hash.
		expect(new Set(a.runs.map((r) => r.configHash)).size).toBe(a.runs.length);
		const c = loadSweep({ ...spec, base: { ...spec.base, steps: 6 } });
		expect(c.hash).not.toBe(a.hash);
		expect(c.runs[0].configHash).not.toBe(a.runs[0].configHash);
		expect(c.runs[0].id).toBe(a.runs[0].id);
	});

	it('defaults: name from the caller, preset sepdph-demo', () => {
		const s = expandSweep(parseSweepSpec({ grid: { seed: [1] } }, { defaultName: 'file-name' }));
		expect(s.spec.name).toBe('file-name');
		expect(s.spec.preset).toBe('sepdph-demo');
		expect(AXES.at(-1)).toBe('seed');
	});
});

describe('shards', () => {
	const runs = Array.from({ length: 23 }, (_, index) => ({ index }));

	it('are disjoint, deterministic and together give every run, for several N', () => {
		for (const n of [1, 2, 3, 7, 23, 30]) {
			const parts = Array.from({ length: n }, (_, k) => shardRuns(runs, parseShard(`${k}/${n}`)));
			const all = parts.flat().map((r) => r.index);
			expect(all.sort((a, b) => a - b)).toEqual(runs.map((r) => r.index));
			expect(new Set(all).size).toBe(runs.length);
			parts.forEach((p, k) => {
				for (const r of p) expect(r.index % n).toBe(k);
				expect(shardRuns(runs, parseShard(`${k}/${n}`))).toEqual(p);
			});
		}
		expect(shardRuns(runs, null)).toEqual(runs);
	});

	it('slice on the index in the full expansion, whatever subset is passed', () => {
		const subset = runs.filter((r) => r.index > 10);
		expect(shardRuns(subset, { index: 1, count: 4 }).map((r) => r.index)).toEqual([13, 17, 21]);
	});

	it('K/N is validated with clear errors; K counts from 0', () => {
		expect(parseShard('0/8')).toEqual({ index: 0, count: 8 });
		expect(parseShard('7/8')).toEqual({ index: 7, count: 8 });
		expect(() => parseShard('8/8')).toThrow(/K must be in 0\.\.7 \(shards count from 0/);
		expect(() => parseShard('1/0')).toThrow(/N must be at least 1/);
		expect(() => parseShard('a/3')).toThrow(ShardError);
		expect(() => parseShard('1')).toThrow(/must look like K\/N/);
		expect(() => parseShard('-1/3')).toThrow(/must look like K\/N/);
		expect(resultsFileName(null)).toBe('results.jsonl');
		expect(resultsFileName({ index: 2, count: 3 })).toBe('results-2-of-3.jsonl');
	});
});

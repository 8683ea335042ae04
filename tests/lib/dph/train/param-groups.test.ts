import { beforeAll, describe, expect, it } from 'vitest';
import { LaProp } from '../../../../src/lib/dph/train/laprop';
import { paramGroups } from '../../../../src/lib/dph/train/param-groups';
import { fresh, tf, useCpu, type Variable, variable } from './tf-helpers';

beforeAll(useCpu);

describe('paramGroups', () => {
	it('splits backbone/DPH head by prefix and decay/no-decay by the reference decay mask', () => {
		const names = [
			'model.input_embedding.weight',
			'model.layers.0.attn.q.weight',
			'model.layers.0.attn.q.bias',
			'model.layers.0.input_norm.weight',
			'pooler_pipeline.dense.weight',
			'pooler_pipeline.dense.bias',
			'pooler_pipeline.norm.weight',
			'reward_heads.sepdph.weight',
		];
		const named: Record<string, Variable> = {};
		for (const n of names) named[n] = variable([1], fresh(n));
		named.frozen = tf.variable(tf.tensor1d([1]), false, fresh('frozen'));
		const groups = paramGroups(named, { weightDecay: 0.1, decayInit: false, dphWeightDecay: 0.05, dphDecayInit: true });
		const byName = Object.fromEntries(
			groups.map((g) => [g.name, { ...g, vars: g.vars.map((v) => names.find((n) => named[n] === v)) }]),
		);
		expect(groups.map((g) => g.name)).toEqual(['decay', 'no_decay', 'dph_decay', 'dph_no_decay']);
		expect(byName.decay.vars).toEqual(['model.layers.0.attn.q.weight']);
		expect(byName.decay.weightDecay).toBe(0.1);
		expect(byName.decay.decayInit).toBe(false);
		expect(byName.no_decay.vars).toEqual([
			'model.input_embedding.weight',
			'model.layers.0.attn.q.bias',
			'model.layers.0.input_norm.weight',
		]);
		expect(byName.no_decay.weightDecay).toBe(0);
		expect(byName.dph_decay.vars).toEqual(['pooler_pipeline.dense.weight', 'reward_heads.sepdph.weight']);
		expect(byName.dph_decay.weightDecay).toBe(0.05);
		expect(byName.dph_decay.decayInit).toBe(true);
		expect(byName.dph_no_decay.vars).toEqual(['pooler_pipeline.dense.bias', 'pooler_pipeline.norm.weight']);
		expect(byName.dph_no_decay.weightDecay).toBe(0);
		// The groups feed LaProp directly.
		const opt = new LaProp(tf, groups);
		expect(opt.groups.map((g) => g.params.length)).toEqual([1, 3, 2, 2]);
		opt.dispose();
		tf.dispose(Object.values(named));
	});

	it('defaults follow the reference configs (λ = 0.1 for backbone and head, no prior regularisation)', () => {
		const named = { 'layers.0.w': variable([1], fresh('w')), 'reward_heads.w': variable([1], fresh('rw')) };
		const groups = paramGroups(named);
		expect(groups.map((g) => [g.weightDecay, g.decayInit])).toEqual([
			[0.1, false],
			[0, false],
			[0.1, false],
			[0, false],
		]);
		tf.dispose(Object.values(named));
	});
});

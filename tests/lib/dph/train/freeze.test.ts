import { describe, expect, it } from 'vitest';
import { preset } from '../../../../src/lib/dph/model/config';
import { parameterShapes } from '../../../../src/lib/dph/model/lswt';
import {
	DEFAULT_TRAIN_CONFIG,
	freezeParams,
	resolveTrainConfig,
	TrainConfigError,
} from '../../../../src/lib/dph/train/config';
import { type FreezeSpec, splitTrainable } from '../../../../src/lib/dph/train/freeze';

// The nano preset's parameters, named as the reference's state dict names them.
const nano = Object.fromEntries(parameterShapes(preset('nano', 100)).map(([n, s]) => [n, s]));
const names = Object.keys(nano);
const spec = (s: Partial<FreezeSpec>): FreezeSpec => ({
	trainable: 'all',
	frozen: [],
	trainableEmbeddings: true,
	...s,
});
const trains = (s: Partial<FreezeSpec>) => Object.keys(splitTrainable(nano, spec(s)).trainable);
const block = (i: number) =>
	[
		'att_norm.weight',
		'att_norm.bias',
		'att.proj_q.weight',
		'att.proj_q.bias',
		'att.proj_k.weight',
		'att.proj_k.bias',
		'att.proj_v.weight',
		'att.proj_v.bias',
		'att.proj_o.weight',
		'att.proj_o.bias',
		'ffn_norm.weight',
		'ffn_norm.bias',
		'ffn.fc1.weight',
		'ffn.fc1.bias',
		'ffn.fc2.weight',
		'ffn.fc2.bias',
	].map((s) => `model.blocks.${i}.${s}`);
const heads = [
	'pooler_pipeline.0.weight',
	'pooler_pipeline.0.bias',
	'pooler_pipeline.2.weight',
	'pooler_pipeline.2.bias',
	'reward_heads.reward.weight',
];
const outside = [
	'model.input_embedding.embedding.weight',
	'model.input_proj.weight',
	'model.input_norm.weight',
	'model.input_norm.bias',
	'model.output_norm.weight',
	'model.output_norm.bias',
	'head_proj.weight',
];

describe('freezing (the reference names: trainable_backbone, frozen_params, trainable_embeddings)', () => {
	it('all: every parameter of the nano preset trains', () => {
		expect(trains({})).toEqual(names);
		expect(names).toHaveLength(44);
	});

	it('no-backbone: model.blocks.* frozen; embeddings, input projection, norms, head projection and heads train', () => {
		expect(trains({ trainable: 'no-backbone' })).toEqual([...outside, ...heads]);
		expect(splitTrainable(nano, spec({ trainable: 'no-backbone' })).frozen).toEqual([...block(0), ...block(1)]);
	});

	it('heads: the pooler and reward heads only', () => {
		expect(trains({ trainable: 'heads' })).toEqual(heads);
	});

	it('frozen patterns are substrings (att. is the attention projections, not att_norm)', () => {
		const split = splitTrainable(nano, spec({ frozen: ['att.'] }));
		expect(split.frozen).toEqual([0, 1].flatMap((i) => block(i).filter((n) => n.includes('.att.proj_'))));
		expect(split.unmatched).toEqual([]);
		expect(trains({ trainable: 'no-backbone', frozen: ['pooler_pipeline.0', 'norm'] })).toEqual([
			'model.input_embedding.embedding.weight',
			'model.input_proj.weight',
			'head_proj.weight',
			'pooler_pipeline.2.weight',
			'pooler_pipeline.2.bias',
			'reward_heads.reward.weight',
		]);
	});

	it('trainableEmbeddings false freezes the tied embedding matrix only', () => {
		expect(trains({ trainableEmbeddings: false })).toEqual(
			names.filter((n) => !n.startsWith('model.input_embedding.')),
		);
	});

	it('a pattern that matches nothing and a setup that trains nothing are errors naming the field', () => {
		const cfg = (x: Record<string, unknown>) => resolveTrainConfig(x);
		expect(() => freezeParams(nano, cfg({ frozen: ['att.', 'atn.'] }))).toThrow(
			/frozen\[1\] = "atn." matches no parameter name of this model/,
		);
		expect(() => freezeParams(nano, cfg({ trainable: 'heads', frozen: ['pooler', 'reward'] }))).toThrow(
			/leaves no parameter to train/,
		);
		expect(freezeParams(nano, DEFAULT_TRAIN_CONFIG).frozen).toEqual([]);
	});

	it('the config checks trainable, frozen and trainableEmbeddings with the field, the value and what is valid', () => {
		expect(() => resolveTrainConfig({ trainable: 'backbone' })).toThrow(
			/trainable = "backbone" is invalid: valid all, no-backbone, heads/,
		);
		expect(() => resolveTrainConfig({ frozen: 'att.' })).toThrow(/frozen must be an array of substrings/);
		expect(() => resolveTrainConfig({ frozen: ['att.', ''] })).toThrow(
			/frozen\[1\] = "" is invalid: valid a non-empty substring of parameter names/,
		);
		expect(() => resolveTrainConfig({ trainableEmbeddings: 'no' })).toThrow(TrainConfigError);
		expect(() => resolveTrainConfig({ trainableEmbeddings: 'no' })).toThrow(
			/trainableEmbeddings = "no" is invalid: valid true or false/,
		);
		expect(resolveTrainConfig({ trainable: 'no-backbone', frozen: ['ffn.'] })).toMatchObject({
			trainable: 'no-backbone',
			frozen: ['ffn.'],
			trainableEmbeddings: true,
		});
	});
});

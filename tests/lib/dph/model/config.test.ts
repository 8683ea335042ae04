import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../../src/lib/dph/model/config';

function configError(raw: Record<string, unknown>): ConfigError {
	try {
		resolveConfig(raw, 'config.json');
	} catch (e) {
		expect(e).toBeInstanceOf(ConfigError);
		return e as ConfigError;
	}
	throw new Error('expected a ConfigError');
}

describe('resolveConfig names the field, the value and what is valid', () => {
	it.each([
		[{ n_layers: 'two' }, 'n_layers', 'config.json: n_layers must be a whole number, got "two"'],
		[{ n_layers: 0 }, 'n_layers', 'config.json: n_layers must be ≥ 1, got 0'],
		[{ qk_norm: 'no' }, 'qk_norm', 'config.json: qk_norm must be true or false, got "no"'],
		[{ rope_base_freq: -1 }, 'rope_base_freq', 'config.json: rope_base_freq must be a positive number, got -1'],
		[
			{ reward_pooler: 'mean' },
			'reward_pooler',
			'config.json: reward_pooler must be one of identity, bert, t5, swiglu_bert, swiglu_t5, got "mean"',
		],
		[{ reward_dropout: 1 }, 'reward_dropout', 'config.json: reward_dropout must be in [0, 1), got 1'],
		[
			{ reward_heads: 'reward' },
			'reward_heads',
			'config.json: reward_heads must be a list of names or null, got "reward"',
		],
		[
			{ rope_positions: 1 },
			'rope_positions',
			'config.json: rope_positions must be a whole number of tokens ≥ 2 or null, got 1',
		],
		[{ d_model: 130, n_heads: 4 }, 'd_model', 'config.json: d_model (130) must be divisible by n_heads (4)'],
	])('%j', (raw, field, message) => {
		const e = configError(raw);
		expect(e.field).toBe(field);
		expect(e.message).toBe(message);
	});

	it('refuses non-finite numbers, naming them (JSON would print null)', () => {
		expect(configError({ reward_dropout: Number.NaN }).message).toBe(
			'config.json: reward_dropout must be in [0, 1), got NaN',
		);
		expect(configError({ rope_base_freq: Number.POSITIVE_INFINITY }).field).toBe('rope_base_freq');
	});
});

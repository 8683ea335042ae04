import { describe, expect, it } from 'vitest';
import {
	array,
	bool,
	ConfigError,
	checkers,
	int,
	isObject,
	knownKeys,
	num,
	oneOf,
	reject,
	showValue,
} from '../../../src/lib/dph/validate';

function thrown(f: () => unknown): ConfigError {
	try {
		f();
	} catch (e) {
		expect(e).toBeInstanceOf(ConfigError);
		return e as ConfigError;
	}
	throw new Error('expected a ConfigError');
}

describe('validate: checkers name the field, the value and what is valid', () => {
	it('returns the value it accepts', () => {
		expect(num('lr', 0.1, (n) => n > 0, 'lr > 0')).toBe(0.1);
		expect(int('steps', 3, 1)).toBe(3);
		expect(oneOf('task', 'echo', ['echo', 'copy'])).toBe('echo');
		expect(bool('flag', false)).toBe(false);
		expect(array('xs', [1, 2], (x) => x)).toEqual([1, 2]);
	});

	it('words a rejection "path = value is invalid: valid …"', () => {
		const e = thrown(() => num('optim.lr', -1, (n) => n > 0, '0 < lr < 1'));
		expect(e.message).toBe('optim.lr = -1 is invalid: valid 0 < lr < 1');
		expect(e.field).toBe('optim.lr');
		expect(e.value).toBe(-1);
		expect(thrown(() => int('seed', 2.5, 0, 9)).message).toBe('seed = 2.5 is invalid: valid a whole number in [0, 9]');
		expect(thrown(() => int('steps', 0, 1)).message).toBe(
			'steps = 0 is invalid: valid a whole number in [1, 9007199254740991]',
		);
		expect(thrown(() => oneOf('data.task', 'mnist', ['echo', 'copy'])).message).toBe(
			'data.task = "mnist" is invalid: valid echo, copy',
		);
		expect(thrown(() => bool('decayInit', 1)).message).toBe('decayInit = 1 is invalid: valid true or false');
	});

	it('refuses non-finite numbers and shows them by name, not as JSON null', () => {
		expect(thrown(() => num('x', Number.POSITIVE_INFINITY, () => true, 'x finite')).message).toBe(
			'x = Infinity is invalid: valid x finite',
		);
		expect(thrown(() => num('x', Number.NaN, () => true, 'x finite')).message).toMatch(/^x = NaN is invalid/);
		expect(thrown(() => num('x', '3', () => true, 'a number')).message).toMatch(/^x = "3" is invalid/);
		expect(showValue(undefined)).toBe('undefined');
		expect(showValue([1, 'a'])).toBe('[1,"a"]');
	});

	it('walks objects and arrays with field paths', () => {
		const e = thrown(() => knownKeys('optim', { lr: 1, lrr: 2 }, ['lr', 'eps'], 'a training option'));
		expect(e.message).toBe('optim.lrr is not a training option (known: lr, eps)');
		expect(e.field).toBe('optim.lrr');
		expect(thrown(() => knownKeys('', { nmae: 1 }, ['name'], 'a sweep field')).field).toBe('nmae');
		const bad = thrown(() => array('grid.seed', [1, 'x'], (v, at) => int(at, v, 0)));
		expect(bad.field).toBe('grid.seed[1]');
		expect(thrown(() => array('grid.seed', 3, (v) => v, 'an array of values')).message).toBe(
			'grid.seed must be an array of values, got 3',
		);
		expect(isObject({})).toBe(true);
		expect(isObject([])).toBe(false);
		expect(isObject(null)).toBe(false);
		expect(thrown(() => reject('(root)', 'the spec must be a JSON object')).field).toBe('(root)');
	});

	it('binds to a domain error class and, where needed, its wording', () => {
		class SpecError extends ConfigError {
			override name = 'SpecError';
		}
		const c = checkers(SpecError, {
			message: (path, value, valid) => `config.json: ${path} must be ${valid}, got ${showValue(value)}`,
			oneOf: (_path, list) => `one of ${list.join(', ')}`,
		});
		const e = thrown(() => c.oneOf('reward_pooler', 'mean', ['bert', 't5']));
		expect(e).toBeInstanceOf(SpecError);
		expect(e.message).toBe('config.json: reward_pooler must be one of bert, t5, got "mean"');
		expect(thrown(() => c.bool('qk_norm', 'no')).message).toBe('config.json: qk_norm must be true or false, got "no"');
	});
});

import { describe, expect, it } from 'vitest';
import {
	convergence,
	DynamicsSpecError,
	simulate,
	simulateSteps,
	theoreticalTargets,
	validateSpec,
} from '../../../../src/lib/dph/dynamics';
import { LossParamError } from '../../../../src/lib/dph/losses/index';

describe('spec validation names the field, the value and the valid range', () => {
	const cases: [string, object, RegExp][] = [
		['lr 0', { lr: 0 }, /^lr = 0 is invalid: valid lr > 0/],
		['lr negative', { lr: -0.5 }, /^lr = -0\.5 is invalid: valid lr > 0/],
		['lr NaN', { lr: Number.NaN }, /^lr = NaN is invalid/],
		['steps 0', { steps: 0 }, /^steps = 0 is invalid: valid steps is a whole number, 1 ≤ steps ≤ 1000000/],
		['steps fractional', { steps: 2.5 }, /^steps = 2\.5 is invalid: valid steps is a whole number/],
		['eta ½', { eta: 0.5 }, /^eta = 0\.5 is invalid: valid 0 ≤ eta < 0\.5/],
		['eta negative', { eta: -0.1 }, /^eta = -0\.1 is invalid: valid 0 ≤ eta < 0\.5/],
		['pairs', { pairs: 0 }, /^pairs = 0 is invalid: valid pairs is a whole number, 1 ≤ pairs/],
		[
			'batch larger than pairs',
			{ pairs: 10, batchSize: 11 },
			/^batchSize = 11 is invalid: valid .* 1 ≤ batchSize ≤ 10/,
		],
		[
			'optimizer',
			{ optimizer: 'rmsprop' },
			/^optimizer = "rmsprop" is invalid: valid optimizer is one of sgd, adam, laprop/,
		],
		['model', { model: 'mlp' }, /^model = "mlp" is invalid: valid model is one of free, linear/],
		['noise', { noise: 'sometimes' }, /^noise = "sometimes" is invalid/],
		['init.spread', { init: { spread: -1 } }, /^init\.spread = -1 is invalid: valid init\.spread ≥ 0/],
		['features.dim', { features: { dim: 0 } }, /^features\.dim = 0 is invalid/],
		['track', { pairs: 4, track: 5 }, /^track = 5 is invalid: valid .* 0 ≤ track ≤ 4/],
		['beta2', { beta2: 1 }, /^beta2 = 1 is invalid: valid 0 ≤ beta2 < 1/],
	];

	it.each(cases)('%s', (_label, spec, message) => {
		let err: unknown;
		try {
			validateSpec(spec);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(DynamicsSpecError);
		expect((err as Error).message).toMatch(message);
		// The message starts with the field's name.
		expect((err as Error).message.startsWith(`${(err as DynamicsSpecError).field} = `)).toBe(true);
	});

	it('the field is reported as data too', () => {
		try {
			validateSpec({ lr: -1 });
		} catch (e) {
			expect(e).toMatchObject({ field: 'lr', value: -1 });
		}
		expect.assertions(1);
	});

	it('ε goes through the loss’s own validation', () => {
		expect(() => validateSpec({ loss: 'sepdph', params: { eps: 0.7 } })).toThrow(LossParamError);
		expect(() => validateSpec({ loss: 'sepdph', params: { eps: 0.7 } })).toThrow(
			'sepdph: eps = 0.7 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		expect(() => validateSpec({ loss: 'nope' })).toThrow(/unknown loss "nope": valid losses are sepdph, condph/);
		expect(() => [...simulateSteps({}, 0)]).toThrow(/chunk = 0 is invalid/);
	});

	it('ε = 0 has no finite target, and the simulation still runs: margins just keep growing', () => {
		const t = theoreticalTargets('condph', { eps: 0 }, 0);
		expect(t).toMatchObject({ kind: 'diverges', margin: Number.POSITIVE_INFINITY });
		const res = simulate({ loss: 'condph', params: { eps: 0 }, optimizer: 'sgd', lr: 1, steps: 300 });
		expect(res.meanMargin[300]).toBeGreaterThan(res.meanMargin[100]);
		expect(convergence(res).steps).toBeNull();
	});
});

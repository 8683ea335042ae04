/**
 * The shared config checkers (../validate.ts) bound to DynamicsSpecError and worded as the dynamics messages
 * always were, e.g. `pairs = 0 is invalid: valid pairs is a whole number, 1 ≤ pairs ≤ 1000000`.
 */
import { ConfigError, checkers } from '../validate';

/** Thrown for an invalid simulation spec; `field` is the spec key (dotted for nested ones, e.g. `init.spread`). */
export class DynamicsSpecError extends ConfigError {
	override name = 'DynamicsSpecError';
}

export const { num, int, oneOf, bool, invalid, reject } = checkers(DynamicsSpecError, {
	whole: (f, lo, hi) => `${f} is a whole number, ${lo} ≤ ${f} ≤ ${hi}`,
	oneOf: (f, list) => `${f} is one of ${list.join(', ')}`,
	bool: (f) => `${f} is true or false`,
});

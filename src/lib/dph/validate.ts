/**
 * Checking configs (model, training, sweep, dynamics, loss parameters) in one place, in the manner of Observable
 * Plot's options.js: small typed checkers that return the value they accept and otherwise throw a ConfigError
 * naming the field, the value and what is valid. A message is how a user finds the typo in a file or a form, so
 * every domain words it the same way:
 *
 *   objective.dphEps = 0.7 is invalid: valid 0 ≤ dphEps ≤ 0.5
 *
 * `checkers(ErrorClass, phrasing)` binds the checkers to a domain's error class (so callers can still tell a
 * sweep error from a training one) and, where a domain's messages are already relied on in another wording
 * (config.json's "n_layers must be a whole number, got …"), to that wording.
 */

export type Obj = Record<string, unknown>;

/** A plain object: not null, not an array. */
export const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A value as a message shows it: JSON, except that non-finite numbers (which JSON prints as null) keep their name. */
export function showValue(v: unknown): string {
	return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
}

/** An invalid config value. `field` is its path (`optim.lr`, `grid.seed[2]`, `(root)`). */
export class ConfigError extends Error {
	override name = 'ConfigError';
	constructor(
		message: string,
		readonly field: string,
		readonly value?: unknown,
	) {
		super(message);
	}
}

export type ConfigErrorClass = new (message: string, field: string, value?: unknown) => ConfigError;

/** How a domain words "this value is not valid"; `valid` is what one of the describers below returned. */
export interface Phrasing {
	message(path: string, value: unknown, valid: string): string;
	/** What `int` accepts; `hi` is undefined when there is no upper bound. */
	whole(path: string, lo: number, hi: number | undefined): string;
	oneOf(path: string, list: readonly string[]): string;
	bool(path: string): string;
}

/** `path = value is invalid: valid …`, the wording of training configs and sweep specs. */
export const STANDARD: Phrasing = {
	message: (path, value, valid) => `${path} = ${showValue(value)} is invalid: valid ${valid}`,
	whole: (_path, lo, hi = Number.MAX_SAFE_INTEGER) => `a whole number in [${lo}, ${hi}]`,
	oneOf: (_path, list) => list.join(', '),
	bool: () => 'true or false',
};

export interface Checkers {
	/** Throw with a message of its own (for rules between fields, which no describer covers). */
	reject(path: string, message: string, value?: unknown): never;
	/** Throw "`value` at `path` is not `valid`", worded by the phrasing. */
	invalid(path: string, value: unknown, valid: string): never;
	/** A finite number for which `ok` holds; `valid` says which, e.g. `0 ≤ dropout < 1`. */
	num(path: string, v: unknown, ok: (n: number) => boolean, valid: string): number;
	/** A whole number in [lo, hi] (no upper bound when hi is left out). */
	int(path: string, v: unknown, lo: number, hi?: number): number;
	oneOf<T extends string>(path: string, v: unknown, list: readonly T[]): T;
	bool(path: string, v: unknown): boolean;
	/** Every key of `obj` must be in `known`; the message calls an unknown one "not `what`". */
	knownKeys(path: string, obj: Obj, known: readonly string[], what: string): void;
	/** An array (`what` words it in the message), each element checked by `each` at `path[i]`. */
	array<T>(path: string, v: unknown, each: (x: unknown, at: string, i: number) => T, what?: string): T[];
}

/** Join a path and a key: `at('optim', 'lr')` is `optim.lr`, `at('', 'steps')` is `steps`. */
export const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

export function checkers(E: ConfigErrorClass = ConfigError, words: Partial<Phrasing> = {}): Checkers {
	const p: Phrasing = { ...STANDARD, ...words };
	const reject = (path: string, message: string, value?: unknown): never => {
		throw new E(message, path, value);
	};
	const invalid = (path: string, value: unknown, valid: string): never =>
		reject(path, p.message(path, value, valid), value);
	const num = (path: string, v: unknown, ok: (n: number) => boolean, valid: string): number => {
		if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) invalid(path, v, valid);
		return v as number;
	};
	return {
		reject,
		invalid,
		num,
		int: (path, v, lo, hi) =>
			num(
				path,
				v,
				(n) => Number.isInteger(n) && n >= lo && n <= (hi ?? Number.MAX_SAFE_INTEGER),
				p.whole(path, lo, hi),
			),
		oneOf: <T extends string>(path: string, v: unknown, list: readonly T[]): T => {
			if (typeof v !== 'string' || !(list as readonly string[]).includes(v)) invalid(path, v, p.oneOf(path, list));
			return v as T;
		},
		bool: (path, v) => {
			if (typeof v !== 'boolean') invalid(path, v, p.bool(path));
			return v as boolean;
		},
		knownKeys: (path, obj, known, what) => {
			for (const k of Object.keys(obj)) {
				const field = at(path, k);
				if (!known.includes(k)) reject(field, `${field} is not ${what} (known: ${known.join(', ')})`, obj[k]);
			}
		},
		array: (path, v, each, what = 'an array') => {
			if (!Array.isArray(v)) return reject(path, `${path} must be ${what}, got ${showValue(v)}`, v);
			return v.map((x, i) => each(x, `${path}[${i}]`, i));
		},
	};
}

/** The checkers with plain ConfigErrors and the standard wording. */
export const { reject, invalid, num, int, oneOf, bool, knownKeys, array } = checkers();

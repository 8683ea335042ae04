/**
 * Field checks shared by the spec, the optimizers and the convergence options: each failure throws a
 * DynamicsSpecError whose message names the field, the value and the valid range.
 */

/** Thrown for an invalid simulation spec; `field` is the spec key (dotted for nested ones, e.g. `init.spread`). */
export class DynamicsSpecError extends Error {
	override name = 'DynamicsSpecError';
	constructor(
		message: string,
		readonly field: string,
		readonly value: unknown,
	) {
		super(message);
	}
}

function show(v: unknown): string {
	return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function fail(field: string, value: unknown, range: string): never {
	throw new DynamicsSpecError(`${field} = ${show(value)} is invalid: ${range}`, field, value);
}

export function wholeIn(field: string, v: unknown, lo: number, hi: number): number {
	if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
		fail(field, v, `valid ${field} is a whole number, ${lo} ≤ ${field} ≤ ${hi}`);
	return v;
}

export function finite(field: string, v: unknown, range: string, ok: (x: number) => boolean = () => true): number {
	if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(field, v, range);
	return v;
}

export function oneOf<T extends string>(field: string, v: unknown, options: readonly T[]): T {
	if (typeof v !== 'string' || !(options as readonly string[]).includes(v))
		fail(field, v, `valid ${field} is one of ${options.join(', ')}`);
	return v as T;
}

/** tfjs on the CPU backend and small tensor helpers for the optimizer tests. */
import { expect } from 'vitest';

export const tf = await import('@tensorflow/tfjs');
export type Variable = import('@tensorflow/tfjs').Variable;
export type Tensor = import('@tensorflow/tfjs').Tensor;

/** Call from beforeAll: deterministic CPU kernels, no debug checks. */
export async function useCpu(): Promise<void> {
	await tf.setBackend('cpu');
	tf.env().set('PROD', true);
}

// tfjs variable names are global to the engine, so every test names its own.
let nameCounter = 0;
export const fresh = (base: string) => `t${nameCounter++}.${base}`;
export const variable = (values: number[], name: string, shape?: number[]) =>
	tf.variable(tf.tensor(values, shape ?? [values.length], 'float32'), true, name);
export const read = (t: Tensor) => Array.from(t.dataSync());

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
	expect(actual.length).toBe(expected.length);
	for (let i = 0; i < expected.length; i++) {
		const diff = Math.abs(actual[i] - expected[i]);
		if (!(diff <= tol)) throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]} (|diff| ${diff} > ${tol})`);
	}
}

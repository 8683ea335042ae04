/**
 * `dph` in notebook cells, and the public surface of the science library.
 */
export * as backend from './backend';
export * as random from './random';

/**
 * `dph` in notebook cells, and the public surface of the science library:
 *   dph.losses.getLoss('sepdph'), dph.landscape.computeLandscape(…), dph.random.mulberry32(seed), …
 */
export * as backend from './backend';
export * as data from './data';
export * as dynamics from './dynamics';
export * as landscape from './landscape/index';
export * as losses from './losses';
export * as random from './random';

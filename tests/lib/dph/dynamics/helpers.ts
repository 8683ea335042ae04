/** Independent of dynamics/targets.ts logOdds, so the tests check it. */
export const logOdds = (eps: number) => Math.log((1 - eps) / eps);

/** Mean of a recorded series over its last `frac` of steps: averages out the jitter that label noise causes. */
export function tailMean(series: Float64Array, frac = 0.25): number {
	const end = series.length - 1;
	const start = Math.floor(end * (1 - frac));
	let s = 0;
	for (let t = start; t <= end; t++) s += series[t];
	return s / (end - start + 1);
}

/** A linear SepDPH run with Adam and label noise: the spec the determinism and row tests share. */
export const linearAdamSpec = {
	model: 'linear',
	loss: 'sepdph',
	eta: 0.2,
	optimizer: 'adam',
	lr: 0.03,
	pairs: 50,
	batchSize: 10,
	steps: 120,
	seed: 7,
} as const;

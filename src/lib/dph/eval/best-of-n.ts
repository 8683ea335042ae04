/**
 * Best-of-N from one pool: the expected quality of the candidate a predictor picks among N drawn from a pool of n
 * samples of one prompt, exactly over all C(n, N) subsets, for N = 1…n (the estimator of Gao et al.'s
 * overoptimisation curves and of the paper's inference-time pruning).
 *
 * Rank the pool by the predictor's score, lowest first. A random N-subset's pick is its highest-scored member, and
 * the i-th lowest is that member exactly when the subset holds it and N − 1 of the i − 1 below it:
 *
 *   P(pick = i-th lowest) = C(i − 1, N − 1) / C(n, N),   E[quality] = Σ_i P(i) · q_(i).
 *
 * Tied scores are broken uniformly at random, which in expectation gives every member of a tie the tie's mean
 * quality, so that is what each is given. N = 1 is random choice (the mean quality) for every predictor.
 */

/** ln C(a, b) for whole 0 ≤ b ≤ a, from a table of ln k! (exact sums of logs: no lgamma in JS). */
function logChooser(n: number): (a: number, b: number) => number {
	const lf = new Float64Array(n + 1);
	for (let k = 2; k <= n; k++) lf[k] = lf[k - 1] + Math.log(k);
	return (a, b) => lf[a] - lf[b] - lf[a - b];
}

/** P(the i-th lowest of n is the pick of a random N-subset), i = 1…n, as an array indexed i − 1. */
export function pickProbabilities(n: number, N: number): Float64Array {
	if (!Number.isInteger(n) || !Number.isInteger(N) || N < 1 || N > n) {
		throw new RangeError(`best-of-N needs whole 1 ≤ N ≤ n, got N = ${N}, n = ${n}`);
	}
	const lc = logChooser(n);
	const total = lc(n, N);
	const p = new Float64Array(n);
	for (let i = N; i <= n; i++) p[i - 1] = Math.exp(lc(i - 1, N - 1) - total);
	return p;
}

/** Qualities in ascending order of score, each tie given its mean quality. */
function rankedQualities(scores: readonly number[], quality: readonly number[]): number[] {
	if (scores.length !== quality.length || scores.length === 0) {
		throw new RangeError(
			`best-of-N needs one quality per score, got ${scores.length} scores, ${quality.length} qualities`,
		);
	}
	scores.forEach((s, i) => {
		if (Number.isNaN(s)) throw new RangeError(`score ${i} is NaN: a predictor must score every candidate`);
	});
	const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
	const out = new Array<number>(order.length);
	for (let r = 0; r < order.length; ) {
		let e = r + 1;
		while (e < order.length && scores[order[e]] === scores[order[r]]) e++;
		let sum = 0;
		for (let k = r; k < e; k++) sum += quality[order[k]];
		for (let k = r; k < e; k++) out[k] = sum / (e - r);
		r = e;
	}
	return out;
}

/** E[quality of the pick among N], for one pool. */
export function bestOfN(scores: readonly number[], quality: readonly number[], N: number): number {
	const q = rankedQualities(scores, quality);
	const p = pickProbabilities(q.length, N);
	let e = 0;
	for (let i = 0; i < q.length; i++) e += p[i] * q[i];
	return e;
}

/** [E at N = 1, …, E at N = n] for one pool. */
export function bestOfNCurve(scores: readonly number[], quality: readonly number[]): number[] {
	const q = rankedQualities(scores, quality);
	return q.map((_, k) => {
		const p = pickProbabilities(q.length, k + 1);
		let e = 0;
		for (let i = 0; i < q.length; i++) e += p[i] * q[i];
		return e;
	});
}

export interface Pool {
	/** Quality of each sample: 1/0 correctness, or a judge's reward. */
	quality: readonly number[];
	/** Each predictor's score of each sample (higher is preferred), by predictor name. */
	scores: Readonly<Record<string, readonly number[]>>;
}

export interface BestOfNCurves {
	/** N = 1…nMax, where nMax is the smallest pool's size. */
	N: number[];
	/** Mean over pools of each predictor's curve, plus `random` (the pool mean, the same at every N). */
	curves: Record<string, number[]>;
	pools: number;
}

/** Curves averaged over prompts, one pool per prompt; every pool must carry the same predictors. */
export function bestOfNCurves(pools: readonly Pool[]): BestOfNCurves {
	if (pools.length === 0) throw new RangeError('best-of-N needs at least one pool of samples');
	const names = Object.keys(pools[0].scores);
	const nMax = Math.min(...pools.map((p) => p.quality.length));
	const curves: Record<string, number[]> = { random: new Array(nMax).fill(0) };
	for (const name of names) curves[name] = new Array(nMax).fill(0);
	pools.forEach((pool, k) => {
		// A larger pool is cut to its first nMax samples, so every prompt counts alike at every N.
		const q = pool.quality.slice(0, nMax);
		const mean = q.reduce((a, b) => a + b, 0) / nMax;
		for (let N = 0; N < nMax; N++) curves.random[N] += mean / pools.length;
		for (const name of names) {
			const s = pool.scores[name];
			if (!s) throw new RangeError(`pool ${k} has no scores from predictor "${name}"`);
			const c = bestOfNCurve(s.slice(0, nMax), q);
			for (let N = 0; N < nMax; N++) curves[name][N] += c[N] / pools.length;
		}
	});
	return { N: Array.from({ length: nMax }, (_, i) => i + 1), curves, pools: pools.length };
}

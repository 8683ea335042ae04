/**
 * Float64 helpers that stay finite for any finite input. The naive forms fail in ways that matter for a
 * landscape spanning |r| ≤ 1e4: `Math.log(1 + Math.exp(x))` overflows to Infinity for x > 709, and
 * `Math.log(1 / (1 + Math.exp(-x)))` returns log(0) = −Infinity for x < −745 instead of ≈ x.
 */

/** softplus(x) = log(1 + eˣ), written so that exp only ever sees a non-positive argument. */
export function softplus(x: number): number {
	return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** log σ(x) = −softplus(−x): ≈ x for x ≪ 0, ≈ −e^{−x} for x ≫ 0, never −Infinity for finite x. */
export function logSigmoid(x: number): number {
	return -softplus(-x);
}

/** σ(x) without overflow: the exponential is always of −|x|. */
export function sigmoid(x: number): number {
	if (x >= 0) return 1 / (1 + Math.exp(-x));
	const e = Math.exp(x);
	return e / (1 + e);
}

/**
 * σ'(x) = σ(x)σ(−x) = eˣ/(eˣ + 1)² — the second derivative of −log σ. Using e^{−|x|} (the function is even)
 * avoids Infinity/Infinity = NaN for large |x|.
 */
export function sigmoidPrime(x: number): number {
	const e = Math.exp(-Math.abs(x));
	const d = 1 + e;
	return e / (d * d);
}

/** log(p / (1 − p)) for p ∈ (0, 1); log1p keeps precision when p is close to 0 or 1. */
export function logit(p: number): number {
	return Math.log(p) - Math.log1p(-p);
}

/**
 * Binary entropy H(ε) = −ε log ε − (1 − ε) log(1 − ε) in nats, with H(0) = 0: the minimum value of the
 * label-smoothed logistic loss −(1−ε)log σ(x) − ε log σ(−x), reached at x = logit(1 − ε).
 */
export function binaryEntropy(eps: number): number {
	if (eps <= 0 || eps >= 1) return 0;
	return -eps * Math.log(eps) - (1 - eps) * Math.log1p(-eps);
}

/**
 * The label-smoothed logistic loss on one logit, ℓ_ε(x) = −(1−ε) log σ(x) − ε log σ(−x): the building block of
 * SepDPH, ConDPH and cDPO. Expanded as softplus(−x) + εx (because softplus(x) − softplus(−x) = x) it is a single
 * softplus, exact to rounding for every finite x.
 */
export function smoothedLogistic(x: number, eps: number): number {
	return softplus(-x) + eps * x;
}

/**
 * dℓ_ε/dx = ε − 1/(eˣ + 1) = σ(x) − (1 − ε). The first form keeps the tiny gradient at large x (with ε = 0,
 * σ(40) − 1 rounds to 0 but −σ(−40) ≈ −4e−18).
 */
export function smoothedLogisticD1(x: number, eps: number): number {
	return eps - sigmoid(-x);
}

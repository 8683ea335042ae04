/**
 * An independent float64 reference for every loss: the formulas written the naive way, straight from the papers,
 * with Math.log(1 / (1 + Math.exp(−x))). Valid only at moderate |x| (say ≤ 30), which is where the tests use it.
 * Deliberately shares no code with src/lib/dph/losses.
 */
export const sig = (x: number): number => 1 / (1 + Math.exp(-x));
export const logsig = (x: number): number => Math.log(1 / (1 + Math.exp(-x)));

export type Ref = (rw: number, rl: number, p: Record<string, number>) => number;

const dpo: Ref = (rw, rl) => -logsig(rw - rl);

export const REFERENCE: Record<string, Ref> = {
	// eq. 5
	sepdph: (rw, rl, { eps }) =>
		-((1 - eps) * logsig(rw) + eps * logsig(-rw)) - (eps * logsig(rl) + (1 - eps) * logsig(-rl)),
	// eq. 6
	condph: (rw, rl, { eps }) => -(1 - eps) * logsig(rw - rl) - eps * logsig(rl - rw),
	dpo,
	// eq. 3, literally (1−ε)·DPO(w, l) + ε·DPO(l, w)
	cdpo: (rw, rl, p) => (1 - p.eps) * dpo(rw, rl, p) + p.eps * dpo(rl, rw, p),
	// IPO on log-ratios h = Δ/β with target 1/(2β)
	ipo: (rw, rl, { beta }) => ((rw - rl) / beta - 1 / (2 * beta)) ** 2,
	slic: (rw, rl, { delta }) => Math.max(0, delta - (rw - rl)),
	// Chowdhury et al. 2024, eq. for the unbiased loss
	rdpo: (rw, rl, p) => ((1 - p.eps) * dpo(rw, rl, p) - p.eps * dpo(rl, rw, p)) / (1 - 2 * p.eps),
	simpo: (rw, rl, { gamma }) => -logsig(rw - rl - gamma),
	bco: (rw, rl, { delta }) => -logsig(rw - delta) - logsig(-(rl - delta)),
	bt: dpo,
};

/** Parameter sets each loss is tested with (covering the ends of the valid ranges). */
export const PARAM_SETS: Record<string, Record<string, number>[]> = {
	sepdph: [{ eps: 0 }, { eps: 0.1 }, { eps: 0.25 }, { eps: 0.5 }],
	condph: [{ eps: 0 }, { eps: 0.1 }, { eps: 0.4 }, { eps: 0.5 }],
	dpo: [{}],
	cdpo: [{ eps: 0 }, { eps: 0.25 }, { eps: 0.5 }],
	ipo: [{ beta: 0.1 }, { beta: 0.6 }, { beta: 2 }],
	slic: [{ delta: 0 }, { delta: 1 }, { delta: 2.5 }],
	rdpo: [{ eps: 0 }, { eps: 0.1 }, { eps: 0.45 }],
	simpo: [{ gamma: 0 }, { gamma: 0.5 }, { gamma: 2 }],
	bco: [{ delta: -1 }, { delta: 0 }, { delta: 1.5 }],
	bt: [{}],
};

/** Moderate test points (r_w, r_l), away from special values. */
export const POINTS: [number, number][] = [];
for (const rw of [-3.7, -1.3, -0.2, 0.45, 1.9, 4.1]) {
	for (const rl of [-4.3, -0.9, 0.15, 1.1, 3.3]) POINTS.push([rw, rl]);
}

/** True where the loss is smooth at (r_w, r_l): everywhere except near the hinge kink. */
export function smoothAt(name: string, rw: number, rl: number, p: Record<string, number>): boolean {
	if (name !== 'slic') return true;
	return Math.abs(rw - rl - p.delta) > 0.05;
}

/** |a − b| ≤ rtol·max(|a|, |b|) + atol. */
export function close(a: number, b: number, rtol: number, atol: number): boolean {
	return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + atol;
}

/** Five-point central difference (error O(h⁴)). */
export function d1(f: (x: number) => number, x: number, h = 1e-3): number {
	return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
}

/** Five-point second difference (error O(h⁴)). */
export function d2(f: (x: number) => number, x: number, h = 1e-3): number {
	return (-f(x + 2 * h) + 16 * f(x + h) - 30 * f(x) + 16 * f(x - h) - f(x - 2 * h)) / (12 * h * h);
}

/** Mixed partial ∂²f/∂x∂y by a cross difference, Richardson-extrapolated to O(h⁴). */
export function dxy(f: (x: number, y: number) => number, x: number, y: number, h = 2e-3): number {
	const c = (k: number) => (f(x + k, y + k) - f(x + k, y - k) - f(x - k, y + k) + f(x - k, y - k)) / (4 * k * k);
	return (4 * c(h / 2) - c(h)) / 3;
}

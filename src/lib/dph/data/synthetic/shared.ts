/** What the task generators share: random draws from a seeded stream, and placing the answer among distractors. */

export type Rand = () => number;

/** Uniform integer in [lo, hi]. */
export function randInt(rand: Rand, lo: number, hi: number): number {
	return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick<T>(rand: Rand, xs: readonly T[]): T {
	return xs[Math.floor(rand() * xs.length)];
}

/**
 * Place the correct answer among distractors at a uniformly random position. `distractor()` is called until
 * enough distinct wrong answers exist; generators guarantee that terminates by drawing from large enough sets.
 */
export function assemble(
	rand: Rand,
	correct: string,
	k: number,
	distractor: () => string,
): { candidates: string[]; label: number } {
	const seen = new Set([correct]);
	const wrong: string[] = [];
	for (let tries = 0; wrong.length < k - 1; tries++) {
		if (tries > 10_000) throw new Error(`synthetic: could not find ${k - 1} distinct wrong answers for ${correct}`);
		const d = distractor();
		if (!seen.has(d)) {
			seen.add(d);
			wrong.push(d);
		}
	}
	const label = randInt(rand, 0, k - 1);
	const candidates = [...wrong];
	candidates.splice(label, 0, correct);
	return { candidates, label };
}

/** One generated question: the user message, the candidates and the index of the correct one. */
export interface Generated {
	user: string;
	candidates: string[];
	label: number;
}

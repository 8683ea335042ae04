/**
 * Seeded randomness: every experiment in the workbench is reproducible from its seed.
 */

/** mulberry32: a fast 32-bit PRNG with good statistical quality for simulation (not cryptography). */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Standard normal via Box–Muller, drawing from `rand`. */
export function normal(rand: () => number): number {
	let u = 0;
	while (u === 0) u = rand();
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Derive an independent stream for a sub-task (e.g. run k of a sweep) from a base seed. */
export function deriveSeed(seed: number, ...parts: (number | string)[]): number {
	let h = 2166136261 ^ (seed >>> 0);
	for (const p of parts) {
		const s = String(p);
		for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
		h = Math.imul(h ^ 0x9e3779b9, 16777619);
	}
	return h >>> 0;
}

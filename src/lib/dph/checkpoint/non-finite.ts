/** NaN/±Inf weights: found one tensor at a time while loading, and refused unless the user asks to look anyway. */
import { CheckpointError } from './checkpoint-error';

/** How many values of `data` are NaN or ±Inf, and the index of the first; null when all are finite. */
export function nonFinite(data: Float32Array): { count: number; first: number } | null {
	let count = 0;
	let first = -1;
	for (let i = 0; i < data.length; i++) {
		const x = data[i];
		// x − x is 0 for every finite x and NaN for NaN and ±Inf: one subtraction instead of Number.isFinite's call.
		if (x - x !== 0) {
			if (first < 0) first = i;
			count++;
		}
	}
	return count ? { count, first } : null;
}

/**
 * A tensor with NaN/Inf values (`bad`, from nonFinite) refuses the load, or with `allowNonfinite` is recorded in
 * `broken` so the card can say which tensors are damaged.
 */
export function noteNonFinite(
	name: string,
	bad: { count: number; first: number } | null,
	opts: { allowNonfinite?: boolean },
	broken: string[],
): void {
	if (!bad) return;
	const what = `tensor ${name} has ${bad.count.toLocaleString('en')} NaN/Inf value${bad.count === 1 ? '' : 's'} (first at element ${bad.first})`;
	if (!opts.allowNonfinite) {
		throw new CheckpointError(
			`model.safetensors: ${what}; the checkpoint is unusable (every score would be NaN): retrain or re-export it, or load it anyway with --allow-nonfinite (allowNonfinite)`,
			'model.safetensors',
		);
	}
	broken.push(what);
}

/**
 * The one colour convention of every landscape drawing — the notebook's canvas panels and `dph landscape --format
 * svg` — so the two read the same: colour follows t = log(1 + L − min) / log(1 + max − min) (steep losses such as
 * IPO stay readable) through viridis reversed, LIGHT WHERE THE LOSS IS LOW. The figures are about where the
 * optimum is, and the eye goes to the brightest region; viridis stays ordered in greyscale and for colour-blind
 * readers either way round. docs/NOTEBOOKS.md states it for readers.
 */
import { interpolateViridis, scaleSequential } from 'd3';

/** Colour of a normalised level t ∈ [0, 1] (0 = the lowest loss drawn): yellow at 0, dark purple at 1. */
export const lossColour = scaleSequential(interpolateViridis).domain([1, 0]).clamp(true);

/** The normalised level t of a loss value on a landscape whose stored values span [min, max]. */
export function lossLevel(min: number, max: number): (v: number) => number {
	const range = Math.log1p(Math.max(0, max - min));
	return range > 0 ? (v) => Math.log1p(Math.max(0, v - min)) / range : () => 0;
}

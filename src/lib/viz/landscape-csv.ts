/**
 * Landscape grids as text: CSV for `dph landscape`, and the number formats its JSON uses, which keep files small
 * without losing a bit of the float32 values.
 */
import { csvFormatRows } from 'd3';
import { gridCoordinate, type Landscape } from '../dph/landscape/index';

/** Shortest decimal that reads back as the same float32 (6–9 significant digits), so CSVs stay small. */
export function formatFloat32(x: number): string {
	if (!Number.isFinite(x)) return String(x);
	for (let p = 6; p < 9; p++) {
		const s = Number(x.toPrecision(p));
		if (Math.fround(s) === x) return String(s);
	}
	return String(Number(x.toPrecision(9)));
}

/** A grid coordinate without float64 noise (−6 + 3·0.047058823529411764 prints as −5.85882352941). */
export function formatCoordinate(x: number): string {
	return String(Number(x.toPrecision(12)));
}

/** CSV with header `r_w,r_l,loss,d_rw,d_rl`, one row per cell, row-major with r_w fastest. */
export function landscapeCsv(g: Landscape): string {
	const { n } = g;
	const xs: string[] = [];
	for (let i = 0; i < n; i++) xs.push(formatCoordinate(gridCoordinate(g, i)));
	const rows = new Array<string[]>(n * n + 1);
	rows[0] = ['r_w', 'r_l', 'loss', 'd_rw', 'd_rl'];
	for (let j = 0; j < n; j++) {
		for (let i = 0; i < n; i++) {
			const k = j * n + i;
			rows[k + 1] = [xs[i], xs[j], formatFloat32(g.loss[k]), formatFloat32(g.drw[k]), formatFloat32(g.drl[k])];
		}
	}
	return `${csvFormatRows(rows)}\n`;
}

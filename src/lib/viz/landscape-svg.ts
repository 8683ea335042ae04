/**
 * A landscape as a self-contained SVG file (`dph landscape --format svg`): a string, no DOM, so it renders in Node.
 * Colours follow landscape-colour.ts, the convention the notebook's canvas panels use too.
 */
import { ticks } from 'd3';
import { gridCoordinate, type Landscape, optimalRegion, type Point } from '../dph/landscape/index';
import { lossColour, lossLevel } from './landscape-colour';

export interface LandscapeSvgOptions {
	title?: string;
	subtitle?: string;
	/** Most cells drawn per side; larger grids are sampled down (default 128). */
	maxCells?: number;
	/** Arrows per side of the descent-direction field (default 13; 0 for none). */
	arrows?: number;
	/** Half-width of the band drawn around an optimal margin line (default 0: line only). */
	band?: number;
}

function esc(s: string): string {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const r2 = (x: number): string => String(Math.round(x * 100) / 100);

/**
 * A self-contained SVG heatmap of the landscape (colours: landscape-colour.ts, light where the loss is low), r_w on the x axis and r_l on the y axis (upwards), the optimal region on top, and arrows along the
 * descent direction −∇L. Horizontal runs of equal (quantised) colour are merged into one rect to keep files small.
 */
export function landscapeSvg(g: Landscape, opts: LandscapeSvgOptions = {}): string {
	const m = Math.min(g.n, Math.max(2, opts.maxCells ?? 128));
	const src = (a: number) => Math.round((a * (g.n - 1)) / (m - 1));
	const W = 660;
	const H = 560;
	const left = 70;
	const top = 56;
	const P = 440;
	const h = (g.hi - g.lo) / (m - 1);
	const x0 = g.lo - h / 2;
	const span = g.hi - g.lo + h;
	const sx = (r: number) => left + ((r - x0) / span) * P;
	const sy = (r: number) => top + P - ((r - x0) / span) * P;
	const cell = P / m;
	const levels = 64;
	const t = lossLevel(g.min, g.max);
	const level = (v: number) => Math.round(t(v) * (levels - 1));
	const out: string[] = [];
	out.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
	);
	out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
	if (opts.title) out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
	if (opts.subtitle) out.push(`<text x="${left}" y="40" fill="#444">${esc(opts.subtitle)}</text>`);
	out.push(
		`<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${P}" height="${P}"/></clipPath>` +
			'<marker id="head" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4" markerHeight="4" orient="auto"><path d="M0 0L10 5L0 10z" fill="#e4572e"/></marker></defs>',
	);
	// One path per colour level, one subpath per horizontal run of equal (quantised) colour: ~20 bytes a run.
	const runs: string[][] = Array.from({ length: levels }, () => []);
	for (let b = 0; b < m; b++) {
		const j = src(b);
		const y = r2(top + P - (b + 1) * cell);
		let a = 0;
		while (a < m) {
			const lv = level(g.loss[j * g.n + src(a)]);
			let e = a + 1;
			while (e < m && level(g.loss[j * g.n + src(e)]) === lv) e++;
			// Overlap by a hair so anti-aliased viewers show no seams between cells.
			const w = r2((e - a) * cell + 0.3);
			runs[lv].push(`M${r2(left + a * cell)} ${y}h${w}v${r2(cell + 0.3)}h-${w}z`);
			a = e;
		}
	}
	out.push('<g shape-rendering="crispEdges">');
	runs.forEach((d, lv) => {
		if (d.length) out.push(`<path fill="${lossColour(lv / (levels - 1))}" d="${d.join('')}"/>`);
	});
	out.push('</g>');
	// Descent-direction field.
	const na = opts.arrows ?? 13;
	if (na > 0) {
		let gmax = 0;
		const pts: [number, number, number, number][] = [];
		for (let b = 0; b < na; b++) {
			for (let a = 0; a < na; a++) {
				const i = Math.round(((a + 0.5) * (g.n - 1)) / na);
				const j = Math.round(((b + 0.5) * (g.n - 1)) / na);
				const k = j * g.n + i;
				const gw = -g.drw[k];
				const gl = -g.drl[k];
				gmax = Math.max(gmax, Math.hypot(gw, gl));
				pts.push([gridCoordinate(g, i), gridCoordinate(g, j), gw, gl]);
			}
		}
		const len = (P / na) * 0.8;
		out.push('<g stroke="white" stroke-opacity="0.75" stroke-width="1.2" fill="none" clip-path="url(#plot)">');
		for (const [rw, rl, gw, gl] of pts) {
			const norm = Math.hypot(gw, gl);
			if (!(norm > 1e-12 * gmax) || gmax === 0) continue;
			const L = len * Math.sqrt(norm / gmax);
			const ux = gw / norm;
			const uy = -gl / norm;
			const xa = sx(rw);
			const ya = sy(rl);
			const xb = xa + ux * L;
			const yb = ya + uy * L;
			const hx = -ux * 4;
			const hy = -uy * 4;
			out.push(
				`<path d="M${r2(xa)} ${r2(ya)}L${r2(xb)} ${r2(yb)}M${r2(xb + hx - hy * 0.6)} ${r2(yb + hy + hx * 0.6)}L${r2(xb)} ${r2(yb)}L${r2(xb + hx + hy * 0.6)} ${r2(yb + hy - hx * 0.6)}"/>`,
			);
		}
		out.push('</g>');
	}
	// The optimum.
	const region = optimalRegion(g.optimum, g.lo, g.hi, { band: opts.band });
	const poly = (pts: Point[]) => pts.map(([a, b]) => `${r2(sx(a))},${r2(sy(b))}`).join(' ');
	out.push('<g clip-path="url(#plot)">');
	switch (region.kind) {
		case 'point':
			out.push(
				`<circle cx="${r2(sx(region.rw))}" cy="${r2(sy(region.rl))}" r="6" fill="#e4572e" stroke="white" stroke-width="2"><title>optimum r_w = ${region.rw.toPrecision(6)}, r_l = ${region.rl.toPrecision(6)}</title></circle>`,
			);
			break;
		case 'line':
			if (region.band) out.push(`<polygon points="${poly(region.band)}" fill="#4ea5ff" fill-opacity="0.35"/>`);
			if (region.segment) {
				const [[a0, b0], [a1, b1]] = region.segment;
				out.push(
					`<line x1="${r2(sx(a0))}" y1="${r2(sy(b0))}" x2="${r2(sx(a1))}" y2="${r2(sy(b1))}" stroke="#e4572e" stroke-width="2.5"><title>optimal margin r_w − r_l = ${region.margin.toPrecision(6)}</title></line>`,
				);
			}
			break;
		case 'polygon':
			if (region.polygon.length >= 3) {
				out.push(
					`<polygon points="${poly(region.polygon)}" fill="#4ea5ff" fill-opacity="0.3" stroke="#e4572e" stroke-width="2"><title>optimal set</title></polygon>`,
				);
			}
			break;
		case 'none': {
			// A bold arrow from the centre in the direction the loss keeps decreasing, and a caption.
			const cx = left + P / 2;
			const cy = top + P / 2;
			const [tx, ty] = region.towards;
			const L = P * 0.3;
			const ex = cx + tx * L;
			const ey = cy - ty * L;
			out.push(
				`<path d="M${r2(cx)} ${r2(cy)}L${r2(ex)} ${r2(ey)}" stroke="#e4572e" stroke-width="4" marker-end="url(#head)"/>`,
				`<rect x="${left + 40}" y="${top + 8}" width="${P - 80}" height="22" rx="4" fill="black" fill-opacity="0.55"/>`,
				`<text x="${cx}" y="${top + 23}" text-anchor="middle" fill="white" font-weight="bold">no finite optimum: ${esc(region.direction)}</text>`,
			);
			break;
		}
	}
	out.push('</g>');
	// Frame, ticks and labels.
	out.push(`<rect x="${left}" y="${top}" width="${P}" height="${P}" fill="none" stroke="#333"/>`);
	const axisTicks = ticks(g.lo, g.hi, 6);
	out.push('<g fill="#222">');
	for (const t of axisTicks) {
		out.push(`<line x1="${r2(sx(t))}" y1="${top + P}" x2="${r2(sx(t))}" y2="${top + P + 5}" stroke="#333"/>`);
		out.push(`<text x="${r2(sx(t))}" y="${top + P + 18}" text-anchor="middle">${t}</text>`);
		out.push(`<line x1="${left - 5}" y1="${r2(sy(t))}" x2="${left}" y2="${r2(sy(t))}" stroke="#333"/>`);
		out.push(`<text x="${left - 8}" y="${r2(sy(t) + 4)}" text-anchor="end">${t}</text>`);
	}
	out.push(`<text x="${left + P / 2}" y="${top + P + 40}" text-anchor="middle">r_w (preferred reward)</text>`);
	out.push(
		`<text transform="translate(${left - 45} ${top + P / 2}) rotate(-90)" text-anchor="middle">r_l (dispreferred reward)</text>`,
	);
	out.push('</g>');
	// Colour bar.
	const cbx = left + P + 24;
	for (let k = 0; k < 32; k++) {
		out.push(
			`<rect x="${cbx}" y="${r2(top + P - ((k + 1) * P) / 32)}" width="14" height="${r2(P / 32 + 0.3)}" fill="${lossColour(k / 31)}"/>`,
		);
	}
	out.push(`<rect x="${cbx}" y="${top}" width="14" height="${P}" fill="none" stroke="#333"/>`);
	out.push(`<text x="${cbx + 18}" y="${top + 10}">${esc(g.max.toPrecision(4))}</text>`);
	out.push(`<text x="${cbx + 18}" y="${top + P}">${esc(g.min.toPrecision(4))}</text>`);
	out.push(
		`<text transform="translate(${cbx + 60} ${top + P / 2}) rotate(90)" text-anchor="middle" fill="#444">loss (colour ∝ log(1 + L − min))</text>`,
	);
	out.push('</svg>');
	return `${out.join('\n')}\n`;
}

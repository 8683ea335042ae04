import { writeFileSync } from 'node:fs';
import { computeLandscape, optimalRegion } from '../../lib/dph/landscape/index.ts';
import { formatCoordinate, formatFloat32, landscapeCsv } from '../../lib/viz/landscape-csv.ts';
import { landscapeSvg } from '../../lib/viz/landscape-svg.ts';
import { type CliCommand, num, str, UsageError } from '../args.ts';
import { LOSS_OPTIONS_HELP, lossFromArgs, lossOptions, toJson } from './loss.ts';

const FORMATS = ['csv', 'json', 'svg'] as const;
type Format = (typeof FORMATS)[number];

/** `lo:hi` with finite lo < hi, e.g. `-6:6`. */
export function parseRange(s: string): { lo: number; hi: number } {
	const m = /^\s*([^:]+):([^:]+)\s*$/.exec(s);
	const lo = m ? Number(m[1]) : Number.NaN;
	const hi = m ? Number(m[2]) : Number.NaN;
	if (!m || m[1].trim() === '' || m[2].trim() === '' || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
		throw new UsageError(`--range must be LO:HI with finite numbers LO < HI, e.g. -6:6; got "${s}"`);
	}
	return { lo, hi };
}

export const landscapeCommand: CliCommand = {
	name: 'landscape',
	summary: 'loss + gradient of a preference loss on an n×n (r_w, r_l) grid, as CSV, JSON or an SVG heatmap',
	usage:
		'dph landscape --loss NAME [--eps E] [--beta B] [--gamma G] [--delta D] [--noise ETA] [--range LO:HI] [--grid N] [--format csv|json|svg] [--out FILE]',
	help: `Computes the loss and its gradient on an N×N grid over [LO, HI]² of (r_w, r_l).
Cell order is row-major with r_w varying fastest: row k = j·N + i has r_w = LO + i·step, r_l = LO + j·step.

Options:
${LOSS_OPTIONS_HELP}
  --range LO:HI    grid extent for both rewards (default -6:6; write --range=-6:6)
  --grid N         cells per side, 2 ≤ N ≤ 4096 (default 256)
  --format F       csv (header r_w,r_l,loss,d_rw,d_rl), json (arrays + optimum), or svg (heatmap, at most
                   128×128 cells drawn, light where the loss is low, optimum and descent arrows on
                   top) (default csv)
  --band W         svg: shade the band |r_w − r_l − m*| ≤ W around an optimal margin line
  --out FILE       write to FILE instead of stdout`,
	options: {
		...lossOptions,
		range: { type: 'string' },
		grid: { type: 'string' },
		format: { type: 'string' },
		band: { type: 'string' },
		out: { type: 'string' },
	},
	async run(args, io) {
		if (args.positionals.length) throw new UsageError(`landscape: unexpected argument "${args.positionals[0]}"`);
		const { loss, params, noise } = lossFromArgs(args);
		const { lo, hi } = parseRange(str(args, 'range') ?? '-6:6');
		const n = num(args, 'grid', 256) ?? 256;
		if (!Number.isInteger(n) || n < 2 || n > 4096) {
			throw new UsageError(`--grid must be a whole number with 2 ≤ N ≤ 4096, got ${n}`);
		}
		const format = (str(args, 'format') ?? 'csv') as Format;
		if (!FORMATS.includes(format))
			throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
		const band = num(args, 'band', 0) ?? 0;
		if (!(band >= 0)) throw new UsageError(`--band must be ≥ 0, got ${band}`);
		const g = computeLandscape(loss, params, { lo, hi, n });
		const ps = Object.entries(params)
			.map(([k, v]) => `${k} = ${v}`)
			.join(', ');
		let text: string;
		if (format === 'csv') text = landscapeCsv(g);
		else if (format === 'svg') {
			text = landscapeSvg(g, {
				title: loss.title,
				subtitle: `${ps ? `${ps}; ` : ''}${n}×${n} grid on [${lo}, ${hi}]²; arrows: −∇L`,
				band,
			});
		} else {
			const coords: number[] = [];
			for (let i = 0; i < n; i++) coords.push(Number(formatCoordinate(lo + i * g.step)));
			const f32 = (a: Float32Array) => Array.from(a, (v) => Number(formatFloat32(v)));
			text = `${toJson({
				name: loss.name,
				params,
				...(noise !== undefined ? { noise } : {}),
				n,
				lo,
				hi,
				step: g.step,
				layout: 'row-major, r_w fastest: index j*n + i has r_w = coords[i], r_l = coords[j]',
				min: Number(formatFloat32(g.min)),
				max: Number(formatFloat32(g.max)),
				optimum: g.optimum,
				region: optimalRegion(g.optimum, lo, hi, { band }),
				coords,
				loss: f32(g.loss),
				d_rw: f32(g.drw),
				d_rl: f32(g.drl),
			})}\n`;
		}
		const out = str(args, 'out');
		if (out) {
			writeFileSync(out, text);
			io.stderr(`wrote ${format} for ${loss.name} (${n}×${n}) to ${out}\n`);
		} else io.stdout(text);
		return 0;
	},
};

/** The words and numbers of the landscape figure: number format, the optimum readout, and the panel axes. */
import { ticks } from 'd3';
import type { Optimum } from '../dph/losses/index';
import { MARGIN, type PlotScale } from './landscape-layers';

/** Colours the canvas takes from the page's CSS variables (light and dark themes). */
export interface FigureColours {
	fg: string;
	muted: string;
}

export function readColours(el: Element): FigureColours {
	const css = getComputedStyle(el);
	return {
		fg: css.getPropertyValue('--fg').trim() || '#222',
		muted: css.getPropertyValue('--fg-muted').trim() || '#666',
	};
}

export function fmt(x: number, digits = 3): string {
	if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : '—';
	const s = Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(digits);
	return s.replace('-', '−');
}

/** The readout's line about the optimum (HTML). */
export function optimumText(opt: Optimum): string {
	switch (opt.kind) {
		case 'point':
			return `optimum r<sub>w</sub>* = ${fmt(opt.rw)}, r<sub>l</sub>* = ${fmt(opt.rl)}`;
		case 'margin':
			return `optimal margin r<sub>w</sub> − r<sub>l</sub> = ${fmt(opt.margin)}`;
		case 'set':
			return opt.description;
		case 'diverges':
			return `no finite optimum (${opt.direction})`;
	}
}

/** Ticks, tick labels and axis titles, all outside the plot square (so redrawing the plot never touches them). */
export function drawAxes(ctx: CanvasRenderingContext2D, s: PlotScale, { fg, muted }: FigureColours): void {
	const plot = s.size;
	ctx.strokeStyle = muted;
	ctx.fillStyle = muted;
	ctx.lineWidth = 1;
	ctx.font = '11px system-ui, sans-serif';
	const ts = ticks(s.lo, s.hi, 6);
	ctx.textAlign = 'center';
	ctx.textBaseline = 'top';
	ctx.beginPath();
	for (const t of ts) {
		const x = s.px(t);
		ctx.moveTo(x, MARGIN.top + plot);
		ctx.lineTo(x, MARGIN.top + plot + 4);
		const y = s.py(t);
		ctx.moveTo(MARGIN.left - 4, y);
		ctx.lineTo(MARGIN.left, y);
	}
	ctx.stroke();
	for (const t of ts) ctx.fillText(fmt(t, 0), s.px(t), MARGIN.top + plot + 6);
	ctx.textAlign = 'right';
	ctx.textBaseline = 'middle';
	for (const t of ts) ctx.fillText(fmt(t, 0), MARGIN.left - 6, s.py(t));
	ctx.fillStyle = fg;
	ctx.font = 'italic 12px Georgia, serif';
	ctx.textAlign = 'center';
	ctx.textBaseline = 'bottom';
	ctx.fillText('r_w  (chosen reward) →', MARGIN.left + plot / 2, MARGIN.top + plot + MARGIN.bottom);
	ctx.save();
	ctx.translate(11, MARGIN.top + plot / 2);
	ctx.rotate(-Math.PI / 2);
	ctx.textBaseline = 'middle';
	ctx.fillText('r_l  (rejected reward) →', 0, 0);
	ctx.restore();
}

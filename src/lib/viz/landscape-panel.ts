/**
 * One panel of the landscape figure: a canvas with the heatmap, contours, −∇L field, the optimum and the reward
 * pair, plus a title and a numeric readout.
 *
 * Redraw cost (docs/BENCHMARKS.md): everything that depends on the loss and its parameters — heatmap pixels,
 * contour and quiver paths, the optimal region — is built in recompute(), and skipped when neither changed. The
 * axes sit outside the plot square and are drawn only when the size or the colours change, so draw() writes the
 * heatmap into the plot square with putImageData (it replaces the pixels there, no clear needed) and replays the
 * cached paths on top.
 */
import { computeLandscape, type Landscape, type OptimalRegion, optimalRegion } from '../dph/landscape/index';
import { getLoss, type LossParams, type PreferenceLoss } from '../dph/losses/index';
import { arrow, drawArrows, polygon, star } from './canvas-shapes';
import {
	contourPath,
	MARGIN,
	marginContourPath,
	normalise,
	PlotScale,
	paintHeatmap,
	quiverPaths,
	type Resample,
	resample,
} from './landscape-layers';
import { drawAxes, type FigureColours, fmt, optimumText } from './landscape-text';

export interface PanelSpec {
	loss: string;
	/** Overrides of the shared parameters for this panel only. */
	params?: Record<string, number>;
}

/** What a panel needs from its figure: the box, the grid size and what to draw. */
export interface PanelConfig {
	lo: number;
	hi: number;
	n: number;
	size: number;
	quiver: number;
	band: number;
	contourCount: number;
	onPointerDown(e: PointerEvent, panel: Panel): void;
}

export class Panel {
	readonly root: HTMLDivElement;
	readonly canvas: HTMLCanvasElement;
	readonly scale: PlotScale;
	private ctx: CanvasRenderingContext2D;
	private readout: HTMLDivElement;
	private title: HTMLDivElement;
	private grid: Landscape | null = null;
	private norm = new Float32Array(0);
	private coarse = new Float64Array(0);
	private image: ImageData | null = null;
	private sampling: Resample | null = null;
	private contours: Path2D | null = null;
	private quiver: { shafts: Path2D; heads: Path2D } | null = null;
	private region: OptimalRegion | null = null;
	private loss!: PreferenceLoss<LossParams>;
	private params!: LossParams;
	/** Loss name and parameters of the cached layers, to skip a recompute that would change nothing. */
	private key = '';
	/** Device pixel ratio, size and colours the axes were last drawn with. */
	private axesKey = '';
	/** Whether the heatmap pixels must be rebuilt before the next draw (new parameters or a new pixel size). */
	private heatDirty = true;

	constructor(
		private cfg: PanelConfig,
		public spec: PanelSpec,
	) {
		this.scale = new PlotScale(cfg.lo, cfg.hi, cfg.size);
		this.root = document.createElement('div');
		this.root.className = 'lf-panel';
		this.title = document.createElement('div');
		this.title.className = 'lf-title';
		this.canvas = document.createElement('canvas');
		this.canvas.className = 'lf-canvas';
		this.readout = document.createElement('div');
		this.readout.className = 'lf-readout';
		this.root.append(this.title, this.canvas, this.readout);
		const ctx = this.canvas.getContext('2d');
		if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
		this.ctx = ctx;
		this.canvas.addEventListener('pointerdown', (e) => cfg.onPointerDown(e, this));
	}

	/** Recompute the grid and the cached layers for the current loss and `shared` parameters; false if unchanged. */
	recompute(shared: Record<string, number>): boolean {
		const loss = getLoss(this.spec.loss);
		const params = loss.validate({ ...shared, ...this.spec.params });
		const key = `${loss.name} ${JSON.stringify(params)}`;
		if (key === this.key) return false;
		this.key = key;
		this.loss = loss;
		this.params = params;
		const { n, contourCount, quiver, band } = this.cfg;
		const s = this.scale;
		this.grid = computeLandscape(loss, params, { lo: s.lo, hi: s.hi, n }, this.grid ?? undefined);
		if (this.norm.length !== n * n) this.norm = new Float32Array(n * n);
		normalise(this.grid, this.norm);
		this.heatDirty = true;
		if (loss.structure.kind === 'margin') this.contours = marginContourPath(this.norm, n, contourCount, s);
		else {
			const m = Math.ceil(n / 2);
			if (this.coarse.length !== m * m) this.coarse = new Float64Array(m * m);
			this.contours = contourPath(this.norm, n, contourCount, s, this.coarse);
		}
		this.quiver = quiver ? quiverPaths(loss, params, quiver, s) : null;
		this.region = optimalRegion(loss.optimum(params), s.lo, s.hi, { band });
		this.title.innerHTML = `<b>${loss.title}</b> <span>${this.paramText()}</span>`;
		return true;
	}

	private paramText(): string {
		return this.loss.params.map((s) => `${s.name === 'eps' ? 'ε' : s.name} = ${this.params[s.name]}`).join(', ');
	}

	/** Draw the cached layers, the optimum and the reward pair; `colours` are read once per figure redraw. */
	draw(point: [number, number], colours: FigureColours) {
		if (!this.grid) return;
		const dpr = globalThis.devicePixelRatio || 1;
		const { size } = this.cfg;
		const W = MARGIN.left + size + MARGIN.right;
		const H = MARGIN.top + size + MARGIN.bottom;
		const ctx = this.ctx;
		const axesKey = `${dpr} ${colours.fg} ${colours.muted}`;
		if (axesKey !== this.axesKey) {
			this.axesKey = axesKey;
			// Setting the size clears the canvas: draw the axes again, and the heatmap at the new pixel size.
			this.canvas.width = Math.round(W * dpr);
			this.canvas.height = Math.round(H * dpr);
			this.canvas.style.width = `${W}px`;
			this.canvas.style.height = `${H}px`;
			ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
			drawAxes(ctx, this.scale, colours);
			this.heatDirty = true;
		}
		const p = Math.round(size * dpr);
		if (!this.image || this.image.width !== p) {
			this.image = new ImageData(p, p);
			this.heatDirty = true;
		}
		if (!this.sampling || this.sampling.p !== p || this.sampling.n !== this.cfg.n)
			this.sampling = resample(this.cfg.n, p);
		if (this.heatDirty) {
			paintHeatmap(this.norm, this.sampling, this.image.data);
			this.heatDirty = false;
		}
		// putImageData ignores the transform and replaces the plot square's pixels, erasing the last frame there.
		ctx.putImageData(this.image, Math.round(MARGIN.left * dpr), Math.round(MARGIN.top * dpr));
		ctx.save();
		ctx.beginPath();
		ctx.rect(MARGIN.left, MARGIN.top, size, size);
		ctx.clip();
		if (this.contours) {
			ctx.strokeStyle = 'rgba(255,255,255,0.35)';
			ctx.lineWidth = 0.8;
			ctx.stroke(this.contours);
		}
		this.drawOptimum(ctx);
		if (this.quiver) {
			ctx.globalAlpha = 0.75;
			drawArrows(ctx, this.quiver.shafts, this.quiver.heads, 'rgba(255,255,255,0.9)', 1.1);
			ctx.globalAlpha = 1;
		}
		this.drawPoint(ctx, point);
		ctx.restore();
		this.updateReadout(point);
	}

	private drawOptimum(ctx: CanvasRenderingContext2D) {
		const region = this.region;
		if (!region) return;
		const s = this.scale;
		const { size } = this.cfg;
		ctx.save();
		const blue = 'rgba(51, 154, 240, 0.45)';
		switch (region.kind) {
			case 'point': {
				// Theorem 1: a single point. Dashed cross-hairs through it and a star.
				const x = s.px(region.rw);
				const y = s.py(region.rl);
				ctx.setLineDash([4, 3]);
				ctx.strokeStyle = 'rgba(255,255,255,0.8)';
				ctx.beginPath();
				ctx.moveTo(x, MARGIN.top);
				ctx.lineTo(x, MARGIN.top + size);
				ctx.moveTo(MARGIN.left, y);
				ctx.lineTo(MARGIN.left + size, y);
				ctx.stroke();
				ctx.setLineDash([]);
				star(ctx, x, y, 8, '#fff', '#1c7ed6');
				break;
			}
			case 'line': {
				if (region.band)
					polygon(
						ctx,
						region.band.map(([a, b]) => [s.px(a), s.py(b)]),
						blue,
					);
				if (region.segment) {
					ctx.strokeStyle = '#fff';
					ctx.lineWidth = 2;
					ctx.setLineDash([6, 4]);
					ctx.beginPath();
					ctx.moveTo(s.px(region.segment[0][0]), s.py(region.segment[0][1]));
					ctx.lineTo(s.px(region.segment[1][0]), s.py(region.segment[1][1]));
					ctx.stroke();
				}
				break;
			}
			case 'polygon':
				polygon(
					ctx,
					region.polygon.map(([a, b]) => [s.px(a), s.py(b)]),
					blue,
				);
				break;
			case 'none': {
				// No finite optimum: an arrow toward where the loss keeps falling.
				const cx = MARGIN.left + size / 2;
				const cy = MARGIN.top + size / 2;
				const L = size * 0.38;
				arrow(ctx, cx, cy, cx + region.towards[0] * L, cy - region.towards[1] * L, '#fff', 3, 12);
				ctx.fillStyle = '#fff';
				ctx.font = '600 12px system-ui, sans-serif';
				ctx.textAlign = 'center';
				ctx.fillText('no finite optimum', cx, MARGIN.top + 18);
				ctx.font = '11px system-ui, sans-serif';
				ctx.fillText(region.direction, cx, MARGIN.top + 34);
				break;
			}
		}
		ctx.restore();
	}

	private drawPoint(ctx: CanvasRenderingContext2D, [rw, rl]: [number, number]) {
		const [gw, gl] = this.loss.grad(rw, rl, this.params);
		const s = this.scale;
		const x = s.px(rw);
		const y = s.py(rl);
		const unit = this.cfg.size / (s.hi - s.lo);
		// −∇L drawn to scale (1 reward unit of gradient = 1 reward unit of length, ×2), so steps read off the axes.
		arrow(ctx, x, y, x - gw * unit * 2, y + gl * unit * 2, '#ff6b6b', 2.5, 9);
		ctx.beginPath();
		ctx.arc(x, y, 6.5, 0, 2 * Math.PI);
		ctx.fillStyle = '#fff';
		ctx.fill();
		ctx.lineWidth = 2.5;
		ctx.strokeStyle = '#e8590c';
		ctx.stroke();
	}

	private updateReadout([rw, rl]: [number, number]) {
		const L = this.loss.value(rw, rl, this.params);
		const [gw, gl] = this.loss.grad(rw, rl, this.params);
		this.readout.innerHTML = `<span>L = <b>${fmt(L)}</b></span><span>∇L = (${fmt(gw)}, ${fmt(gl)})</span><span class="lf-opt">${optimumText(this.loss.optimum(this.params))}</span>`;
	}
}

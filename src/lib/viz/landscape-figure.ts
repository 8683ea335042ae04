/**
 * Interactive loss-landscape panels on canvas: heatmap + contours of L(r_w, r_l), the −∇L quiver field, the
 * optimal point / margin band, and a draggable reward pair showing its gradient. Several panels share one pair, so
 * SepDPH, ConDPH and cDPO can be compared at the same (r_w, r_l).
 *
 * Speed: a parameter change recomputes the grid (typed arrays, ~0.1 ms at 192²), the colour image and contours,
 * then composites; dragging only re-composites cached layers. Both stay well inside a 16 ms frame.
 */
import * as d3 from 'd3';
import { computeLandscape, type Landscape, optimalRegion } from '../dph/landscape';
import { getLoss, type LossParams, type PreferenceLoss } from '../dph/losses';

export interface PanelSpec {
	loss: string;
	/** Overrides of the shared parameters for this panel only. */
	params?: Record<string, number>;
}

export interface LandscapeFigureOptions {
	panels: PanelSpec[];
	/** Shared parameters (e.g. { eps: 0.1 }); each loss takes the ones it knows. */
	params?: Record<string, number>;
	lo?: number;
	hi?: number;
	/** Grid resolution per axis. */
	n?: number;
	/** CSS pixel size of each panel's plot area. */
	size?: number;
	/** The draggable reward pair. */
	point?: [number, number];
	/** Arrows per axis in the quiver field (0 to hide). */
	quiver?: number;
	/** Half-width of the shaded optimal-margin band, in reward units. */
	band?: number;
	contours?: number;
}

export interface FigureValue {
	rw: number;
	rl: number;
}

const MARGIN = { left: 40, right: 10, top: 10, bottom: 34 };
const LUT_SIZE = 256;

/** Light where the loss is low: the eye goes to the optimum. */
function makeLut(): Uint8ClampedArray {
	const lut = new Uint8ClampedArray(LUT_SIZE * 3);
	for (let k = 0; k < LUT_SIZE; k++) {
		const c = d3.rgb(d3.interpolateViridis(1 - k / (LUT_SIZE - 1)));
		lut[3 * k] = c.r;
		lut[3 * k + 1] = c.g;
		lut[3 * k + 2] = c.b;
	}
	return lut;
}
const LUT = makeLut();

function fmt(x: number, digits = 3): string {
	if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : '—';
	const s = Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(digits);
	return s.replace('-', '−');
}

class Panel {
	readonly root: HTMLDivElement;
	readonly canvas: HTMLCanvasElement;
	private ctx: CanvasRenderingContext2D;
	private readout: HTMLDivElement;
	private title: HTMLDivElement;
	private heat: HTMLCanvasElement;
	private image: ImageData;
	private norm = new Float32Array(0);
	private coarse = new Float64Array(0);
	private grid: Landscape | null = null;
	private contourPath: Path2D | null = null;
	private loss!: PreferenceLoss<LossParams>;
	private params!: LossParams;
	lastMs = 0;

	constructor(
		private fig: LandscapeFigure,
		public spec: PanelSpec,
	) {
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
		this.heat = document.createElement('canvas');
		this.heat.width = this.heat.height = fig.n;
		this.image = new ImageData(fig.n, fig.n);
		this.canvas.addEventListener('pointerdown', (e) => this.fig.startDrag(e, this));
	}

	get plot() {
		return this.fig.size;
	}

	/** Pixel position of reward coordinates. */
	px(rw: number): number {
		return MARGIN.left + ((rw - this.fig.lo) / (this.fig.hi - this.fig.lo)) * this.plot;
	}
	py(rl: number): number {
		return MARGIN.top + this.plot - ((rl - this.fig.lo) / (this.fig.hi - this.fig.lo)) * this.plot;
	}
	/** Reward coordinates of a pixel position (clamped to the box). */
	toReward(x: number, y: number): [number, number] {
		const { lo, hi } = this.fig;
		const c = (v: number) => Math.min(hi, Math.max(lo, v));
		return [
			c(lo + ((x - MARGIN.left) / this.plot) * (hi - lo)),
			c(lo + ((MARGIN.top + this.plot - y) / this.plot) * (hi - lo)),
		];
	}

	/** Recompute the grid and the cached layers after a change of loss or parameters. */
	recompute(shared: Record<string, number>) {
		const t0 = performance.now();
		this.loss = getLoss(this.spec.loss);
		this.params = this.loss.validate({ ...shared, ...this.spec.params });
		const { lo, hi, n } = this.fig;
		this.grid = computeLandscape(this.loss, this.params, { lo, hi, n }, this.grid ?? undefined);
		const g = this.grid;
		// Log scale above the minimum: losses span orders of magnitude across the box.
		if (this.norm.length !== n * n) this.norm = new Float32Array(n * n);
		const span = Math.log1p(Math.max(1e-12, g.max - g.min));
		const data = this.image.data;
		for (let j = 0; j < n; j++) {
			const row = (n - 1 - j) * n; // image rows run top-down, r_l runs bottom-up
			for (let i = 0; i < n; i++) {
				const t = Math.log1p(g.loss[j * n + i] - g.min) / span;
				this.norm[j * n + i] = t;
				const k = 3 * Math.min(LUT_SIZE - 1, Math.max(0, Math.round(t * (LUT_SIZE - 1))));
				const o = 4 * (row + i);
				data[o] = LUT[k];
				data[o + 1] = LUT[k + 1];
				data[o + 2] = LUT[k + 2];
				data[o + 3] = 255;
			}
		}
		this.heat.getContext('2d')?.putImageData(this.image, 0, 0);
		this.contourPath = this.contours();
		this.title.innerHTML = `<b>${this.loss.title}</b> <span>${this.paramText()}</span>`;
		this.lastMs = performance.now() - t0;
	}

	/**
	 * Contour lines, traced on a half-resolution copy of the normalised grid: marching squares dominates the
	 * redraw cost, and at display size the coarser lines are indistinguishable.
	 */
	private contours(): Path2D {
		if (this.loss.structure.kind === 'margin') return this.marginContours();
		const n = this.fig.n;
		const m = Math.ceil(n / 2);
		if (this.coarse.length !== m * m) this.coarse = new Float64Array(m * m);
		for (let j = 0; j < m; j++) {
			const jj = Math.min(n - 1, 2 * j);
			for (let i = 0; i < m; i++) this.coarse[j * m + i] = this.norm[jj * n + Math.min(n - 1, 2 * i)];
		}
		const levels = d3.range(1, this.fig.contourCount + 1).map((k) => k / (this.fig.contourCount + 1));
		const scale = this.plot / (m - 1);
		const path = new Path2D();
		for (const c of d3.contours().size([m, m]).thresholds(levels)(this.coarse as unknown as number[])) {
			for (const poly of c.coordinates) {
				for (const ring of poly) {
					ring.forEach(([x, y], k) => {
						// Marching squares puts vertices on cell edges in index units; map them to pixels.
						const px = MARGIN.left + Math.min(m - 1, Math.max(0, x - 0.5)) * scale;
						const py = MARGIN.top + this.plot - Math.min(m - 1, Math.max(0, y - 0.5)) * scale;
						if (k) path.lineTo(px, py);
						else path.moveTo(px, py);
					});
				}
			}
		}
		return path;
	}

	/**
	 * A margin loss is constant along r_w − r_l = Δ, so its contours are straight lines: find the margins where
	 * the normalised loss crosses each level along the grid's 2n − 1 distinct margins, and draw those lines.
	 */
	private marginContours(): Path2D {
		const { n, lo, hi } = this.fig;
		const path = new Path2D();
		const levels = d3.range(1, this.fig.contourCount + 1).map((k) => k / (this.fig.contourCount + 1));
		// norm along the bottom row (j = 0) and left column (i = 0) covers margins from lo−hi to hi−lo.
		const value = (d: number) => (d >= 0 ? this.norm[d] : this.norm[-d * n]);
		const step = (hi - lo) / (n - 1);
		for (let d = -(n - 1); d < n - 1; d++) {
			const a = value(d);
			const b = value(d + 1);
			for (const t of levels) {
				if ((a - t) * (b - t) >= 0 || a === b) continue;
				const margin = (d + (t - a) / (b - a)) * step;
				const x0 = Math.max(lo, lo + margin);
				const x1 = Math.min(hi, hi + margin);
				if (x0 >= x1) continue;
				path.moveTo(this.px(x0), this.py(x0 - margin));
				path.lineTo(this.px(x1), this.py(x1 - margin));
			}
		}
		return path;
	}

	private paramText(): string {
		return this.loss.params.map((s) => `${s.name === 'eps' ? 'ε' : s.name} = ${this.params[s.name]}`).join(', ');
	}

	/** Composite the cached layers, the optimum and the reward pair. */
	draw(point: [number, number]) {
		const g = this.grid;
		if (!g) return;
		const dpr = globalThis.devicePixelRatio || 1;
		const W = MARGIN.left + this.plot + MARGIN.right;
		const H = MARGIN.top + this.plot + MARGIN.bottom;
		if (this.canvas.width !== Math.round(W * dpr)) {
			this.canvas.width = Math.round(W * dpr);
			this.canvas.height = Math.round(H * dpr);
			this.canvas.style.width = `${W}px`;
			this.canvas.style.height = `${H}px`;
		}
		const ctx = this.ctx;
		const css = getComputedStyle(this.root);
		const fg = css.getPropertyValue('--fg').trim() || '#222';
		const muted = css.getPropertyValue('--fg-muted').trim() || '#666';
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, H);
		ctx.imageSmoothingEnabled = true;
		ctx.drawImage(this.heat, MARGIN.left, MARGIN.top, this.plot, this.plot);
		ctx.save();
		ctx.beginPath();
		ctx.rect(MARGIN.left, MARGIN.top, this.plot, this.plot);
		ctx.clip();
		if (this.contourPath) {
			ctx.strokeStyle = 'rgba(255,255,255,0.35)';
			ctx.lineWidth = 0.8;
			ctx.stroke(this.contourPath);
		}
		this.drawOptimum(ctx);
		this.drawQuiver(ctx);
		this.drawPoint(ctx, point);
		ctx.restore();
		this.drawAxes(ctx, fg, muted);
		this.updateReadout(point);
	}

	private drawOptimum(ctx: CanvasRenderingContext2D) {
		const { lo, hi } = this.fig;
		const region = optimalRegion(this.loss.optimum(this.params), lo, hi, { band: this.fig.band });
		ctx.save();
		const blue = 'rgba(51, 154, 240, 0.45)';
		switch (region.kind) {
			case 'point': {
				// Theorem 1: a single point. Shade the square it spans, like the paper's optimal band.
				const x = this.px(region.rw);
				const y = this.py(region.rl);
				ctx.setLineDash([4, 3]);
				ctx.strokeStyle = 'rgba(255,255,255,0.8)';
				ctx.beginPath();
				ctx.moveTo(x, MARGIN.top);
				ctx.lineTo(x, MARGIN.top + this.plot);
				ctx.moveTo(MARGIN.left, y);
				ctx.lineTo(MARGIN.left + this.plot, y);
				ctx.stroke();
				ctx.setLineDash([]);
				star(ctx, x, y, 8, '#fff', '#1c7ed6');
				break;
			}
			case 'line': {
				if (region.band)
					polygon(
						ctx,
						region.band.map(([a, b]) => [this.px(a), this.py(b)]),
						blue,
					);
				if (region.segment) {
					ctx.strokeStyle = '#fff';
					ctx.lineWidth = 2;
					ctx.setLineDash([6, 4]);
					ctx.beginPath();
					ctx.moveTo(this.px(region.segment[0][0]), this.py(region.segment[0][1]));
					ctx.lineTo(this.px(region.segment[1][0]), this.py(region.segment[1][1]));
					ctx.stroke();
				}
				break;
			}
			case 'polygon':
				polygon(
					ctx,
					region.polygon.map(([a, b]) => [this.px(a), this.py(b)]),
					blue,
				);
				break;
			case 'none': {
				// No finite optimum: an arrow toward where the loss keeps falling.
				const cx = MARGIN.left + this.plot / 2;
				const cy = MARGIN.top + this.plot / 2;
				const L = this.plot * 0.38;
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

	private drawQuiver(ctx: CanvasRenderingContext2D) {
		const k = this.fig.quiver;
		if (!k) return;
		const { lo, hi } = this.fig;
		const pts: [number, number, number, number][] = [];
		let maxNorm = 0;
		for (let a = 0; a < k; a++) {
			for (let b = 0; b < k; b++) {
				const rw = lo + ((a + 0.5) / k) * (hi - lo);
				const rl = lo + ((b + 0.5) / k) * (hi - lo);
				const [gw, gl] = this.loss.grad(rw, rl, this.params);
				pts.push([rw, rl, -gw, -gl]);
				maxNorm = Math.max(maxNorm, Math.hypot(gw, gl));
			}
		}
		const cell = this.plot / k;
		ctx.globalAlpha = 0.75;
		for (const [rw, rl, dw, dl] of pts) {
			const norm = Math.hypot(dw, dl);
			if (norm < 1e-9 || maxNorm === 0) continue;
			// Length grows with |∇L| (sqrt keeps small gradients visible), direction is descent.
			const len = 0.45 * cell * Math.sqrt(norm / maxNorm);
			const x = this.px(rw);
			const y = this.py(rl);
			arrow(ctx, x, y, x + (dw / norm) * len, y - (dl / norm) * len, 'rgba(255,255,255,0.9)', 1.1, 4);
		}
		ctx.globalAlpha = 1;
	}

	private drawPoint(ctx: CanvasRenderingContext2D, [rw, rl]: [number, number]) {
		const [gw, gl] = this.loss.grad(rw, rl, this.params);
		const x = this.px(rw);
		const y = this.py(rl);
		const unit = this.plot / (this.fig.hi - this.fig.lo);
		// −∇L drawn to scale (1 reward unit of gradient = 1 reward unit of length), so steps read off the axes.
		const ex = x - gw * unit * 2;
		const ey = y + gl * unit * 2;
		arrow(ctx, x, y, ex, ey, '#ff6b6b', 2.5, 9);
		ctx.beginPath();
		ctx.arc(x, y, 6.5, 0, 2 * Math.PI);
		ctx.fillStyle = '#fff';
		ctx.fill();
		ctx.lineWidth = 2.5;
		ctx.strokeStyle = '#e8590c';
		ctx.stroke();
	}

	private drawAxes(ctx: CanvasRenderingContext2D, fg: string, muted: string) {
		const { lo, hi } = this.fig;
		ctx.strokeStyle = muted;
		ctx.fillStyle = muted;
		ctx.lineWidth = 1;
		ctx.font = '11px system-ui, sans-serif';
		const ticks = d3.ticks(lo, hi, 6);
		ctx.textAlign = 'center';
		ctx.textBaseline = 'top';
		for (const t of ticks) {
			const x = this.px(t);
			ctx.beginPath();
			ctx.moveTo(x, MARGIN.top + this.plot);
			ctx.lineTo(x, MARGIN.top + this.plot + 4);
			ctx.stroke();
			ctx.fillText(fmt(t, 0), x, MARGIN.top + this.plot + 6);
		}
		ctx.textAlign = 'right';
		ctx.textBaseline = 'middle';
		for (const t of ticks) {
			const y = this.py(t);
			ctx.beginPath();
			ctx.moveTo(MARGIN.left - 4, y);
			ctx.lineTo(MARGIN.left, y);
			ctx.stroke();
			ctx.fillText(fmt(t, 0), MARGIN.left - 6, y);
		}
		ctx.fillStyle = fg;
		ctx.font = 'italic 12px Georgia, serif';
		ctx.textAlign = 'center';
		ctx.textBaseline = 'bottom';
		ctx.fillText('r_w  (chosen reward) →', MARGIN.left + this.plot / 2, MARGIN.top + this.plot + MARGIN.bottom);
		ctx.save();
		ctx.translate(11, MARGIN.top + this.plot / 2);
		ctx.rotate(-Math.PI / 2);
		ctx.textBaseline = 'middle';
		ctx.fillText('r_l  (rejected reward) →', 0, 0);
		ctx.restore();
	}

	private updateReadout([rw, rl]: [number, number]) {
		const L = this.loss.value(rw, rl, this.params);
		const [gw, gl] = this.loss.grad(rw, rl, this.params);
		const opt = this.loss.optimum(this.params);
		let optText: string;
		switch (opt.kind) {
			case 'point':
				optText = `optimum r<sub>w</sub>* = ${fmt(opt.rw)}, r<sub>l</sub>* = ${fmt(opt.rl)}`;
				break;
			case 'margin':
				optText = `optimal margin r<sub>w</sub> − r<sub>l</sub> = ${fmt(opt.margin)}`;
				break;
			case 'set':
				optText = opt.description;
				break;
			case 'diverges':
				optText = `no finite optimum (${opt.direction})`;
				break;
		}
		this.readout.innerHTML = `<span>L = <b>${fmt(L)}</b></span><span>∇L = (${fmt(gw)}, ${fmt(gl)})</span><span class="lf-opt">${optText}</span>`;
	}
}

function star(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, fill: string, stroke: string) {
	ctx.beginPath();
	for (let k = 0; k < 10; k++) {
		const a = -Math.PI / 2 + (k * Math.PI) / 5;
		const rr = k % 2 ? r * 0.45 : r;
		ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
	}
	ctx.closePath();
	ctx.fillStyle = fill;
	ctx.fill();
	ctx.strokeStyle = stroke;
	ctx.lineWidth = 1.5;
	ctx.stroke();
}

function polygon(ctx: CanvasRenderingContext2D, pts: [number, number][], fill: string) {
	if (pts.length < 3) return;
	ctx.beginPath();
	pts.forEach(([x, y], k) => {
		if (k) ctx.lineTo(x, y);
		else ctx.moveTo(x, y);
	});
	ctx.closePath();
	ctx.fillStyle = fill;
	ctx.fill();
}

function arrow(
	ctx: CanvasRenderingContext2D,
	x0: number,
	y0: number,
	x1: number,
	y1: number,
	color: string,
	width: number,
	head: number,
) {
	const len = Math.hypot(x1 - x0, y1 - y0);
	if (len < 0.5) return;
	const a = Math.atan2(y1 - y0, x1 - x0);
	const h = Math.min(head, len * 0.6);
	ctx.strokeStyle = color;
	ctx.fillStyle = color;
	ctx.lineWidth = width;
	ctx.beginPath();
	ctx.moveTo(x0, y0);
	ctx.lineTo(x1 - h * 0.6 * Math.cos(a), y1 - h * 0.6 * Math.sin(a));
	ctx.stroke();
	ctx.beginPath();
	ctx.moveTo(x1, y1);
	ctx.lineTo(x1 - h * Math.cos(a - 0.45), y1 - h * Math.sin(a - 0.45));
	ctx.lineTo(x1 - h * Math.cos(a + 0.45), y1 - h * Math.sin(a + 0.45));
	ctx.closePath();
	ctx.fill();
}

export class LandscapeFigure {
	readonly element: HTMLDivElement & { value: FigureValue };
	readonly lo: number;
	readonly hi: number;
	readonly n: number;
	readonly size: number;
	readonly quiver: number;
	readonly band: number;
	readonly contourCount: number;
	private panels: Panel[];
	private params: Record<string, number>;
	private point: [number, number];
	private status: HTMLDivElement;
	private frame = 0;
	/** Milliseconds the last full redraw took (all panels), for the notebook's frame-budget readout. */
	lastRedrawMs = 0;

	constructor(opts: LandscapeFigureOptions) {
		this.lo = opts.lo ?? -6;
		this.hi = opts.hi ?? 6;
		if (!(this.hi > this.lo)) throw new Error(`LandscapeFigure: range [${this.lo}, ${this.hi}] is empty`);
		this.n = opts.n ?? 192;
		this.size = opts.size ?? 300;
		this.quiver = opts.quiver ?? 13;
		this.band = opts.band ?? 0.35;
		this.contourCount = opts.contours ?? 12;
		this.params = { ...opts.params };
		this.point = opts.point ?? [0.5, 0.5];
		const el = document.createElement('div') as HTMLDivElement & { value: FigureValue };
		el.className = 'lf-figure';
		this.element = el;
		const row = document.createElement('div');
		row.className = 'lf-row';
		this.panels = opts.panels.map((p) => new Panel(this, p));
		row.append(...this.panels.map((p) => p.root));
		this.status = document.createElement('div');
		this.status.className = 'lf-status';
		el.append(row, this.status);
		injectStyles();
		Object.defineProperty(el, 'value', {
			get: () => ({ rw: this.point[0], rl: this.point[1] }),
			set: (v: FigureValue) => this.setPoint(v.rw, v.rl),
		});
		this.recompute();
		this.draw();
	}

	/** Change shared parameters (ε, β, …) and redraw. Cheap enough to call on every slider input. */
	update(params: Record<string, number>) {
		this.params = { ...this.params, ...params };
		this.recompute();
		this.draw();
	}

	setLoss(index: number, loss: string, params?: Record<string, number>) {
		const p = this.panels[index];
		if (!p) throw new Error(`LandscapeFigure has ${this.panels.length} panels; no panel ${index}`);
		p.spec = { loss, params };
		this.recompute();
		this.draw();
	}

	setPoint(rw: number, rl: number) {
		const c = (v: number) => Math.min(this.hi, Math.max(this.lo, v));
		this.point = [c(rw), c(rl)];
		this.scheduleDraw();
	}

	private recompute() {
		for (const p of this.panels) p.recompute(this.params);
	}

	private scheduleDraw() {
		if (this.frame) return;
		this.frame = requestAnimationFrame(() => {
			this.frame = 0;
			this.draw();
		});
	}

	draw() {
		const t0 = performance.now();
		for (const p of this.panels) p.draw(this.point);
		const compute = this.panels.reduce((a, p) => a + p.lastMs, 0);
		this.lastRedrawMs = performance.now() - t0 + compute;
		this.status.textContent = `Drag the white point in any panel. Grid ${this.n}² per panel; last redraw ${this.lastRedrawMs.toFixed(1)} ms (a 60 fps frame is 16.7 ms).`;
	}

	startDrag(e: PointerEvent, panel: Panel) {
		const move = (ev: PointerEvent) => {
			const r = panel.canvas.getBoundingClientRect();
			const [rw, rl] = panel.toReward(ev.clientX - r.left, ev.clientY - r.top);
			this.point = [rw, rl];
			this.scheduleDraw();
			this.element.dispatchEvent(new Event('input', { bubbles: true }));
		};
		panel.canvas.setPointerCapture(e.pointerId);
		move(e);
		const up = () => {
			panel.canvas.removeEventListener('pointermove', move);
			panel.canvas.removeEventListener('pointerup', up);
			panel.canvas.removeEventListener('pointercancel', up);
		};
		panel.canvas.addEventListener('pointermove', move);
		panel.canvas.addEventListener('pointerup', up);
		panel.canvas.addEventListener('pointercancel', up);
	}
}

let styled = false;
function injectStyles() {
	if (styled || typeof document === 'undefined') return;
	styled = true;
	const s = document.createElement('style');
	s.textContent = `
.lf-figure { margin: 0.4rem 0 0.8rem; }
.lf-row { display: flex; flex-wrap: wrap; gap: 0.6rem 1.2rem; }
.lf-panel { display: flex; flex-direction: column; gap: 0.25rem; }
.lf-title { font-size: 0.92rem; }
.lf-title span { color: var(--fg-muted); margin-left: 0.3rem; }
.lf-canvas { touch-action: none; cursor: crosshair; border-radius: 4px; }
.lf-readout { display: flex; flex-direction: column; font: 12px/1.45 var(--font-mono, monospace); color: var(--fg-muted); }
.lf-readout b { color: var(--fg); }
.lf-status { margin-top: 0.4rem; font-size: 0.78rem; color: var(--fg-faint); }
`;
	document.head.append(s);
}

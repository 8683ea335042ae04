/**
 * Interactive loss-landscape panels on canvas: heatmap + contours of L(r_w, r_l), the −∇L quiver field, the
 * optimal point / margin band, and a draggable reward pair showing its gradient. Several panels share one pair, so
 * SepDPH, ConDPH and cDPO can be compared at the same (r_w, r_l). Colours: landscape-colour.ts (light where the
 * loss is low), the same as `dph landscape --format svg`.
 *
 * Speed: a parameter change recomputes the grid (typed arrays, ~0.1 ms at 192²) and each panel's cached layers,
 * only for panels whose loss or parameters changed; dragging only replays the cached layers (landscape-panel.ts).
 * The printed "last redraw" is the whole change as the user waits for it on the main thread: from the call that
 * changed something to the last panel drawn, grid math included (the browser's raster of the canvases follows).
 */
import './landscape-figure.css';
import { Panel, type PanelSpec } from './landscape-panel';
import { readColours } from './landscape-text';

export type { PanelSpec } from './landscape-panel';

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

export class LandscapeFigure {
	readonly element: HTMLDivElement & { value: FigureValue };
	readonly lo: number;
	readonly hi: number;
	readonly n: number;
	readonly size: number;
	private panels: Panel[];
	private params: Record<string, number>;
	private point: [number, number];
	private status: HTMLDivElement;
	private frame = 0;
	/** Milliseconds the last redraw took, change to last panel drawn, for the notebook's frame-budget readout. */
	lastRedrawMs = 0;

	constructor(opts: LandscapeFigureOptions) {
		this.lo = opts.lo ?? -6;
		this.hi = opts.hi ?? 6;
		if (!(this.hi > this.lo)) throw new Error(`LandscapeFigure: range [${this.lo}, ${this.hi}] is empty`);
		this.n = opts.n ?? 192;
		this.size = opts.size ?? 300;
		this.params = { ...opts.params };
		this.point = opts.point ?? [0.5, 0.5];
		const el = document.createElement('div') as HTMLDivElement & { value: FigureValue };
		el.className = 'lf-figure';
		this.element = el;
		const cfg = {
			lo: this.lo,
			hi: this.hi,
			n: this.n,
			size: this.size,
			quiver: opts.quiver ?? 13,
			band: opts.band ?? 0.35,
			contourCount: opts.contours ?? 12,
			onPointerDown: (e: PointerEvent, panel: Panel) => this.startDrag(e, panel),
		};
		this.panels = opts.panels.map((p) => new Panel(cfg, p));
		const row = document.createElement('div');
		row.className = 'lf-row';
		row.append(...this.panels.map((p) => p.root));
		this.status = document.createElement('div');
		this.status.className = 'lf-status';
		el.append(row, this.status);
		Object.defineProperty(el, 'value', {
			get: () => ({ rw: this.point[0], rl: this.point[1] }),
			set: (v: FigureValue) => this.setPoint(v.rw, v.rl),
		});
		this.change(() => this.recomputeAll());
	}

	/** Change shared parameters (ε, β, …) and redraw. Cheap enough to call on every slider input. */
	update(params: Record<string, number>) {
		this.params = { ...this.params, ...params };
		this.change(() => this.recomputeAll());
	}

	setLoss(index: number, loss: string, params?: Record<string, number>) {
		const p = this.panels[index];
		if (!p) throw new Error(`LandscapeFigure has ${this.panels.length} panels; no panel ${index}`);
		p.spec = { loss, params };
		this.change(() => p.recompute(this.params));
	}

	setPoint(rw: number, rl: number) {
		const c = (v: number) => Math.min(this.hi, Math.max(this.lo, v));
		this.point = [c(rw), c(rl)];
		this.scheduleDraw();
	}

	private recomputeAll(): boolean {
		let changed = false;
		for (const p of this.panels) changed = p.recompute(this.params) || changed;
		return changed;
	}

	/** Runs a recompute and, if it changed a panel, redraws, timing both: the notebook's slider waits for both. */
	private change(recompute: () => boolean) {
		const t0 = performance.now();
		if (recompute()) this.draw(t0);
	}

	private scheduleDraw() {
		if (this.frame) return;
		this.frame = requestAnimationFrame(() => {
			this.frame = 0;
			this.draw();
		});
	}

	/** Draws every panel; `since` is when the change being drawn started (default: now). */
	draw(since = performance.now()) {
		// Read the theme before any DOM write below, so reading styles never waits for a style recalculation.
		const colours = readColours(this.element);
		for (const p of this.panels) p.draw(this.point, colours);
		this.lastRedrawMs = performance.now() - since;
		this.status.textContent = `Drag the white point in any panel. Grid ${this.n}² per panel; last redraw ${this.lastRedrawMs.toFixed(1)} ms (a 60 fps frame is 16.7 ms).`;
	}

	private startDrag(e: PointerEvent, panel: Panel) {
		const move = (ev: PointerEvent) => {
			const r = panel.canvas.getBoundingClientRect();
			const [rw, rl] = panel.scale.toReward(ev.clientX - r.left, ev.clientY - r.top);
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

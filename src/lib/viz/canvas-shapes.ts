/** Small canvas shapes of the landscape figure: arrows (batched into Path2D), a star, a filled polygon. */

/**
 * Adds an arrow from (x0, y0) to (x1, y1) to two paths, its shaft to `shafts` (to stroke) and its head to `heads`
 * (to fill), so a whole quiver field draws with one stroke and one fill instead of two calls per arrow.
 */
export function addArrow(
	shafts: Path2D,
	heads: Path2D,
	x0: number,
	y0: number,
	x1: number,
	y1: number,
	head: number,
): void {
	const len = Math.hypot(x1 - x0, y1 - y0);
	if (len < 0.5) return;
	const a = Math.atan2(y1 - y0, x1 - x0);
	const h = Math.min(head, len * 0.6);
	shafts.moveTo(x0, y0);
	shafts.lineTo(x1 - h * 0.6 * Math.cos(a), y1 - h * 0.6 * Math.sin(a));
	heads.moveTo(x1, y1);
	heads.lineTo(x1 - h * Math.cos(a - 0.45), y1 - h * Math.sin(a - 0.45));
	heads.lineTo(x1 - h * Math.cos(a + 0.45), y1 - h * Math.sin(a + 0.45));
	heads.closePath();
}

/** Strokes and fills arrow paths made with addArrow in one colour. */
export function drawArrows(
	ctx: CanvasRenderingContext2D,
	shafts: Path2D,
	heads: Path2D,
	color: string,
	width: number,
): void {
	ctx.strokeStyle = color;
	ctx.fillStyle = color;
	ctx.lineWidth = width;
	ctx.stroke(shafts);
	ctx.fill(heads);
}

/** One arrow, drawn now. */
export function arrow(
	ctx: CanvasRenderingContext2D,
	x0: number,
	y0: number,
	x1: number,
	y1: number,
	color: string,
	width: number,
	head: number,
): void {
	const shafts = new Path2D();
	const heads = new Path2D();
	addArrow(shafts, heads, x0, y0, x1, y1, head);
	drawArrows(ctx, shafts, heads, color, width);
}

export function star(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, fill: string, stroke: string) {
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

export function polygon(ctx: CanvasRenderingContext2D, pts: [number, number][], fill: string) {
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

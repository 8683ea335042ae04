/** Export a cell's figure as SVG or PNG, the way a reader would want it in a paper or slide. */

import { downloadBlob } from '../browser/download';

/** The figure in a cell's output: an SVG (Plot or hand-made) or a canvas. */
export function findFigure(root: HTMLElement): SVGSVGElement | HTMLCanvasElement | null {
	const svgs = [...root.querySelectorAll('svg')].filter(
		(s) => !s.closest('svg:not(:scope)') || s.parentElement?.closest('svg') === null,
	);
	const big = svgs.sort((a, b) => area(b) - area(a))[0];
	const canvas = root.querySelector('canvas');
	if (big && (!canvas || area(big) >= area(canvas))) return big;
	return canvas;
}

function area(el: Element): number {
	const r = el.getBoundingClientRect();
	return r.width * r.height;
}

/** Copy computed styles that matter for standalone rendering onto an SVG clone (CSS variables do not travel). */
function standaloneSvg(svg: SVGSVGElement): string {
	const clone = svg.cloneNode(true) as SVGSVGElement;
	clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
	const src = [svg, ...svg.querySelectorAll('*')];
	const dst = [clone, ...clone.querySelectorAll('*')];
	src.forEach((el, i) => {
		const cs = getComputedStyle(el);
		const d = dst[i] as SVGElement;
		for (const prop of ['fill', 'stroke', 'color', 'font-family', 'font-size', 'opacity', 'stroke-width']) {
			const v = cs.getPropertyValue(prop);
			if (v) d.style.setProperty(prop, v);
		}
	});
	const r = svg.getBoundingClientRect();
	if (!clone.getAttribute('width')) clone.setAttribute('width', String(Math.round(r.width)));
	if (!clone.getAttribute('height')) clone.setAttribute('height', String(Math.round(r.height)));
	return new XMLSerializer().serializeToString(clone);
}

export function exportSvg(root: HTMLElement, name: string): boolean {
	const fig = findFigure(root);
	if (!(fig instanceof SVGSVGElement)) return false;
	downloadBlob(new Blob([standaloneSvg(fig)], { type: 'image/svg+xml' }), `${name}.svg`);
	return true;
}

export async function exportPng(root: HTMLElement, name: string, scale = 2): Promise<boolean> {
	const fig = findFigure(root);
	if (!fig) return false;
	let canvas: HTMLCanvasElement;
	if (fig instanceof HTMLCanvasElement) {
		canvas = fig;
	} else {
		const r = fig.getBoundingClientRect();
		const img = new Image();
		img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(standaloneSvg(fig))}`;
		await img.decode();
		canvas = document.createElement('canvas');
		canvas.width = Math.round(r.width * scale);
		canvas.height = Math.round(r.height * scale);
		const ctx = canvas.getContext('2d');
		if (!ctx) return false;
		ctx.fillStyle = getComputedStyle(document.body).backgroundColor || '#fff';
		ctx.fillRect(0, 0, canvas.width, canvas.height);
		ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
	}
	const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/png'));
	if (!blob) return false;
	downloadBlob(blob, `${name}.png`);
	return true;
}

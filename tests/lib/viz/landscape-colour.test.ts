import { hsl } from 'd3';
import { describe, expect, it } from 'vitest';
import { computeLandscape } from '../../../src/lib/dph/landscape/index';
import { lossColour, lossLevel } from '../../../src/lib/viz/landscape-colour';
import { lossLut, normalise, paintHeatmap, resample } from '../../../src/lib/viz/landscape-layers';
import { landscapeSvg } from '../../../src/lib/viz/landscape-svg';

const lightness = (c: string) => hsl(c).l;
const hex = (r: number, g: number, b: number) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

describe('one colour convention for the SVG and the canvas panels: light where the loss is low', () => {
	it('lossColour is viridis reversed: yellow at the lowest loss, dark purple at the highest', () => {
		expect(lossColour(0)).toBe('#fde725');
		expect(lossColour(1)).toBe('#440154');
		expect(lightness(lossColour(0))).toBeGreaterThan(lightness(lossColour(0.5)));
		expect(lightness(lossColour(0.5))).toBeGreaterThan(lightness(lossColour(1)));
		const t = lossLevel(1, 1 + Math.E - 1);
		expect(t(1)).toBe(0);
		expect(t(Math.E)).toBeCloseTo(1, 15);
		expect(lossLevel(2, 2)(2)).toBe(0);
	});

	it('the SVG and the canvas heatmap paint the optimum of SepDPH the same light colour', () => {
		const g = computeLandscape('sepdph', { eps: 0.1 }, { lo: -6, hi: 6, n: 49 });
		let kMin = 0;
		for (let k = 1; k < g.loss.length; k++) if (g.loss[k] < g.loss[kMin]) kMin = k;
		// Canvas: pixels equal to grid points (p = n), so pixel (i, n − 1 − j) shows cell (i, j) unblended.
		const norm = new Float32Array(g.n * g.n);
		normalise(g, norm);
		const data = new Uint8ClampedArray(4 * g.n * g.n);
		paintHeatmap(norm, resample(g.n, g.n), data);
		const i = kMin % g.n;
		const j = Math.floor(kMin / g.n);
		const o = 4 * ((g.n - 1 - j) * g.n + i);
		const canvas = hex(data[o], data[o + 1], data[o + 2]);
		expect(lightness(canvas)).toBeGreaterThan(0.5);
		// SVG: the darkest colour is only on the highest-loss level; the lowest level is the canvas's colour.
		const svg = landscapeSvg(g, { arrows: 0 });
		const fills = [...svg.matchAll(/<path fill="(#[0-9a-f]{6})" d=/g)].map((m) => m[1]);
		expect(fills[0]).toBe(lossColour(0));
		const lut = lossLut();
		expect(canvas).toBe(hex(lut[0], lut[1], lut[2]));
		expect(canvas).toBe(lossColour(0));
	});
});

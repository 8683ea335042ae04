import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../../src/lib/dph/backend';
import {
	type BackendFigure,
	type CachedMeasurement,
	type CacheKeyParts,
	cacheKey,
	cacheStatus,
	chosenFigure,
	figureKey,
	formatRate,
	MEASUREMENT_MAX_AGE_MS,
	MEASUREMENT_VERSION,
	measureBudgetMs,
	parseCached,
	pickFastest,
	resolveChoice,
} from '../../../src/lib/dph/backend-choice';
import { mulberry32 } from '../../../src/lib/dph/random';

const fig = (backend: BackendName, rate: number | null, extra: Partial<BackendFigure> = {}): BackendFigure => ({
	backend,
	label: backend === 'webgpu' ? 'WebGPU · SwiftShader' : backend === 'wasm' ? 'WebAssembly' : 'CPU (JavaScript)',
	software: backend === 'webgpu',
	trainTokensPerSecond: rate,
	scoreMs: rate === null ? null : 1000 / rate,
	warmupMs: rate === null ? null : 10,
	...extra,
});

describe('formatRate', () => {
	it('keeps two significant digits with spaces between thousands, as the badge shows them', () => {
		expect(formatRate(1086)).toBe('1 100');
		expect(formatRate(84.2)).toBe('84');
		expect(formatRate(3.46)).toBe('3.5');
		expect(formatRate(106_000)).toBe('110 000');
		expect(formatRate(5149)).toBe('5 100');
		expect(formatRate(0)).toBe('0');
		// Against an independent rounding: toPrecision(2) read back as a number.
		const rand = mulberry32(4);
		for (let i = 0; i < 200; i++) {
			const n = 100 + rand() * 1e6;
			expect(Number(formatRate(n).replace(/ /g, ''))).toBe(Number(n.toPrecision(2)));
		}
	});
});

describe('pickFastest', () => {
	it('picks the highest training rate of random figures and names every other backend with its rate', () => {
		const rand = mulberry32(7);
		for (let trial = 0; trial < 100; trial++) {
			const figures = (['webgpu', 'wasm', 'cpu'] as const).map((b) =>
				fig(b, rand() < 0.2 ? null : 1 + rand() * 5000, rand() < 0.2 ? { stopped: true } : {}),
			);
			const rated = figures.filter((f) => f.trainTokensPerSecond !== null);
			if (!rated.length) {
				expect(() => pickFastest(figures)).toThrow(/No backend could be measured/);
				continue;
			}
			const best = rated.reduce((a, b) => ((b.trainTokensPerSecond ?? 0) > (a.trainTokensPerSecond ?? 0) ? b : a));
			const c = pickFastest(figures);
			expect(c.backend).toBe(best.backend);
			expect(c.summary.startsWith(`${best.backend} · `)).toBe(true);
			for (const f of figures.filter((f) => f !== best)) expect(c.summary).toContain(f.label);
			expect(c.figures).toEqual(figures);
		}
	});

	it('writes the figure the badge shows: wasm faster here than SwiftShader', () => {
		const c = pickFastest([
			fig('webgpu', 84, { stopped: true }),
			fig('wasm', 1086),
			fig('cpu', null, { note: 'not available: no' }),
		]);
		expect(c.backend).toBe('wasm');
		expect(c.summary).toBe(
			'wasm · 1 100 tok/s — faster here than WebGPU · SwiftShader, < 84 tok/s; CPU (JavaScript), not available: no',
		);
		expect(pickFastest([fig('cpu', 30)]).summary).toBe('cpu · 30 tok/s — the only backend available here');
	});

	it('chooses among wasm thread counts like among backends, and the choice carries the count', () => {
		const c = pickFastest([fig('wasm', 2770, { threads: 2 }), fig('wasm', 3540, { threads: 1 }), fig('cpu', 130)]);
		expect(c.backend).toBe('wasm');
		expect(c.threads).toBe(1);
		expect(c.summary).toBe(
			'wasm · 1 thread · 3 500 tok/s — faster here than WebAssembly · 2 threads, 2 800 tok/s; CPU (JavaScript), 130 tok/s',
		);
		const many = pickFastest([fig('wasm', 900, { threads: 1 }), fig('wasm', 1500, { threads: 2 })]);
		expect(many.threads).toBe(2);
		// Figures without a thread count (cpu, WebGPU) give a choice without one.
		expect(pickFastest([fig('cpu', 30)]).threads).toBeUndefined();
		const figs = [fig('wasm', 1, { threads: 2 }), fig('wasm', 1, { threads: 1 }), fig('cpu', 1)];
		expect(new Set(figs.map(figureKey)).size).toBe(3);
		// The badge and the System page mark the figure of what the worker runs on, thread count included.
		expect(chosenFigure(figs, 'wasm', 1)).toBe(figs[1]);
		expect(chosenFigure(figs, 'wasm', 2)).toBe(figs[0]);
		expect(chosenFigure(figs, 'cpu', undefined)).toBe(figs[2]);
		expect(chosenFigure(figs, 'webgpu', undefined)).toBeUndefined();
	});

	it('breaks an exact tie on the scoring time', () => {
		const c = pickFastest([fig('wasm', 500, { scoreMs: 9 }), fig('webgpu', 500, { scoreMs: 3 })]);
		expect(c.backend).toBe('webgpu');
	});
});

const parts: CacheKeyParts = {
	environment: 'worker',
	agent: 'Mozilla/5.0 Chrome/131',
	adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader' },
	wasmThreads: 2,
	tfjsVersion: '4.22.0',
};

describe('cache key and staleness', () => {
	it('changes with the browser, the adapter, the thread count and tfjs, and only with them', () => {
		const k = cacheKey(parts);
		expect(cacheKey({ ...parts })).toBe(k);
		const changed = [
			{ ...parts, agent: 'Mozilla/5.0 Chrome/132' },
			{ ...parts, adapter: null },
			{ ...parts, adapter: { ...parts.adapter!, description: 'NVIDIA H100' } },
			{ ...parts, wasmThreads: 1 },
			{ ...parts, tfjsVersion: '4.23.0' },
			{ ...parts, environment: 'node' },
		];
		const keys = new Set([k, ...changed.map(cacheKey)]);
		expect(keys.size).toBe(changed.length + 1);
	});

	const now = Date.UTC(2026, 11, 2);
	const entry = (over: Partial<CachedMeasurement> = {}): CachedMeasurement => ({
		version: MEASUREMENT_VERSION,
		key: cacheKey(parts),
		measuredAt: now - 1000,
		choice: pickFastest([fig('wasm', 900), fig('webgpu', 80)]),
		...over,
	});

	it('is fresh for the same key within its age, and says why otherwise', () => {
		const k = cacheKey(parts);
		expect(cacheStatus(entry(), k, now)).toMatchObject({ fresh: true });
		expect(cacheStatus(null, k, now)).toEqual({ fresh: false, reason: 'no measurement on this device yet' });
		expect(cacheStatus(entry(), cacheKey({ ...parts, wasmThreads: 1 }), now)).toMatchObject({
			fresh: false,
			reason: expect.stringMatching(/browser, adapter or thread count changed/),
		});
		expect(cacheStatus(entry({ measuredAt: now - MEASUREMENT_MAX_AGE_MS - 1 }), k, now)).toMatchObject({
			fresh: false,
			reason: 'the last measurement is over 30 days old',
		});
		expect(cacheStatus(entry({ measuredAt: now - MEASUREMENT_MAX_AGE_MS + 1 }), k, now).fresh).toBe(true);
		expect(cacheStatus(entry({ version: MEASUREMENT_VERSION - 1 }), k, now).fresh).toBe(false);
		// A clock set back (or a stored date in the future) is not trusted.
		expect(cacheStatus(entry({ measuredAt: now + 3_600_000 }), k, now).fresh).toBe(false);
	});

	it('reads back what it stored and refuses anything else', () => {
		const e = entry();
		expect(parseCached(JSON.stringify(e))).toEqual(e);
		for (const bad of [
			null,
			'',
			'not json',
			'42',
			'{"key":"x"}',
			JSON.stringify({ ...e, choice: { ...e.choice, backend: 'metal' } }),
		]) {
			expect(parseCached(bad)).toBeNull();
		}
		const noFigures = { ...e, choice: { ...e.choice, figures: [{ backend: 'wasm' }] } };
		expect(parseCached(JSON.stringify(noFigures))).toBeNull();
	});
});

describe('resolveChoice', () => {
	const fresh = {
		fresh: true as const,
		entry: { version: 1, key: 'k', measuredAt: 0, choice: pickFastest([fig('wasm', 9)]) },
	};
	const stale = { fresh: false as const, reason: 'no measurement on this device yet' };
	it('puts a forced backend over the override, the override over the measurement, and measures when nothing applies', () => {
		expect(resolveChoice({ forced: 'webgpu', override: 'cpu', cached: fresh })).toMatchObject({
			source: 'forced',
			backend: 'webgpu',
		});
		expect(resolveChoice({ override: 'cpu', cached: fresh })).toMatchObject({ source: 'override', backend: 'cpu' });
		expect(resolveChoice({ override: 'bogus', cached: fresh })).toMatchObject({ source: 'measured', backend: 'wasm' });
		expect(resolveChoice({ cached: stale })).toEqual({ source: 'measure', backend: null, why: stale.reason });
		expect(() => resolveChoice({ forced: 'metal', cached: stale })).toThrow(
			/Unknown backend "metal".*webgpu, wasm, cpu/,
		);
	});
});

describe('measureBudgetMs', () => {
	it('grows with the best time, never drops below its floor, and gives a hardware GPU more room', () => {
		let prev = 0;
		for (const best of [0, 100, 1000, 2000, 5000, 20_000]) {
			const sw = measureBudgetMs(best, false);
			const hw = measureBudgetMs(best, true);
			expect(sw).toBeGreaterThanOrEqual(Math.max(5000, 3 * best));
			expect(hw).toBeGreaterThanOrEqual(Math.max(30_000, 20 * best));
			expect(sw).toBeGreaterThanOrEqual(prev);
			prev = sw;
		}
		expect(measureBudgetMs(null, false)).toBe(60_000);
	});
});

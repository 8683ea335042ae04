import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMeasured } from '../../../src/cli/backend-cache';
import { main } from '../../../src/cli/main';
import { getTf, initBackend } from '../../../src/lib/dph/backend';
import { cacheKey, MEASUREMENT_VERSION, parseCached, pickFastest } from '../../../src/lib/dph/backend-choice';
import { autoBackend, cacheKeyParts, measureBackends, measurementsSettled } from '../../../src/lib/dph/backend-measure';
import { capture } from '../../cli/capture';

// Real measurements on wasm and cpu (WebGPU here is SwiftShader under Dawn, which blocks the thread while it
// compiles: covered by the browser spec tests/browser/backend-pick.spec.ts, where the budget can stop it).
describe('measuring the backends', () => {
	it('times wasm to the end, stops cpu at its budget, picks wasm, and frees every tensor', async () => {
		const tf = await getTf();
		const before = tf.memory().numTensors;
		const phases: string[] = [];
		const choice = await measureBackends({
			candidates: ['cpu', 'wasm'],
			steps: 1,
			// wasm, timed first, gets the usual 60 s; cpu then gets 1 ms, so it is stopped inside its first step.
			budgetMs: (best) => (best === null ? 60_000 : 1),
			onProgress: (p) => phases.push(`${p.backend}:${p.phase}`),
		});
		expect(phases[0]).toBe('wasm:starting');
		expect(phases).toContain('wasm:scoring');
		expect(phases.at(-1)).toBe('cpu:done');
		const [wasm, cpu] = choice.figures;
		expect(wasm.backend).toBe('wasm');
		expect(wasm.stopped).toBeUndefined();
		expect(wasm.trainTokensPerSecond).toBeGreaterThan(0);
		expect(wasm.scoreMs).toBeGreaterThan(0);
		expect(wasm.warmupMs).toBeGreaterThan(0);
		// tfjs turns wasm threads off in Node.
		expect(wasm.threads).toBe(1);
		expect(cpu.stopped).toBe(true);
		expect(cpu.note).toMatch(/^stopped after [\d.]+ s (in|after) its first step/);
		expect(choice.backend).toBe('wasm');
		expect(choice.summary).toMatch(/^wasm · [\d ]+ tok\/s — faster here than CPU \(JavaScript\), [<~] /);
		await measurementsSettled();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('starts on a fresh stored choice without measuring, and measures only when allowed', async () => {
		const key = cacheKey(await cacheKeyParts());
		const stored = {
			version: MEASUREMENT_VERSION,
			key,
			measuredAt: Date.now(),
			choice: pickFastest([
				{
					backend: 'cpu' as const,
					label: 'CPU (JavaScript)',
					software: false,
					trainTokensPerSecond: 50,
					scoreMs: 1,
					warmupMs: 1,
				},
			]),
		};
		const t0 = performance.now();
		const r = await autoBackend({ cached: JSON.stringify(stored) });
		expect(r.backend).toBe('cpu');
		expect(r.choice).toMatchObject({ source: 'measured', why: 'measured earlier on this device' });
		expect(performance.now() - t0).toBeLessThan(5000);
		// Another key (another adapter or browser) is stale; with measuring off the old rule applies.
		const other = await autoBackend({
			cached: JSON.stringify({ ...stored, key: `${key}x` }),
			measure: false,
			init: { skipSoftwareGpu: true },
		});
		expect(other.backend).toBe('wasm');
		expect(other.choice?.source).toBe('heuristic');
		expect(other.choice?.why).toMatch(/browser, adapter or thread count changed/);
	});

	it('the CLI stores a measurement atomically and every command then follows it; --backend still forces', async () => {
		const path = join(mkdtempSync(join(tmpdir(), 'dph-backend-cache-')), 'sub', 'backend.json');
		const env = { ...process.env, DPH_BACKEND_CACHE: path, DPH_BACKEND_MEASURE: '0' };
		const said: string[] = [];
		const opts = cliMeasured({ force: true, say: (l) => said.push(l) }, env);
		const choice = pickFastest([
			{ backend: 'cpu', label: 'CPU (JavaScript)', software: false, trainTokensPerSecond: 50, scoreMs: 1, warmupMs: 1 },
		]);
		opts.save?.({ version: MEASUREMENT_VERSION, key: cacheKey(await cacheKeyParts()), measuredAt: Date.now(), choice });
		expect(parseCached(readFileSync(path, 'utf8'))?.choice.backend).toBe('cpu');
		const saved = process.env.DPH_BACKEND_CACHE;
		process.env.DPH_BACKEND_CACHE = path;
		try {
			const io = capture();
			expect(await main(['backend', '--json'], io)).toBe(0);
			const j = JSON.parse(io.out);
			expect(j.backend).toBe('cpu');
			expect(j.choice.source).toBe('measured');
			await initBackend({ prefer: 'wasm' });
			const forced = capture();
			expect(await main(['backend', '--backend', 'wasm', '--json'], forced)).toBe(0);
			expect(JSON.parse(forced.out).backend).toBe('wasm');
			const bad = capture();
			expect(await main(['backend', '--backend', 'wasm', '--measure'], bad)).toBe(2);
			expect(bad.err).toMatch(/--measure times every backend; leave out --backend/);
		} finally {
			process.env.DPH_BACKEND_CACHE = saved;
		}
	});
});

import { describe, expect, it } from 'vitest';
import { currentBackend, initBackend, onDeviceLost, simulateDeviceLoss } from '../../../src/lib/dph/backend';
import { runSelfTest } from '../../../src/lib/dph/selftest';

// Real WebGPU in Node: Dawn on SwiftShader. These tests fail (never skip) when WebGPU is unavailable,
// because a silently skipped GPU test would hide exactly the regressions they exist for.
describe('backend selection in Node', () => {
	it('gets WebGPU first, with the adapter described and its maximum buffer sizes requested', async () => {
		const r = await initBackend();
		expect(r.skipped, JSON.stringify(r.skipped)).toEqual([]);
		expect(r.backend).toBe('webgpu');
		expect(r.environment).toBe('node');
		expect(r.label).toMatch(/^WebGPU · /);
		expect(r.adapter).not.toBeNull();
		expect(r.adapter?.maxBufferSize).toBeGreaterThanOrEqual(256 * 1024 * 1024);
		expect(r.adapter?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
	});

	it('trains a tiny reward model on webgpu: loss falls and numTensors does not grow per step', async () => {
		const res = await runSelfTest({ backend: 'webgpu', steps: 12, seed: 3 });
		expect(res.backend).toBe('webgpu');
		expect(res.steps).toHaveLength(12);
		expect(res.lastLoss).toBeLessThan(res.firstLoss - 0.05);
		expect(res.tensorGrowth).toBe(0);
		for (const s of res.steps) expect(Number.isFinite(s.loss)).toBe(true);
	});

	it('reports a lost GPU device and keeps working on the fallback backend', async () => {
		await initBackend({ prefer: ['webgpu', 'wasm', 'cpu'] });
		expect(currentBackend()?.backend).toBe('webgpu');
		let heard = '';
		const off = onDeviceLost((now, before) => {
			heard = `${before.backend}→${now.backend}`;
		});
		const after = await simulateDeviceLoss();
		off();
		expect(after.backend).toBe('wasm');
		expect(after.deviceLost?.message).toBeTruthy();
		expect(after.skipped[0]).toMatchObject({ backend: 'webgpu' });
		expect(after.skipped[0].reason).toMatch(/GPU device lost/);
		expect(heard).toBe('webgpu→wasm');
		const res = await runSelfTest({ backend: 'wasm', steps: 6 });
		expect(res.backend).toBe('wasm');
		expect(res.tensorGrowth).toBe(0);
	});

	it('rejects an unknown backend name with the valid list', async () => {
		// @ts-expect-error deliberately wrong name
		await expect(initBackend({ prefer: 'metal' })).rejects.toThrow(/Unknown backend "metal"; valid: webgpu, wasm, cpu/);
	});
});

import { describe, expect, it } from 'vitest';
import { runSelfTest } from '../../../src/lib/dph/selftest';

describe('self-test training on the CPU-side backends', () => {
	for (const backend of ['wasm', 'cpu'] as const) {
		it(`${backend}: loss falls, no tensor leak, and the run is reproducible from its seed`, async () => {
			const a = await runSelfTest({ backend, steps: 30, seed: 7 });
			expect(a.backend).toBe(backend);
			expect(a.lastLoss).toBeLessThan(a.firstLoss - 0.05);
			expect(a.tensorGrowth).toBe(0);
			const b = await runSelfTest({ backend, steps: 30, seed: 7 });
			expect(b.steps.map((s) => s.loss)).toEqual(a.steps.map((s) => s.loss));
		});
	}

	it('stops when its AbortSignal fires', async () => {
		const ctl = new AbortController();
		const res = await runSelfTest({
			backend: 'cpu',
			steps: 100,
			onStep: (s) => {
				if (s.step === 3) ctl.abort();
			},
			signal: ctl.signal,
		});
		expect(res.stopped).toBe(true);
		expect(res.steps).toHaveLength(3);
	});
});

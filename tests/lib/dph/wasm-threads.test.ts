import { afterEach, describe, expect, it, vi } from 'vitest';
import { presentCoresForTfjs } from '../../../src/lib/dph/backend';
import { wasmThreadCounts } from '../../../src/lib/dph/backend-measure';

// The page side (threads really starting in Chromium's worker) is tests/browser/backend-pick.spec.ts.
describe('wasm thread counts', () => {
	afterEach(() => vi.unstubAllGlobals());

	it('presents tfjs twice the threads while its module starts, then the real core count again', () => {
		// Like WorkerNavigator: hardwareConcurrency is a getter on the prototype, not an own property.
		class FakeNavigator {
			get hardwareConcurrency() {
				return 2;
			}
		}
		const nav = new FakeNavigator();
		vi.stubGlobal('navigator', nav);
		const restore = presentCoresForTfjs(2);
		// tfjs-backend-wasm's C++ caps its pool at hardwareConcurrency / 2: 4 / 2 lets the 2 threads asked for run.
		expect(nav.hardwareConcurrency).toBe(4);
		restore();
		expect(nav.hardwareConcurrency).toBe(2);
		expect(Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency')).toBeUndefined();
	});

	it('restores an own hardwareConcurrency property as it was', () => {
		const nav = { hardwareConcurrency: 16 };
		vi.stubGlobal('navigator', nav);
		const restore = presentCoresForTfjs(4);
		expect(nav.hardwareConcurrency).toBe(8);
		restore();
		expect(Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency')).toEqual({
			value: 16,
			writable: true,
			enumerable: true,
			configurable: true,
		});
	});

	it('does nothing without a navigator (Node 20)', () => {
		vi.stubGlobal('navigator', undefined);
		expect(() => presentCoresForTfjs(4)()).not.toThrow();
	});

	it('times the count asked for, else only the default in Node (tfjs has no wasm threads there)', () => {
		expect(wasmThreadCounts(3)).toEqual([3]);
		expect(wasmThreadCounts(1)).toEqual([1]);
		expect(wasmThreadCounts(undefined)).toEqual([undefined]);
	});

	it('in an isolated worker with several cores, times a thread per core and one thread', () => {
		vi.stubGlobal('WorkerGlobalScope', class {});
		vi.stubGlobal('crossOriginIsolated', true);
		vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
		expect(wasmThreadCounts(undefined)).toEqual([2, 1]);
		vi.stubGlobal('navigator', { hardwareConcurrency: 1 });
		expect(wasmThreadCounts(undefined)).toEqual([undefined]);
		// Not isolated: no SharedArrayBuffer, so one thread whatever the cores.
		vi.stubGlobal('crossOriginIsolated', false);
		vi.stubGlobal('navigator', { hardwareConcurrency: 8 });
		expect(wasmThreadCounts(undefined)).toEqual([undefined]);
	});
});

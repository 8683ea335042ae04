// Which backend a spec's pages start on. Every spec starts with the override "webgpu" stored (playwright.config.ts),
// so none of them times the backends unasked and those written for WebGPU keep it; `test.use(onBackend('wasm'))`
// picks another, and `test.use(onBackend(null))` gives a first visit (no override, no measurement: the page measures).
import type { PlaywrightTestOptions } from '@playwright/test';

/** The origin the test server listens on (playwright.config.ts uses the same port). */
export const testOrigin = `http://127.0.0.1:${Number(process.env.DPH_TEST_PORT ?? 4317)}`;
/** src/lib/browser/backend-state.svelte.ts OVERRIDE_KEY. */
const OVERRIDE_KEY = 'dph-backend-override';

export function onBackend(backend: 'webgpu' | 'wasm' | 'cpu' | null): Pick<PlaywrightTestOptions, 'storageState'> {
	return {
		storageState: {
			cookies: [],
			origins: backend ? [{ origin: testOrigin, localStorage: [{ name: OVERRIDE_KEY, value: backend }] }] : [],
		},
	};
}

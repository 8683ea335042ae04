import { defineConfig } from '@playwright/test';
import { onBackend } from './tests/browser/backend';

const port = Number(process.env.DPH_TEST_PORT ?? 4317);

// Debian's Chromium, never a downloaded browser. As root it needs --no-sandbox; --enable-unsafe-webgpu alone gives
// a SwiftShader fallback WebGPU adapter; the network flags stop Chromium dialing Google on this closed network.
export const chromiumArgs = [
	'--no-sandbox',
	'--headless=new',
	'--enable-unsafe-webgpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

export default defineConfig({
	testDir: 'tests/browser',
	// Benchmarks measure and assert nothing, and cost half a minute: `DPH_BENCH_BROWSER=1` runs them
	// (docs/BENCHMARKS.md). Left out rather than skipped, because npm test counts a skipped test as a failure.
	testIgnore: process.env.DPH_BENCH_BROWSER ? [] : ['**/*-redraw.spec.ts', '**/*-bench.spec.ts'],
	timeout: 120_000,
	expect: { timeout: 30_000 },
	fullyParallel: false,
	workers: 1,
	retries: 0,
	reporter: [['list']],
	outputDir: 'test-results',
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		browserName: 'chromium',
		headless: true,
		viewport: { width: 1280, height: 800 },
		launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
		// No spec times the backends unasked: each starts with the override WebGPU (what the specs were written on);
		// tests/browser/backend-pick.spec.ts measures, the faster training specs pick wasm (tests/browser/backend.ts).
		...onBackend('webgpu'),
	},
	webServer: {
		command: 'node scripts/test-server.mjs',
		env: { PORT: String(port) },
		url: `http://127.0.0.1:${port}/api/health`,
		reuseExistingServer: false,
		timeout: 30_000,
	},
});

import { defineConfig } from '@playwright/test';

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

/**
 * Two projects, each with its own server and its own temporary copy of notebooks/, run side by side: the training
 * specs (SwiftShader WebGPU, minutes of CPU) and every other page. A spec that saves a notebook then never changes
 * what a spec in the other project reads, and within a project specs still run one at a time.
 */
const TRAINING = ['train.spec.ts', 'train-notebook.spec.ts'];
const BENCHMARKS = process.env.DPH_BENCH_BROWSER ? [] : ['**/*-redraw.spec.ts'];
const server = (p: number) => ({
	command: 'node scripts/test-server.mjs',
	env: { PORT: String(p) },
	url: `http://127.0.0.1:${p}/api/health`,
	reuseExistingServer: false,
	timeout: 30_000,
});

export default defineConfig({
	testDir: 'tests/browser',
	// Benchmarks measure and assert nothing, and cost half a minute: `DPH_BENCH_BROWSER=1` runs them
	// (docs/BENCHMARKS.md). Left out rather than skipped, because npm test counts a skipped test as a failure.
	testIgnore: BENCHMARKS,
	timeout: 120_000,
	expect: { timeout: 30_000 },
	fullyParallel: false,
	workers: 2,
	retries: 0,
	reporter: [['list']],
	outputDir: 'test-results',
	use: {
		browserName: 'chromium',
		headless: true,
		viewport: { width: 1280, height: 800 },
		launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
	},
	projects: [
		{ name: 'training', testMatch: TRAINING, workers: 1, use: { baseURL: `http://127.0.0.1:${port}` } },
		{
			name: 'pages',
			testIgnore: [...TRAINING, ...BENCHMARKS],
			workers: 1,
			use: { baseURL: `http://127.0.0.1:${port + 1}` },
		},
	],
	webServer: [server(port), server(port + 1)],
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests run in Node without the SvelteKit plugin: src/lib/dph is DOM-free and uses relative imports.
export default defineConfig({
	resolve: { alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) } },
	test: {
		include: ['tests/**/*.test.ts'],
		exclude: ['tests/browser/**'],
		setupFiles: ['tests/setup/node-webgpu.ts'],
		// Dawn and tfjs keep native/global state per process; forks isolate each test file.
		pool: 'forks',
		// Vitest's default on 2 cores is one fork; two run the unit suite in ~60 % of the time.
		maxWorkers: 2,
		testTimeout: 120_000,
		hookTimeout: 120_000,
	},
});

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
		// Vitest's default (cores − 1) is one fork on a 2-core machine; two overlap one file's tfjs work with another's
		// subprocesses and start-up: 484 s → 311 s for the whole unit suite here, every test passing.
		maxWorkers: 2,
		testTimeout: 120_000,
		hookTimeout: 120_000,
	},
});

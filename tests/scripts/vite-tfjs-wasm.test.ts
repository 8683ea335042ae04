import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tfjsWasmThreads } from '../../scripts/vite-tfjs-wasm.js';

// The threaded wasm build's thread workers must load the real module script, not tfjs' factory.toString() blob
// (which breaks once Vite minifies it). Fails when a tfjs upgrade changes the code the transform rewrites.
describe('the tfjs wasm threads transform', () => {
	const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
	const id = join(dir, 'dist', 'backend_wasm.js');
	const source = readFileSync(id, 'utf8');
	const plugin = tfjsWasmThreads() as { transform: (this: unknown, code: string, id: string) => string | null };
	const ctx = {
		error: (m: string) => {
			throw new Error(m);
		},
	};

	it('points the thread workers at the served module script, and touches nothing else', () => {
		const out = plugin.transform.call(ctx, source, id) as string;
		expect(source).toContain('wasmFactoryThreadedSimd.toString()');
		expect(out).not.toContain('wasmFactoryThreadedSimd.toString()');
		expect(out).toContain(
			"factoryConfig.mainScriptUrlOrBlob = (wasmPathPrefix ?? '') + 'tfjs-backend-wasm-threaded-simd.js';",
		);
		expect(out.length - source.length).toBeLessThan(0);
		// The served script defines the global the thread workers call.
		const main = readFileSync(join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), 'utf8');
		expect(main).toMatch(/^\s*var WasmBackendModuleThreadedSimd = /);
		expect(plugin.transform.call(ctx, 'export const x = 1;', '/elsewhere/other.js')).toBeNull();
	});

	it('stops the build, naming what to check, when tfjs no longer has that code', () => {
		expect(() => plugin.transform.call(ctx, 'export const changed = true;', id)).toThrow(
			/no longer builds its thread script from factory\.toString\(\)/,
		);
	});
});

// Serves and emits the tfjs wasm binaries at /tfjs-wasm/ so the wasm backend can load them in a page or a worker,
// without copying binaries into static/ (they follow the installed @tensorflow/tfjs-backend-wasm version).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const TFJS_WASM_FILES = [
	'tfjs-backend-wasm.wasm',
	'tfjs-backend-wasm-simd.wasm',
	'tfjs-backend-wasm-threaded-simd.wasm',
];

function wasmDir() {
	return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** @returns {import('vite').Plugin} */
export function tfjsWasmAssets() {
	return {
		name: 'dph-tfjs-wasm-assets',
		configureServer(server) {
			server.middlewares.use((req, res, next) => {
				const m = /^\/tfjs-wasm\/([\w.-]+\.wasm)$/.exec(req.url ?? '');
				if (!m || !TFJS_WASM_FILES.includes(m[1])) return next();
				res.setHeader('Content-Type', 'application/wasm');
				res.end(readFileSync(join(wasmDir(), m[1])));
			});
		},
		generateBundle(options) {
			// Only the client build needs them; the SSR output is never served.
			if (options.dir?.includes('server')) return;
			for (const f of TFJS_WASM_FILES) {
				this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${f}`, source: readFileSync(join(wasmDir(), f)) });
			}
		},
	};
}

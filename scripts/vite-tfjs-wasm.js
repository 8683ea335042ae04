// Serves and emits the tfjs wasm binaries at /tfjs-wasm/ so the wasm backend can load them in a page or a worker,
// without copying binaries into static/ (they follow the installed @tensorflow/tfjs-backend-wasm version). All three
// are served: tfjs picks tfjs-backend-wasm-threaded-simd.wasm when the page is cross-origin isolated.
// Also /coi-serviceworker.js (npm coi-serviceworker): on a static host that cannot send COOP/COEP, it isolates the
// page through a service worker; where the headers arrive (server/serve.mjs, vite) it does nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const TFJS_WASM_FILES = [
	'tfjs-backend-wasm.wasm',
	'tfjs-backend-wasm-simd.wasm',
	'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * The threaded build's own module script, which its thread workers importScripts(). tfjs 4.22 hands them
 * `factory.toString()` as a blob instead, which only works unbundled: once Vite has bundled and minified the
 * factory, the closure variable it reads (`_scriptDir`) has another name and every thread dies with "ReferenceError:
 * e is not defined". The transform below points them at this file, served next to the .wasm files.
 */
const THREADED_MAIN = 'tfjs-backend-wasm-threaded-simd.js';
const BLOB_MAIN =
	/factoryConfig\.mainScriptUrlOrBlob = new Blob\(\[`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\);/;

function threadedMainSource() {
	return readFileSync(
		join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out', THREADED_MAIN),
	);
}

const COI_FILE = 'coi-serviceworker.js';

function coiSource() {
	return readFileSync(join(dirname(require.resolve('coi-serviceworker/package.json')), COI_FILE));
}

function wasmDir() {
	return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** @returns {import('vite').Plugin} */
export function tfjsWasmAssets() {
	return {
		name: 'dph-tfjs-wasm-assets',
		configureServer(server) {
			server.middlewares.use((req, res, next) => {
				if (req.url === `/${COI_FILE}`) {
					res.setHeader('Content-Type', 'text/javascript');
					return res.end(coiSource());
				}
				if (req.url === `/tfjs-wasm/${THREADED_MAIN}`) {
					res.setHeader('Content-Type', 'text/javascript');
					return res.end(threadedMainSource());
				}
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
			this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${THREADED_MAIN}`, source: threadedMainSource() });
			this.emitFile({ type: 'asset', fileName: COI_FILE, source: coiSource() });
		},
	};
}

/**
 * The THREADED_MAIN fix as its own plugin: it must run in the page build and in the worker build (vite.config.ts
 * `worker.plugins`), where the compute worker's copy of tfjs is bundled.
 * @returns {import('vite').Plugin}
 */
export function tfjsWasmThreads() {
	return {
		name: 'dph-tfjs-wasm-threads',
		transform(code, id) {
			if (!/tfjs-backend-wasm\/dist\/backend_wasm\.js$/.test(id.split('?')[0])) return null;
			if (!BLOB_MAIN.test(code)) {
				this.error(
					'scripts/vite-tfjs-wasm.js: tfjs-backend-wasm no longer builds its thread script from factory.toString(); check that wasm threads still start (tests/browser/backend-pick.spec.ts) and update the transform',
				);
			}
			// wasmPathPrefix is the folder given to setWasmPaths (an absolute URL): thread workers run from blob: URLs.
			return code.replace(
				BLOB_MAIN,
				`factoryConfig.mainScriptUrlOrBlob = (wasmPathPrefix ?? '') + '${THREADED_MAIN}';`,
			);
		},
	};
}

import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { tfjsWasmAssets, tfjsWasmThreads } from './scripts/vite-tfjs-wasm.js';
import { ISOLATION_HEADERS } from './server/security.mjs';

export default defineConfig({
	plugins: [sveltekit(), tfjsWasmAssets(), tfjsWasmThreads()],
	// The compute worker bundles its own tfjs: it needs the threads fix too (scripts/vite-tfjs-wasm.js).
	worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
	// Cross-origin isolation, as server/serve.mjs sends it: wasm threads need SharedArrayBuffer.
	server: { headers: ISOLATION_HEADERS },
	preview: { headers: ISOLATION_HEADERS },
	// tfjs is large and only ever loaded lazily; keep Vite from pre-bundling it on every dev start.
	optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
	build: {
		chunkSizeWarningLimit: 4096,
		// SvelteKit's prerender step dominates build time by design; the timing report is noise in every build log.
		rolldownOptions: { checks: { pluginTimings: false } },
	},
});

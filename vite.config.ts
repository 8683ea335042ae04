import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { tfjsWasmAssets } from './scripts/vite-tfjs-wasm.js';

export default defineConfig({
	plugins: [sveltekit(), tfjsWasmAssets()],
	worker: { format: 'es' },
	// tfjs is large and only ever loaded lazily; keep Vite from pre-bundling it on every dev start.
	optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
	build: {
		chunkSizeWarningLimit: 4096,
		// SvelteKit's prerender step dominates build time by design; the timing report is noise in every build log.
		rolldownOptions: { checks: { pluginTimings: false } },
	},
});

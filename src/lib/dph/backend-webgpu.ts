/**
 * WebGPU for backend.ts: Dawn for Node installed before tfjs is imported, and our own device factory (every
 * adapter limit requested, the software fallback adapter included, device loss watched).
 */
import type { AdapterDescription } from './backend';

/**
 * In Node, WebGPU comes from Dawn (npm `webgpu`). tfjs-backend-webgpu only registers itself when
 * `navigator.gpu` exists at import time, so this must run before tfjs is imported.
 */
export async function installNodeWebGPU(): Promise<string | null> {
	const g = globalThis as { navigator?: { gpu?: GPU }; process?: { env: Record<string, string | undefined> } };
	if (g.navigator?.gpu) return null;
	const env = g.process?.env;
	// Debian's chromium ships a SwiftShader Vulkan ICD; Mesa's lavapipe does not work with Dawn here.
	const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
	if (env) {
		// biome-ignore lint/style/noRestrictedImports: runs only where `process` exists (Node); @vite-ignore keeps it out of browser bundles.
		const fs = await import(/* @vite-ignore */ 'node:fs');
		if (!env.VK_ICD_FILENAMES && fs.existsSync(icd)) env.VK_ICD_FILENAMES = icd;
		// The Vulkan loader complains on stderr when XDG_RUNTIME_DIR is unset (headless servers, CI).
		if (!env.XDG_RUNTIME_DIR) {
			// biome-ignore lint/style/noRestrictedImports: Node only, as above.
			const os = await import(/* @vite-ignore */ 'node:os');
			const dir = `${os.tmpdir()}/dph-xdg-${process.getuid?.() ?? 'user'}`;
			fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
			env.XDG_RUNTIME_DIR = dir;
		}
	}
	try {
		const specifier = 'webgpu';
		const mod = (await import(/* @vite-ignore */ specifier)) as {
			create: (flags: string[]) => GPU;
			globals: Record<string, unknown>;
		};
		Object.assign(globalThis, mod.globals);
		const gpu = mod.create([]);
		const nav = g.navigator ?? {};
		Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
		if (!g.navigator)
			Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
		return null;
	} catch (e) {
		return `the npm package "webgpu" (Dawn for Node) could not be loaded: ${(e as Error).message}`;
	}
}

export async function webgpuFactory(onLost: (info: GPUDeviceLostInfo) => void, skipSoftware = false) {
	const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
	if (!gpu) throw new Error('navigator.gpu is missing: this browser has no WebGPU (or it is disabled)');
	// powerPreference left unset: a fallback adapter (SwiftShader) is only offered to plain requests.
	const adapter = await gpu.requestAdapter();
	if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter (no usable GPU driver)');
	if (skipSoftware && isSoftwareAdapter(adapter)) {
		throw new Error(
			`the only WebGPU adapter is ${adapter.info.description || adapter.info.vendor || 'a software fallback'}, a CPU emulation slower than wasm (ask for --backend webgpu to use it anyway)`,
		);
	}
	const L = adapter.limits;
	const requiredFeatures: GPUFeatureName[] = [];
	if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
	const device = await adapter.requestDevice({
		requiredFeatures,
		requiredLimits: {
			// Ask for everything the adapter can give: big checkpoints need big buffers.
			maxBufferSize: L.maxBufferSize,
			maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
			maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
			maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
			maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
			maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
			// tfjs kernels with many inputs (concat, addN) bind one storage buffer per input.
			maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
		},
	});
	const info = adapter.info;
	const isFallbackAdapter = Boolean(
		(info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
			(adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
	);
	const description: AdapterDescription = {
		vendor: info.vendor ?? '',
		architecture: info.architecture ?? '',
		device: info.device ?? '',
		description: info.description ?? '',
		isFallbackAdapter,
		maxBufferSize: device.limits.maxBufferSize,
		maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
	};
	device.lost.then(onLost);
	const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
	return { backend: new WebGPUBackend(device, info), device, description };
}

function isSoftwareAdapter(adapter: GPUAdapter): boolean {
	const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
	const fallback = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
	return (
		Boolean(fallback) ||
		/swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.description}`)
	);
}

export function isSoftwareDescription(a: AdapterDescription): boolean {
	return a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

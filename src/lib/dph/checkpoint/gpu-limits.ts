/**
 * WebGPU keeps each tensor in one GPUBuffer bound as one storage binding, so a tensor larger than the device's
 * `maxBufferSize` or `maxStorageBufferBindingSize` cannot be uploaded: tfjs would fail deep inside a kernel with a
 * validation error that names no tensor. Checked before any weight is uploaded, against the limits the device was
 * created with (backend-webgpu.ts asks for the adapter's maxima), so the error names the tensor and what to do.
 */
import { CheckpointError } from './load';

export interface GpuBufferLimits {
	maxBufferSize: number;
	maxStorageBufferBindingSize: number;
}

/** The WebGPU device limits of the active tfjs backend, or null when it is not WebGPU. */
export function gpuLimitsOf(tf: { getBackend(): string; backend(): unknown }): GpuBufferLimits | null {
	if (tf.getBackend() !== 'webgpu') return null;
	const limits = (tf.backend() as { device?: { limits?: GpuBufferLimits } }).device?.limits;
	return limits
		? { maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize }
		: null;
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * Throws a CheckpointError for the first tensor whose float32 size exceeds either limit: its name, its bytes, the
 * limit, and what to do instead.
 */
export function checkGpuLimits(
	tensors: readonly { name: string; shape: readonly number[] }[],
	limits: GpuBufferLimits,
): void {
	const cap = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
	const which =
		limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
	for (const t of tensors) {
		const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
		if (bytes > cap) {
			throw new CheckpointError(
				`model.safetensors: tensor ${t.name} [${t.shape.join(', ')}] is ${bytes.toLocaleString('en')} bytes (${mb(bytes)}) as float32, over this WebGPU device's ${which} of ${cap.toLocaleString('en')} bytes (${mb(cap)}): it cannot be uploaded as one buffer. Use the wasm backend (dph --backend wasm, or wasm on the System page), which streams a model this size a block at a time, or a GPU whose adapter allows larger buffers`,
				'model.safetensors',
			);
		}
	}
}

// Make WebGPU available to tfjs in Node before any test imports it: Dawn (npm `webgpu`) on Debian's SwiftShader
// Vulkan driver. backend.ts does the same on its own; doing it here too means tests that import tfjs directly see
// the same globals. If Dawn cannot load, tests that need webgpu fail loudly (they never skip).
import { existsSync } from 'node:fs';

const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(icd)) process.env.VK_ICD_FILENAMES = icd;
// Silence tfjs' "hi there, you are running in Node" banner; keep real warnings.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
// No test times the backends unasked (a first `dph train` would otherwise measure for ~20 s) or reads the
// developer's stored measurement: commands without --backend keep the old rule (skip software GPUs).
process.env.DPH_BACKEND_MEASURE ??= '0';
process.env.DPH_BACKEND_CACHE ??= `${process.env.TMPDIR ?? '/tmp'}/dph-tests-no-backend-cache/backend.json`;

/**
 * safetensors: a validating, streamed reader and a byte-exact writer (F32, F16, BF16).
 *
 * Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON header, then the data section. The header maps
 * tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data section) plus an optional
 * `__metadata__` string→string map.
 *
 * The parts: json.ts (the strict JSON parser the header needs), header.ts (what makes a header valid, after the
 * reference crate), read.ts (streamed reading from a ByteSource), write.ts (the reference writer's layout).
 */
export type { Dtype } from '../dtype';
export type { ByteSource } from '../source';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, SafetensorsError, type TensorInfo } from './header';
export { MAX_TENSOR_ELEMENTS, openSafetensors, readSafetensors, type SafetensorsFile } from './read';
export {
	planSafetensors,
	type SafetensorsLayout,
	type TensorEntry,
	type TensorSpec,
	writeSafetensors,
} from './write';

/**
 * The safetensors writer: byte-exact with the reference writer (the Rust crate that Python's `save_file` uses), for
 * F32, F16 and BF16. `planSafetensors` lays a file out so a large one can be written tensor by tensor;
 * `writeSafetensors` builds a small one in memory.
 */
import { assertLittleEndian, DTYPE_SIZE, DTYPES, type Dtype, encodeFromFloat32, f32ToBF16, f32ToF16 } from '../dtype';

export interface TensorEntry {
	name: string;
	shape: number[];
	data: Float32Array;
	/** Stored dtype; float32 data is rounded to nearest-even for F16/BF16. Default F32. */
	dtype?: Dtype;
}

export interface TensorSpec {
	name: string;
	shape: number[];
	dtype: Dtype;
}

export interface SafetensorsLayout {
	/** The 8-byte length prefix followed by the padded header: the first bytes of the file. */
	head: Uint8Array<ArrayBuffer>;
	/** Tensors in the order their bytes follow the header, with offsets relative to the data section. */
	order: (TensorSpec & { begin: number; end: number })[];
	/** Total file size. */
	size: number;
}

/** Code-point order, which is the byte order of UTF-8 that the crate sorts by (JS `<` compares UTF-16 units). */
function compareNames(a: string, b: string): number {
	const x = [...a];
	const y = [...b];
	for (let i = 0; i < Math.min(x.length, y.length); i++) {
		const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
		if (d) return d;
	}
	return x.length - y.length;
}

/** The crate's dtype order (its enum order: BF16 sorts after F16); tensors are written by descending dtype. */
const DTYPE_RANK: Record<Dtype, number> = { F16: 0, BF16: 1, F32: 2 };

/**
 * The header and tensor order the reference writer (Rust crate, used by Python's `save_file`) produces: tensors
 * sorted by descending dtype alignment then by name, contiguous offsets, JSON with `__metadata__` first (when given
 * and non-empty), then the tensors in data order, padded with spaces to a multiple of 8 bytes. Lets a large file be
 * written tensor by tensor.
 */
export function planSafetensors(specs: TensorSpec[], metadata: Record<string, string> = {}): SafetensorsLayout {
	const seen = new Set<string>();
	for (const s of specs) {
		if (s.name === '__metadata__') throw new Error('safetensors: "__metadata__" cannot be a tensor name');
		if (seen.has(s.name)) throw new Error(`safetensors: tensor ${s.name} appears twice`);
		seen.add(s.name);
		if (!DTYPES.includes(s.dtype)) throw new Error(`safetensors: tensor ${s.name} has unsupported dtype ${s.dtype}`);
		if (!s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
			throw new Error(`safetensors: tensor ${s.name} has an invalid shape [${s.shape}]`);
		}
	}
	for (const [k, v] of Object.entries(metadata)) {
		if (typeof v !== 'string') throw new Error(`safetensors: metadata ${k} must be a string`);
	}
	const sorted = [...specs].sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareNames(a.name, b.name));
	let offset = 0;
	const order = sorted.map((s) => {
		const bytes = s.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[s.dtype];
		const item = { ...s, begin: offset, end: offset + bytes };
		offset += bytes;
		return item;
	});
	const parts: string[] = [];
	if (Object.keys(metadata).length) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
	for (const t of order) {
		parts.push(
			`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${t.begin},${t.end}]}`,
		);
	}
	const json = new TextEncoder().encode(`{${parts.join(',')}}`);
	const padded = Math.ceil(json.byteLength / 8) * 8;
	const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
	new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
	head.set(json, 8);
	return { head, order, size: head.byteLength + offset };
}

/** A whole safetensors file in memory (small checkpoints; large ones are written with planSafetensors). */
export function writeSafetensors(
	tensors: TensorEntry[],
	metadata: Record<string, string> = {},
): Uint8Array<ArrayBuffer> {
	for (const t of tensors) {
		if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
			throw new Error(`safetensors: tensor ${t.name} has an invalid shape [${t.shape}]`);
		}
		const size = t.shape.reduce((a, b) => a * b, 1);
		if (size !== t.data.length) {
			throw new Error(
				`safetensors: tensor ${t.name} has shape [${t.shape}] (${size} values) but ${t.data.length} values`,
			);
		}
	}
	const layout = planSafetensors(
		tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype ?? 'F32' })),
		metadata,
	);
	const byName = new Map(tensors.map((t) => [t.name, t]));
	const out = new Uint8Array(layout.size);
	out.set(layout.head, 0);
	const base = layout.head.byteLength;
	for (const t of layout.order) {
		const data = byName.get(t.name)!.data;
		if (t.dtype === 'F32') {
			// A byte view copies the values as stored (little-endian) whatever the input's alignment.
			out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), base + t.begin);
		} else if (t.begin % 2 === 0) {
			const halves = new Uint16Array(out.buffer, base + t.begin, data.length);
			assertLittleEndian();
			if (t.dtype === 'F16') f32ToF16(data, halves);
			else f32ToBF16(data, halves);
		} else {
			out.set(encodeFromFloat32(data, t.dtype), base + t.begin);
		}
	}
	return out;
}

/**
 * safetensors writing (F32) and in-memory reading, enough to save trained models as Hugging Face folders.
 * Layout: 8-byte little-endian header length N, N bytes of JSON header (padded with spaces to a multiple of 8, as
 * the reference implementation does), then the tensor bytes. Tensors are laid out in name order; the header lists
 * `__metadata__` first and then the tensors in the same order.
 * The streamed, validating reader for large checkpoints belongs to the checkpoint-loading work.
 */

export interface TensorEntry {
	name: string;
	shape: number[];
	data: Float32Array;
}

export interface HeaderEntry {
	dtype: string;
	shape: number[];
	data_offsets: [number, number];
}

export function writeSafetensors(tensors: TensorEntry[], metadata: Record<string, string> = {}): Uint8Array {
	const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	const header: Record<string, unknown> = {};
	if (Object.keys(metadata).length) header.__metadata__ = metadata;
	let offset = 0;
	for (const t of sorted) {
		const size = t.shape.reduce((a, b) => a * b, 1);
		if (size !== t.data.length) {
			throw new Error(
				`safetensors: tensor ${t.name} has shape [${t.shape}] (${size} values) but ${t.data.length} values`,
			);
		}
		header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
		offset += 4 * size;
	}
	let json = JSON.stringify(header);
	const enc = new TextEncoder();
	let headerBytes = enc.encode(json);
	const pad = (8 - (headerBytes.length % 8)) % 8;
	json += ' '.repeat(pad);
	headerBytes = enc.encode(json);
	const out = new Uint8Array(8 + headerBytes.length + offset);
	const view = new DataView(out.buffer);
	view.setBigUint64(0, BigInt(headerBytes.length), true);
	out.set(headerBytes, 8);
	let pos = 8 + headerBytes.length;
	for (const t of sorted) {
		// Copy through a byte view so the output is little-endian F32 regardless of the input's buffer offset.
		const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
		out.set(bytes, pos);
		pos += bytes.length;
	}
	return out;
}

/** Parse a whole safetensors file held in memory (F32 only): for tests and small checkpoints. */
export function readSafetensors(bytes: Uint8Array): { tensors: TensorEntry[]; metadata: Record<string, string> } {
	if (bytes.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const n = Number(view.getBigUint64(0, true));
	if (8 + n > bytes.length)
		throw new Error(`safetensors: header length ${n} runs past the end of the file (${bytes.length} bytes)`);
	const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
		string,
		HeaderEntry | Record<string, string>
	>;
	const metadata = (header.__metadata__ as Record<string, string>) ?? {};
	const tensors: TensorEntry[] = [];
	for (const [name, e] of Object.entries(header)) {
		if (name === '__metadata__') continue;
		const h = e as HeaderEntry;
		if (h.dtype !== 'F32') throw new Error(`safetensors: tensor ${name} has dtype ${h.dtype}; only F32 is read here`);
		const [s, t] = h.data_offsets;
		const start = 8 + n + s;
		const copy = bytes.slice(start, 8 + n + t);
		tensors.push({ name, shape: h.shape, data: new Float32Array(copy.buffer, 0, (t - s) / 4) });
	}
	return { tensors, metadata };
}

/**
 * Random-access byte sources for the streamed safetensors reader: a File/Blob (page and worker), a URL served with
 * HTTP Range support (files under static/), and bytes already in memory. Node files are in src/node/file-source.ts so
 * browser bundles never import node:fs.
 *
 * Contract: `read(offset, length)` resolves to exactly `length` bytes in a new buffer the caller owns (the reader
 * wraps F32 data without copying on that promise), or rejects with a ByteSourceError; so does `readInto`.
 */

export interface ByteSource {
	/** Shown in error messages: a file name or URL. */
	name: string;
	size: number;
	read(offset: number, length: number): Promise<Uint8Array>;
	/**
	 * Optional: fill `target` with the `target.byteLength` bytes at `offset`. Sources that can read into memory they
	 * did not allocate (files) offer it, so the reader can reuse one buffer for 16-bit tensors and read float32 data
	 * straight into its output array: fresh memory is the main cost of a large load.
	 */
	readInto?(offset: number, target: Uint8Array): Promise<void>;
}

export class ByteSourceError extends Error {
	override name = 'ByteSourceError';
	constructor(
		/** The message without the source prefix. */
		readonly detail: string,
		readonly source: string,
		/** The HTTP status, when a server's answer was the problem (404: no such file). */
		readonly status?: number,
	) {
		super(`${source}: ${detail}`);
	}
}

export function checkRange(name: string, size: number, offset: number, length: number): void {
	if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
		throw new ByteSourceError(`invalid read of ${length} bytes at ${offset}`, name);
	}
	if (offset + length > size) {
		throw new ByteSourceError(`read of bytes ${offset}–${offset + length} is past the end (${size} bytes)`, name);
	}
}

function checkLength(name: string, got: number, want: number, offset: number): void {
	if (got !== want) {
		throw new ByteSourceError(
			`asked for ${want} bytes at ${offset} but got ${got} (did the file change while it was being read?)`,
			name,
		);
	}
}

/** Bytes in memory (tests, small files, a body a server sent whole). Reads copy, as the contract requires. */
export function bytesSource(bytes: Uint8Array, name = 'bytes'): ByteSource {
	return {
		name,
		size: bytes.byteLength,
		async read(offset, length) {
			checkRange(name, bytes.byteLength, offset, length);
			return bytes.slice(offset, offset + length);
		},
	};
}

/** A browser File (from a picker or drag & drop) or any Blob; each read slices only the bytes asked for. */
export function blobSource(blob: Blob, name?: string): ByteSource {
	const label = name ?? ((blob as Partial<File>).name || 'blob');
	return {
		name: label,
		size: blob.size,
		async read(offset, length) {
			checkRange(label, blob.size, offset, length);
			const buf = await blob.slice(offset, offset + length).arrayBuffer();
			checkLength(label, buf.byteLength, length, offset);
			return new Uint8Array(buf);
		},
	};
}

export interface UrlSourceOptions {
	fetch?: typeof fetch;
	/**
	 * When the server ignores Range and sends the whole file, accept it (kept in memory) if it is at most this many
	 * bytes; larger files are an error, since holding them whole is exactly what streaming avoids. Default 64 MiB.
	 */
	maxWholeBody?: number;
	/** Extra request headers (e.g. authorisation for a private server). */
	headers?: Record<string, string>;
}

const RANGE_HINT =
	'the server must support HTTP Range requests (any static file server does: vite, sirv, nginx; python -m http.server does not)';

/** Parse `Content-Range: bytes a-b/size` (or `bytes *` + `/size` for an unsatisfiable range). */
function parseContentRange(v: string | null): { start?: number; end?: number; size?: number } | null {
	if (!v) return null;
	const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(v.trim());
	if (!m) return null;
	return {
		start: m[1] === undefined ? undefined : Number(m[1]),
		end: m[2] === undefined ? undefined : Number(m[2]),
		size: m[3] === '*' ? undefined : Number(m[3]),
	};
}

function encodingProblem(res: Response): string | null {
	const enc = res.headers.get('content-encoding');
	return enc && enc.toLowerCase() !== 'identity'
		? `the server compresses the file (Content-Encoding: ${enc}), so byte ranges do not match the file; serve .safetensors without compression`
		: null;
}

/** The whole body, or null (and the download cancelled) once it is known to exceed `max` bytes. */
async function readCapped(res: Response, max: number): Promise<Uint8Array | null> {
	const declared = Number(res.headers.get('content-length') ?? Number.NaN);
	if (declared > max || !res.body) {
		await res.body?.cancel();
		return res.body ? null : new Uint8Array(0);
	}
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > max) {
			await reader.cancel();
			return null;
		}
		chunks.push(value);
	}
	const out = new Uint8Array(total);
	let at = 0;
	for (const c of chunks) {
		out.set(c, at);
		at += c.byteLength;
	}
	return out;
}

/**
 * A file on an HTTP server, read with Range requests (one per tensor). Learns the size from a `Range: bytes=0-0`
 * request; if the server answers 200 with the whole body instead, small files are kept in memory and larger ones are
 * an error saying why.
 */
export async function urlSource(url: string, opts: UrlSourceOptions = {}): Promise<ByteSource> {
	const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
	const maxWhole = opts.maxWholeBody ?? 64 * 2 ** 20;
	const get = async (range: string) => {
		try {
			return await doFetch(url, { headers: { ...opts.headers, Range: range } });
		} catch (e) {
			throw new ByteSourceError(`request failed: ${(e as Error).message}`, url);
		}
	};

	const first = await get('bytes=0-0');
	if (first.status === 416) {
		// Nothing to serve at byte 0: an empty file (Content-Range: bytes */0) or a server without size information.
		await first.body?.cancel();
		const cr = parseContentRange(first.headers.get('content-range'));
		if (cr?.size === 0) return bytesSource(new Uint8Array(0), url);
		throw new ByteSourceError(`server answered 416 Range Not Satisfiable to a request for byte 0`, url);
	}
	if (first.status === 200) {
		// The server ignored Range. A small file is fine: read once, then served from memory. A large one would have to
		// be held whole, which is exactly what streaming avoids: stop reading as soon as it is known to be too big.
		const body = await readCapped(first, maxWhole);
		if (!body) {
			const declared = first.headers.get('content-length');
			throw new ByteSourceError(
				`the server ignored the Range request and sent the whole file (${declared ? `${declared} bytes` : `more than ${maxWhole} bytes`}); ${RANGE_HINT}`,
				url,
			);
		}
		return bytesSource(body, url);
	}
	if (first.status !== 206) {
		await first.body?.cancel();
		throw new ByteSourceError(`HTTP ${first.status} ${first.statusText}`.trim(), url, first.status);
	}
	const encoding = encodingProblem(first);
	if (encoding) {
		await first.body?.cancel();
		throw new ByteSourceError(encoding, url);
	}
	const cr = parseContentRange(first.headers.get('content-range'));
	await first.arrayBuffer();
	if (cr?.size === undefined) {
		throw new ByteSourceError(
			'the server answered the Range request without a total size in Content-Range (for a cross-origin URL it must list Content-Range in Access-Control-Expose-Headers)',
			url,
		);
	}
	const size = cr.size;
	return {
		name: url,
		size,
		async read(offset, length) {
			checkRange(url, size, offset, length);
			if (length === 0) return new Uint8Array(0);
			const res = await get(`bytes=${offset}-${offset + length - 1}`);
			if (res.status !== 206) {
				await res.body?.cancel();
				throw new ByteSourceError(
					res.status === 200
						? `the server stopped honouring Range requests (HTTP 200 for bytes ${offset}–${offset + length}); ${RANGE_HINT}`
						: `HTTP ${res.status} ${res.statusText} reading bytes ${offset}–${offset + length}`,
					url,
				);
			}
			const got = parseContentRange(res.headers.get('content-range'));
			if (got?.start !== undefined && got.start !== offset) {
				await res.body?.cancel();
				throw new ByteSourceError(`asked for bytes from ${offset} but the server sent from ${got.start}`, url);
			}
			const bytes = new Uint8Array(await res.arrayBuffer());
			checkLength(url, bytes.byteLength, length, offset);
			return bytes;
		},
	};
}

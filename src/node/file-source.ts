/**
 * A file on disk as a ByteSource (Node only: imports node:fs, so browser code must not import this module).
 * Each read opens the file, reads at a position and closes it again: a few hundred opens per checkpoint cost
 * nothing next to the data, and no file handle is left for the caller to close.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ByteSource, ByteSourceError, checkRange } from '../lib/dph/checkpoint/source';

// FileHandle.read moves at most 2 GiB per call; read larger ranges in slices.
const MAX_READ = 1 << 30;

export async function fileSource(path: string, name = basename(path)): Promise<ByteSource> {
	let size: number;
	try {
		const s = await stat(path);
		if (!s.isFile()) throw new Error('not a regular file');
		size = s.size;
	} catch (e) {
		throw new ByteSourceError(`cannot open ${path}: ${(e as Error).message}`, name);
	}
	const readInto = async (offset: number, target: Uint8Array) => {
		const length = target.byteLength;
		checkRange(name, size, offset, length);
		const fh = await open(path, 'r');
		try {
			let done = 0;
			while (done < length) {
				const { bytesRead } = await fh.read(target, done, Math.min(MAX_READ, length - done), offset + done);
				if (bytesRead === 0) {
					throw new ByteSourceError(
						`file ended at ${offset + done} bytes while reading ${length} bytes at ${offset} (it was ${size} bytes when opened; did it change?)`,
						name,
					);
				}
				done += bytesRead;
			}
		} finally {
			await fh.close();
		}
	};
	return {
		name,
		size,
		readInto,
		async read(offset, length) {
			checkRange(name, size, offset, length);
			// A fresh ArrayBuffer of exactly `length` bytes (not Node's pooled Buffer memory), owned by the caller.
			const out = new Uint8Array(length);
			await readInto(offset, out);
			return out;
		},
	};
}

// GET/PUT /api/notebooks/<slug>: read and write notebooks/<slug>.html. Only validated slugs reach the file system
// (see src/lib/notebook/slug.js), only plain files inside the folder are read, a body is saved only when it is a
// notebook (notebook-validate.mjs, checked off the event loop), and writes are atomic (temp + rename).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_NOTEBOOK_BYTES, slugProblem } from '../src/lib/notebook/slug.js';

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
export function json(res, status, body) {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
	res.end(JSON.stringify(body));
}

/** A save's temporary file: `.<slug>.<8 hex>.tmp`, renamed over `<slug>.html` when written. */
const TEMP = /^\.[a-z0-9][a-z0-9_-]{0,79}\.[0-9a-f]{8}\.tmp$/;
/** A temporary older than this belongs to a save that died (kill -9, power loss), not to one in progress. */
export const STALE_TEMP_MS = 60_000;

/**
 * Delete temporaries left by saves that never finished.
 * @param {string} dir @param {number} [maxAgeMs]
 * @returns {Promise<string[]>} the names deleted
 */
export async function cleanStaleTemporaries(dir, maxAgeMs = STALE_TEMP_MS) {
	/** @type {string[]} */
	const removed = [];
	let names;
	try {
		names = await readdir(dir);
	} catch {
		return removed;
	}
	const now = Date.now();
	for (const name of names.filter((n) => TEMP.test(n))) {
		try {
			const st = await lstat(join(dir, name));
			if (st.isFile() && now - st.mtimeMs > maxAgeMs) {
				await unlink(join(dir, name));
				removed.push(name);
			}
		} catch {
			// Gone already, or not ours to delete: either way nothing to do.
		}
	}
	return removed;
}

/**
 * Read the request body, refusing more than `limit` bytes without buffering them.
 * @param {import('node:http').IncomingMessage} req @param {number} limit @returns {Promise<Buffer>}
 */
function readBody(req, limit) {
	return new Promise((resolve, reject) => {
		/** @type {Buffer[]} */
		const chunks = [];
		let size = 0;
		req.on('data', (/** @type {Buffer} */ c) => {
			size += c.length;
			if (size <= limit) chunks.push(c);
		});
		req.on('end', () =>
			size > limit ? reject(Object.assign(new Error('too large'), { size })) : resolve(Buffer.concat(chunks)),
		);
		req.on('error', reject);
	});
}

/**
 * Why the PUT's Content-Type is refused, or null. text/html only: a browser sends that cross-origin only after a
 * CORS preflight, which this server never grants, while text/plain and form bodies need none.
 * @param {string | undefined} contentType
 * @returns {string | null}
 */
function contentTypeProblem(contentType) {
	const [type, ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
	if (type !== 'text/html')
		return `a notebook is sent as "Content-Type: text/html; charset=utf-8", not ${contentType ? `"${contentType}"` : 'without a Content-Type'}`;
	const charset = params
		.find((p) => p.startsWith('charset='))
		?.slice(8)
		.replace(/"/g, '');
	if (charset && charset !== 'utf-8' && charset !== 'utf8')
		return `a notebook is sent as UTF-8, not as ${charset}; use "Content-Type: text/html; charset=utf-8"`;
	return null;
}

/**
 * A file-system error as a sentence for the client: its code and what to do, never the server's paths.
 * @param {unknown} err @param {string} what
 */
function fsError(err, what) {
	const code = /** @type {NodeJS.ErrnoException} */ (err)?.code ?? 'error';
	console.error(`[notebooks] ${what}:`, err);
	const hint =
		code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
			? 'the notebooks folder is not writable'
			: code === 'ENOSPC'
				? 'the disk is full'
				: 'see the server console for details';
	return `The server could not ${what} (${code}): ${hint}.`;
}

/**
 * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 * @param {string} rawSlug the path segment after /api/notebooks/ (still URL-encoded)
 * @param {string} dir the notebooks/ directory
 * @param {{ check(bytes: Uint8Array): Promise<string | null> }} checker decides whether a body is a notebook
 */
export async function handleNotebookRequest(req, res, rawSlug, dir, checker) {
	let slug;
	try {
		slug = decodeURIComponent(rawSlug);
	} catch {
		return json(res, 400, { error: `"${rawSlug}" is not a valid URL-encoded notebook name` });
	}
	const problem = slugProblem(slug);
	if (problem) return json(res, 400, { error: problem });
	const name = `notebooks/${slug}.html`;
	const file = join(dir, `${slug}.html`);
	if (req.method === 'GET' || req.method === 'HEAD') {
		let st;
		try {
			st = await lstat(file);
		} catch {
			return json(res, 404, { error: `No notebook ${name}` });
		}
		if (!st.isFile())
			return json(res, 403, {
				error: `${name} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a plain file'}; the server reads only plain files in the notebooks folder`,
			});
		let text;
		try {
			// O_NOFOLLOW: a link swapped in after the lstat is refused too (where the platform has the flag).
			const fh = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
			try {
				text = await fh.readFile('utf8');
			} finally {
				await fh.close();
			}
		} catch (e) {
			return json(res, 500, { error: fsError(e, `read ${name}`) });
		}
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
		return res.end(req.method === 'HEAD' ? undefined : text);
	}
	if (req.method === 'PUT') {
		const typeProblem = contentTypeProblem(req.headers['content-type']);
		if (typeProblem) {
			req.resume();
			return json(res, 415, { error: `Not saved: ${typeProblem}` });
		}
		let body;
		try {
			body = await readBody(req, MAX_NOTEBOOK_BYTES);
		} catch (err) {
			const e = /** @type {Error & { size?: number }} */ (err);
			if (e.size)
				return json(res, 413, {
					error: `Not saved: the notebook is ${e.size} bytes; the limit is ${MAX_NOTEBOOK_BYTES} bytes (${MAX_NOTEBOOK_BYTES / 1048576} MiB). Move large data out of its cells into files.`,
				});
			return json(res, 400, { error: `Could not read the request: ${e.message}` });
		}
		let bad;
		try {
			bad = await checker.check(body);
		} catch (e) {
			return json(res, 503, { error: `Not saved: ${/** @type {Error} */ (e).message}` });
		}
		if (bad) return json(res, 400, { error: `Not saved: ${bad}` });
		const tmp = join(dir, `.${slug}.${randomBytes(4).toString('hex')}.tmp`);
		try {
			// A missing folder (deleted, or a fresh DPH_NOTEBOOKS_DIR) is created rather than failing the save.
			await mkdir(dir, { recursive: true });
			await writeFile(tmp, body);
			await rename(tmp, file);
		} catch (e) {
			await unlink(tmp).catch(() => {});
			return json(res, 500, { error: fsError(e, `save ${name}`) });
		}
		return json(res, 200, { ok: true, path: name, bytes: body.length });
	}
	res.setHeader('Allow', 'GET, HEAD, PUT');
	req.resume();
	if (req.method === 'OPTIONS') {
		// No Access-Control-Allow-* headers: a browser's preflight for another site's page fails here.
		res.writeHead(204);
		return res.end();
	}
	return json(res, 405, {
		error: `${req.method} is not supported here; read a notebook with GET and save it with PUT (Content-Type: text/html)`,
	});
}

// GET/PUT /api/notebooks/<slug>: read and write notebooks/<slug>.html. Only validated slugs reach the file system
// (see src/lib/notebook/slug.js), the body must be a parseable Notebook Kit file, and writes are atomic.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_NOTEBOOK_BYTES, slugProblem } from '../src/lib/notebook/slug.js';

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
function json(res, status, body) {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
	res.end(JSON.stringify(body));
}

/**
 * Read the request body, refusing more than `limit` bytes without buffering them.
 * @param {import('node:http').IncomingMessage} req @param {number} limit @returns {Promise<string>}
 */
function readBody(req, limit) {
	return new Promise((resolve, reject) => {
		/** @type {Buffer[]} */
		const chunks = [];
		let size = 0;
		let over = false;
		req.on('data', (/** @type {Buffer} */ c) => {
			size += c.length;
			if (size > limit) over = true;
			else chunks.push(c);
		});
		req.on('end', () =>
			over ? reject(Object.assign(new Error('too large'), { size })) : resolve(Buffer.concat(chunks).toString('utf8')),
		);
		req.on('error', reject);
	});
}

/** @type {DOMParser | undefined} */
let domParser;
/**
 * Validate with Notebook Kit's own deserialize, through jsdom's DOMParser (loaded on first save).
 * @param {string} source @returns {Promise<string | null>}
 */
async function problemWithNotebook(source) {
	if (!/<notebook[\s>]/i.test(source))
		return 'the body is not a notebook: expected a <notebook> element (Notebook Kit 2 HTML)';
	if (!domParser) {
		const { JSDOM } = await import('jsdom');
		domParser = new new JSDOM('').window.DOMParser();
	}
	try {
		const { deserialize } = await import('@observablehq/notebook-kit');
		deserialize(source, { parser: domParser });
		return null;
	} catch (e) {
		return `the notebook could not be parsed: ${/** @type {Error} */ (e).message}`;
	}
}

/**
 * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 * @param {string} rawSlug the path segment after /api/notebooks/ (still URL-encoded)
 * @param {string} dir the notebooks/ directory
 */
export async function handleNotebookRequest(req, res, rawSlug, dir) {
	let slug;
	try {
		slug = decodeURIComponent(rawSlug);
	} catch {
		return json(res, 400, { error: `"${rawSlug}" is not a valid URL-encoded notebook name` });
	}
	const problem = slugProblem(slug);
	if (problem) return json(res, 400, { error: problem });
	const file = join(dir, `${slug}.html`);
	if (req.method === 'GET') {
		try {
			const text = await readFile(file, 'utf8');
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
			return res.end(text);
		} catch {
			return json(res, 404, { error: `No notebook notebooks/${slug}.html` });
		}
	}
	if (req.method === 'PUT' || req.method === 'POST') {
		let body;
		try {
			body = await readBody(req, MAX_NOTEBOOK_BYTES);
		} catch (err) {
			const e = /** @type {Error & { size?: number }} */ (err);
			if (e.size)
				return json(res, 400, {
					error: `The notebook is ${(e.size / 1048576).toFixed(1)} MB; the limit is ${MAX_NOTEBOOK_BYTES / 1048576} MB`,
				});
			return json(res, 400, { error: `Could not read the request: ${e.message}` });
		}
		const bad = await problemWithNotebook(body);
		if (bad) return json(res, 400, { error: `Not saved: ${bad}` });
		const tmp = join(dir, `.${slug}.${randomBytes(4).toString('hex')}.tmp`);
		await writeFile(tmp, body, 'utf8');
		await rename(tmp, file);
		return json(res, 200, { ok: true, path: `notebooks/${slug}.html`, bytes: Buffer.byteLength(body) });
	}
	res.setHeader('Allow', 'GET, PUT');
	return json(res, 405, { error: `${req.method} is not supported here; use GET or PUT` });
}

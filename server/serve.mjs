#!/usr/bin/env node
// The workbench's small Node server: serves the static build and the few endpoints that need a Node host
// (later: saving notebooks to notebooks/). In a static deployment the pages detect its absence via /api/health.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { handleNotebookRequest } from './notebooks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
function json(res, status, body) {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
	res.end(JSON.stringify(body));
}

/**
 * @param {{ buildDir?: string, notebooksDir?: string }} [opts]
 * @returns {import('node:http').Server}
 */
export function createWorkbenchServer(opts = {}) {
	const buildDir = opts.buildDir ?? join(root, 'build');
	const notebooksDir = opts.notebooksDir ?? process.env.DPH_NOTEBOOKS_DIR ?? join(root, 'notebooks');
	const assets = sirv(buildDir, { extensions: ['html'], etag: true, gzip: false, dev: false });
	let notFound = '<h1>Not found</h1>';
	try {
		notFound = readFileSync(join(buildDir, '404.html'), 'utf8');
	} catch {
		// A build without a 404 page still serves everything else.
	}
	return createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (url.pathname === '/api/health')
			return json(res, 200, { ok: true, name: pkg.name, version: pkg.version, server: 'node' });
		// Match the raw path: URL parsing would resolve "../" before we could refuse it.
		const nb = /^\/api\/notebooks\/(.*)$/.exec((req.url ?? '/').split('?')[0]);
		if (nb) {
			return handleNotebookRequest(req, res, nb[1], notebooksDir).catch((e) =>
				json(res, 500, { error: `The server could not handle the notebook: ${e.message}` }),
			);
		}
		if (url.pathname.startsWith('/api/')) return json(res, 404, { error: `No endpoint ${url.pathname}` });
		assets(req, res, () => {
			res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
			res.end(notFound);
		});
	});
}

/**
 * Listen on `port`, or the next free one when it is taken (a second workbench should not just crash).
 * @param {import('node:http').Server} server @param {number} port @param {string} [host] @param {number} [tries]
 * @returns {Promise<number>}
 */
export function listen(server, port, host = '127.0.0.1', tries = 20) {
	return new Promise((resolve, reject) => {
		/** @param {number} p @param {number} left */
		const attempt = (p, left) => {
			server.once('error', (/** @type {NodeJS.ErrnoException} */ err) => {
				if (err.code === 'EADDRINUSE' && left > 0) attempt(p + 1, left - 1);
				else reject(err);
			});
			server.listen(p, host, () => resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port));
		};
		attempt(port, tries);
	});
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	const port = Number(process.env.PORT ?? 4173);
	const host = process.env.HOST ?? '127.0.0.1';
	const server = createWorkbenchServer();
	const actual = await listen(server, port, host);
	console.log(`DPH Workbench is running at http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/`);
}

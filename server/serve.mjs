#!/usr/bin/env node
// The workbench's small Node server: serves the static build and the few endpoints that need a Node host
// (later: saving notebooks to notebooks/). In a static deployment the pages detect its absence via /api/health.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { NotebookChecker } from './notebook-check.mjs';
import { cleanStaleTemporaries, handleNotebookRequest, json } from './notebooks.mjs';
import { allowedHosts, appCsp, foreignRequestProblem, inlineScriptHashes, setSecurityHeaders } from './security.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * @param {{ buildDir?: string, notebooksDir?: string, host?: string, allowedHosts?: string }} [opts]
 *   host: the address it will listen on (default HOST or 127.0.0.1); allowedHosts: more host names it answers to
 *   (default DPH_ALLOWED_HOSTS), see docs/SECURITY.md
 * @returns {import('node:http').Server}
 */
export function createWorkbenchServer(opts = {}) {
	const buildDir = opts.buildDir ?? join(root, 'build');
	const notebooksDir = opts.notebooksDir ?? process.env.DPH_NOTEBOOKS_DIR ?? join(root, 'notebooks');
	const allowed = allowedHosts({
		host: opts.host ?? process.env.HOST ?? '127.0.0.1',
		extra: opts.allowedHosts ?? process.env.DPH_ALLOWED_HOSTS ?? '',
	});
	// Every file gets the app's policy: it governs the pages, and the workers started from these scripts.
	const pageCsp = appCsp(inlineScriptHashes(buildDir));
	const assets = sirv(buildDir, {
		extensions: ['html'],
		etag: true,
		gzip: false,
		dev: false,
	});
	let notFound = '<h1>Not found</h1>';
	try {
		notFound = readFileSync(join(buildDir, '404.html'), 'utf8');
	} catch {
		// A build without a 404 page still serves everything else.
	}
	const checker = new NotebookChecker();
	const server = createServer((req, res) => {
		setSecurityHeaders(res);
		const url = new URL(req.url ?? '/', 'http://localhost');
		const foreign = foreignRequestProblem(req, allowed);
		if (foreign) {
			req.resume();
			if (url.pathname.startsWith('/api/')) return json(res, 403, { error: `Refused: ${foreign}` });
			res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
			return res.end(`Refused: ${foreign}\n`);
		}
		if (url.pathname === '/api/health')
			return json(res, 200, { ok: true, name: pkg.name, version: pkg.version, server: 'node' });
		// Match the raw path: URL parsing would resolve "../" before we could refuse it.
		const nb = /^\/api\/notebooks\/(.*)$/.exec((req.url ?? '/').split('?')[0]);
		if (nb) {
			return handleNotebookRequest(req, res, nb[1], notebooksDir, checker).catch((e) => {
				console.error('[notebooks]', e);
				if (!res.headersSent) json(res, 500, { error: 'The server could not handle the notebook; see its console' });
				else res.end();
			});
		}
		if (url.pathname.startsWith('/api/')) return json(res, 404, { error: `No endpoint ${url.pathname}` });
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			req.resume();
			res.setHeader('Allow', 'GET, HEAD');
			return json(res, 405, { error: `${req.method} is not supported for ${url.pathname}; the pages are read-only` });
		}
		// Set before sirv answers: its 304 for a cached page skips setHeaders, and a 304's CSP replaces the cached
		// one, so a reload would otherwise run the page under the API's sandbox policy.
		res.setHeader('Content-Security-Policy', pageCsp);
		assets(req, res, () => {
			res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
			res.end(notFound);
		});
	});
	server.on('listening', () => {
		checker.warm();
		// Saves killed mid-write (kill -9) leave temporaries; a minute-old one is no save in progress.
		cleanStaleTemporaries(notebooksDir).catch(() => {});
	});
	server.on('close', () => {
		checker.close().catch(() => {});
	});
	return server;
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
	const server = createWorkbenchServer({ host });
	const actual = await listen(server, port, host);
	console.log(`DPH Workbench is running at http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/`);
}

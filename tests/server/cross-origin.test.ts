import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbenchServer } from '../../server/serve.mjs';
import { send, startServer } from './http';

// Issue 13, defect 1: another site's page (or a DNS-rebound name) must not be able to write notebooks.

const valid = readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8');
const planted = '<notebook><title>x</title><script id="1" type="module">document.title = "pwned"</script></notebook>';
let s: Awaited<ReturnType<typeof startServer>>;
let welcome = '';

beforeAll(async () => {
	s = await startServer();
	welcome = readFileSync(join(s.dir, 'welcome.html'), 'utf8');
});
afterAll(() => s.close());

const own = () => `127.0.0.1:${s.port}`;

describe('writes only by PUT with text/html, from the server’s own origin', () => {
	it('refuses the simple requests a foreign page can send without a preflight, leaving welcome.html as it was', async () => {
		const attempts: [string, string, Record<string, string>, number][] = [
			['POST', planted, { 'Content-Type': 'text/plain' }, 405],
			['POST', `${planted.slice(0, 40)}=${planted.slice(41)}`, { 'Content-Type': 'text/plain' }, 405],
			['POST', `a=${encodeURIComponent(planted)}`, { 'Content-Type': 'application/x-www-form-urlencoded' }, 405],
			['PUT', planted, { 'Content-Type': 'text/plain' }, 415],
			['PUT', planted, { 'Content-Type': 'application/x-www-form-urlencoded' }, 415],
			['PUT', planted, { 'Content-Type': 'multipart/form-data; boundary=x' }, 415],
			['PUT', planted, {}, 415],
			['PUT', planted, { 'Content-Type': 'text/html; charset=iso-8859-1' }, 415],
		];
		for (const [method, body, headers, status] of attempts) {
			const r = await send(s.port, method, '/api/notebooks/welcome', body, headers);
			expect(r.status, `${method} ${JSON.stringify(headers)}`).toBe(status);
			expect(JSON.parse(r.text).error).toMatch(/PUT|text\/html|UTF-8/);
		}
		expect(readFileSync(join(s.dir, 'welcome.html'), 'utf8')).toBe(welcome);
	});

	it('refuses a foreign Origin (even with the right Host) and a foreign Host (DNS rebinding) with 403', async () => {
		const html = { 'Content-Type': 'text/html' };
		for (const origin of ['http://127.0.0.1:4180', 'http://evil.example', 'null', `https://127.0.0.1:${s.port}x`]) {
			const r = await send(s.port, 'PUT', '/api/notebooks/welcome', planted, { ...html, Origin: origin });
			expect(r.status, origin).toBe(403);
			expect(JSON.parse(r.text).error).toContain('refused');
		}
		for (const host of ['evil.example', `evil.example:${s.port}`, '127.0.0.1:1', `127.0.0.1.nip.io:${s.port}`]) {
			for (const method of ['GET', 'PUT']) {
				const r = await send(s.port, method, '/api/notebooks/welcome', method === 'PUT' ? planted : undefined, {
					...html,
					Host: host,
				});
				expect(r.status, `${method} Host: ${host}`).toBe(403);
				expect(r.text).not.toContain('<notebook');
			}
		}
		expect(readFileSync(join(s.dir, 'welcome.html'), 'utf8')).toBe(welcome);
	});

	it('never grants a CORS preflight from another origin', async () => {
		const r = await send(s.port, 'OPTIONS', '/api/notebooks/welcome', undefined, {
			Origin: 'http://127.0.0.1:4180',
			'Access-Control-Request-Method': 'PUT',
			'Access-Control-Request-Headers': 'content-type',
		});
		expect(r.status).toBe(403);
		expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
	});

	it('accepts the app’s own save: PUT text/html from its own origin, by 127.0.0.1 or localhost', async () => {
		for (const [host, origin] of [
			[own(), `http://${own()}`],
			[`localhost:${s.port}`, `http://localhost:${s.port}`],
			[own(), undefined],
		]) {
			const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8', Host: host as string };
			if (origin) headers.Origin = origin;
			const r = await send(s.port, 'PUT', '/api/notebooks/own-save', valid, headers);
			expect(r.status, `${host} ${origin}`).toBe(200);
			expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
		}
	});

	it('answers to the names in DPH_ALLOWED_HOSTS (a name at any port, a name:port exactly)', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-nb-'));
		const server = createWorkbenchServer({
			notebooksDir: dir,
			buildDir: dir,
			allowedHosts: 'workbench.lan, proxy.example:8443',
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as import('node:net').AddressInfo).port;
		try {
			const status = async (host: string, origin?: string) =>
				(await send(port, 'GET', '/api/health', undefined, origin ? { Host: host, Origin: origin } : { Host: host }))
					.status;
			expect(await status('workbench.lan')).toBe(200);
			expect(await status(`workbench.lan:${port}`, 'https://workbench.lan')).toBe(200);
			expect(await status('proxy.example:8443', 'https://proxy.example:8443')).toBe(200);
			expect(await status('proxy.example')).toBe(403);
			expect(await status('other.lan')).toBe(403);
		} finally {
			await new Promise<void>((r) => server.close(() => r()));
		}
	});
});

describe('security headers on every response', () => {
	it('static pages, 404s, the API, refusals: nosniff, Referrer-Policy, no framing, a CSP', async () => {
		const build = mkdtempSync(join(tmpdir(), 'dph-build-'));
		const boot = 'console.log("boot")';
		writeFileSync(join(build, 'index.html'), `<!doctype html><script>${boot}</script><script src="/x.js"></script>`);
		writeFileSync(join(build, '404.html'), '<!doctype html><p>missing</p>');
		writeFileSync(join(build, 'x.js'), 'export {}');
		const server = createWorkbenchServer({ notebooksDir: s.dir, buildDir: build });
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as import('node:net').AddressInfo).port;
		try {
			const replies = {
				page: await send(port, 'GET', '/'),
				asset: await send(port, 'GET', '/x.js'),
				missingPage: await send(port, 'GET', '/no/such/page'),
				health: await send(port, 'GET', '/api/health'),
				notebook: await send(port, 'GET', '/api/notebooks/welcome'),
				missingNotebook: await send(port, 'GET', '/api/notebooks/nope'),
				badName: await send(port, 'GET', '/api/notebooks/..%2Fx'),
				post: await send(port, 'POST', '/api/notebooks/welcome', 'x', { 'Content-Type': 'text/plain' }),
				foreign: await send(port, 'GET', '/', undefined, { Host: 'evil.example' }),
			};
			for (const [name, r] of Object.entries(replies)) {
				expect(r.headers['x-content-type-options'], name).toBe('nosniff');
				expect(r.headers['referrer-policy'], name).toBe('same-origin');
				expect(r.headers['x-frame-options'], name).toBe('DENY');
				// Cross-origin isolation (wasm threads) on every answer, pages and the files their workers load alike.
				expect(r.headers['cross-origin-opener-policy'], name).toBe('same-origin');
				expect(r.headers['cross-origin-embedder-policy'], name).toBe('require-corp');
				expect(r.headers['cross-origin-resource-policy'], name).toBe('same-origin');
				expect(r.headers['content-security-policy'], name).toContain("frame-ancestors 'none'");
			}
			const pageCsp = String(replies.page.headers['content-security-policy']);
			expect(pageCsp).toContain("connect-src 'self'");
			expect(pageCsp).toContain("object-src 'none'");
			const hash = (await import('node:crypto')).createHash('sha256').update(boot).digest('base64');
			expect(pageCsp).toContain(`'sha256-${hash}'`);
			expect(pageCsp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
			expect(replies.missingPage.headers['content-security-policy']).toBe(pageCsp);
			// A reload revalidates: the 304's policy replaces the cached page's, so it must be the page's too.
			const etag = String(replies.page.headers.etag);
			const revalidated = await send(port, 'GET', '/', undefined, { 'If-None-Match': etag });
			expect(revalidated.status).toBe(304);
			expect(revalidated.headers['content-security-policy']).toBe(pageCsp);
			// A notebook file opened directly in the browser runs nothing: its cells are <script>s.
			expect(replies.notebook.headers['content-security-policy']).toMatch(/sandbox/);
			expect(replies.notebook.headers['content-security-policy']).toMatch(/default-src 'none'/);
		} finally {
			await new Promise<void>((r) => server.close(() => r()));
		}
	});
});

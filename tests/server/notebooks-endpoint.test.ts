import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkbenchServer } from '../../server/serve.mjs';

let base = '';
let dir = '';
let server: import('node:http').Server;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'dph-nb-'));
	writeFileSync(join(dir, 'welcome.html'), readFileSync('notebooks/welcome.html'));
	server = createWorkbenchServer({ notebooksDir: dir, buildDir: dir });
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A raw HTTP request: fetch() would normalise "../" in the path before it reaches the server. */
function send(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
	return new Promise((resolve, reject) => {
		const { hostname, port } = new URL(base);
		const opts = { hostname, port, path, method, headers: { 'Content-Type': 'text/html' } };
		const req = request(opts, (res) => {
			let text = '';
			res.on('data', (c) => {
				text += c;
			});
			res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

const valid = readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8');

describe('notebook save endpoint', () => {
	it('writes a valid notebook to notebooks/<slug>.html and reads it back', async () => {
		const put = await send('PUT', '/api/notebooks/my-notes', valid);
		expect(put.status).toBe(200);
		expect(JSON.parse(put.text)).toMatchObject({ ok: true, path: 'notebooks/my-notes.html' });
		expect(readFileSync(join(dir, 'my-notes.html'), 'utf8')).toBe(valid);
		const get = await send('GET', '/api/notebooks/my-notes');
		expect(get.status).toBe(200);
		expect(get.text).toBe(valid);
	});

	it('answers 400 with a reason to ../x, a/b, encoded traversal and other bad names, writing nothing', async () => {
		const before = readdirSync(dir).sort();
		for (const path of ['../x', 'a/b', '..%2Fx', '%2Fetc%2Fpasswd', 'a%00b', 'UPPER', '']) {
			const r = await send('PUT', `/api/notebooks/${path}`, valid);
			expect(r.status, path).toBe(400);
			expect(JSON.parse(r.text).error, path).toMatch(/notebook name|path separator|"\.\."|NUL|empty/);
		}
		expect(readdirSync(dir).sort()).toEqual(before);
		expect(readdirSync(join(dir, '..')).includes('x.html')).toBe(false);
	});

	it('answers 413 to an oversize body and 400 to a body that is not a notebook', async () => {
		const big = await send('PUT', '/api/notebooks/big', `<notebook>${'x'.repeat(2 * 1024 * 1024 + 10)}</notebook>`);
		expect(big.status).toBe(413);
		// Exact numbers: "2.0 MB; the limit is 2 MB" read as if the file were within the limit.
		expect(JSON.parse(big.text).error).toMatch(/is 2097183 bytes; the limit is 2097152 bytes \(2 MiB\)/);
		const notNb = await send('PUT', '/api/notebooks/page', '<html><body>hello</body></html>');
		expect(notNb.status).toBe(400);
		expect(JSON.parse(notNb.text).error).toMatch(/not a notebook/);
		expect(readdirSync(dir)).not.toContain('big.html');
		expect(readdirSync(dir)).not.toContain('page.html');
	});

	it('404s a missing notebook and 405s other methods, POST included (writes are PUT only)', async () => {
		expect((await send('GET', '/api/notebooks/missing')).status).toBe(404);
		expect((await send('DELETE', '/api/notebooks/welcome')).status).toBe(405);
		const post = await send('POST', '/api/notebooks/posted', valid);
		expect(post.status).toBe(405);
		expect(readdirSync(dir)).not.toContain('posted.html');
	});
});

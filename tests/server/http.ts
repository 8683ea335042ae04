// Raw HTTP for the server tests: fetch() would normalise "../" in paths and refuses to forge Host or Origin.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchServer } from '../../server/serve.mjs';

export type Reply = { status: number; text: string; headers: import('node:http').IncomingHttpHeaders; ms: number };

export async function startServer(opts: { notebooksDir?: string; buildDir?: string } = {}) {
	const dir = opts.notebooksDir ?? mkdtempSync(join(tmpdir(), 'dph-nb-'));
	if (!opts.notebooksDir) writeFileSync(join(dir, 'welcome.html'), readFileSync('notebooks/welcome.html'));
	const server: Server = createWorkbenchServer({
		notebooksDir: dir,
		buildDir: opts.buildDir ?? dir,
		host: '127.0.0.1',
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const port = (server.address() as AddressInfo).port;
	return { server, dir, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export function send(
	port: number,
	method: string,
	path: string,
	body?: string | Buffer,
	headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8' },
): Promise<Reply> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		const req = request(
			{ hostname: '127.0.0.1', port, path, method, headers, setHost: !('Host' in headers) },
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () =>
					resolve({
						status: res.statusCode ?? 0,
						text: Buffer.concat(chunks).toString('utf8'),
						headers: res.headers,
						ms: performance.now() - t0,
					}),
				);
			},
		);
		req.on('error', reject);
		req.end(body);
	});
}

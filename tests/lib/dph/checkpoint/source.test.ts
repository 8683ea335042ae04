import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlFolder } from '../../../../src/lib/dph/checkpoint/folder';
import { openSafetensors, writeSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { ByteSourceError, blobSource, bytesSource, urlSource } from '../../../../src/lib/dph/checkpoint/source';
import { fileSource } from '../../../../src/node/file-source';

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe('bytesSource and blobSource', () => {
	it('read exactly the asked bytes into caller-owned buffers', async () => {
		const bytes = pattern(100);
		for (const s of [bytesSource(bytes, 'mem'), blobSource(new Blob([bytes]), 'mem')]) {
			expect(s.size).toBe(100);
			const r = await s.read(10, 5);
			expect(Array.from(r)).toEqual(Array.from(bytes.subarray(10, 15)));
			r.fill(0);
			expect(bytes[10]).toBe(pattern(100)[10]);
			expect((await s.read(100, 0)).byteLength).toBe(0);
			await expect(s.read(98, 5)).rejects.toThrow(/mem: read of bytes 98–103 is past the end \(100 bytes\)/);
			await expect(s.read(-1, 2)).rejects.toBeInstanceOf(ByteSourceError);
		}
	});

	it('takes the name of a File', () => {
		expect(blobSource(new File([pattern(4)], 'model.safetensors')).name).toBe('model.safetensors');
		expect(blobSource(new Blob([pattern(4)])).name).toBe('blob');
	});
});

describe('fileSource', () => {
	let dir = '';
	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'dph-src-'));
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('reads at positions without holding the file', async () => {
		const path = join(dir, 'p.bin');
		await writeFile(path, pattern(5000));
		const s = await fileSource(path);
		expect([s.name, s.size]).toEqual(['p.bin', 5000]);
		const r = await s.read(4000, 1000);
		expect(Array.from(r)).toEqual(Array.from(pattern(5000).subarray(4000)));
		expect(r.byteOffset).toBe(0);
		expect(r.buffer.byteLength).toBe(1000);
		await expect(s.read(4999, 2)).rejects.toThrow(/past the end/);
	});

	it('says what is wrong with a missing file, a folder, and a file that shrank', async () => {
		await expect(fileSource(join(dir, 'none.safetensors'))).rejects.toThrow(/none\.safetensors: cannot open .*ENOENT/);
		await mkdir(join(dir, 'sub'));
		await expect(fileSource(join(dir, 'sub'))).rejects.toThrow(/not a regular file/);
		const path = join(dir, 'shrink.bin');
		await writeFile(path, pattern(100));
		const s = await fileSource(path);
		await truncate(path, 50);
		await expect(s.read(40, 20)).rejects.toThrow(/file ended at 50 bytes while reading 20 bytes at 40 .*did it change/);
	});
});

type Mode = 'range' | 'ignore' | 'ignore-chunked' | 'gzip' | 'flaky';

describe('urlSource against a local HTTP server', () => {
	let server: Server;
	let base = '';
	const files = new Map<string, { body: Uint8Array; mode: Mode }>();
	const log: { path: string; range?: string; status: number }[] = [];

	beforeAll(async () => {
		server = createServer((req, res) => {
			const path = req.url ?? '/';
			const f = files.get(path);
			const range = req.headers.range;
			const done = (status: number) => log.push({ path, range, status });
			if (!f) {
				res.writeHead(404).end('not found');
				return done(404);
			}
			const body = Buffer.from(f.body);
			const rangeRequests = log.filter((l) => l.path === path).length;
			const honour = f.mode === 'range' || f.mode === 'gzip' || (f.mode === 'flaky' && rangeRequests < 2);
			const m = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
			if (!honour || !m) {
				if (f.mode === 'ignore-chunked') {
					res.writeHead(200, { 'content-type': 'application/octet-stream' });
					res.write(body.subarray(0, body.length >> 1));
					res.end(body.subarray(body.length >> 1));
				} else res.writeHead(200, { 'content-length': body.length }).end(body);
				return done(200);
			}
			const start = Number(m[1]);
			if (start >= body.length) {
				res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
				return done(416);
			}
			const end = Math.min(Number(m[2]), body.length - 1);
			const headers: Record<string, string | number> = {
				'content-range': `bytes ${start}-${end}/${body.length}`,
				'content-length': end - start + 1,
			};
			if (f.mode === 'gzip') headers['content-encoding'] = 'gzip';
			res.writeHead(206, headers).end(body.subarray(start, end + 1));
			done(206);
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		await new Promise((r) => server.close(r));
	});

	const serve = (path: string, body: Uint8Array, mode: Mode = 'range') => {
		files.set(path, { body, mode });
		log.length = 0;
		return `${base}${path}`;
	};

	const model = () =>
		writeSafetensors(
			[
				{ name: 'model.w', shape: [40, 30], dtype: 'F16', data: Float32Array.from({ length: 1200 }, (_, i) => i / 8) },
				{ name: 'model.b', shape: [30], dtype: 'BF16', data: Float32Array.from({ length: 30 }, (_, i) => -i) },
				{ name: 'model.s', shape: [], data: Float32Array.from([0.1]) },
			],
			{ format: 'pt' },
		);

	it('learns the size with a one-byte Range request, then reads each tensor with its own Range request', async () => {
		const bytes = model();
		const url = serve('/static/checkpoints/m/model.safetensors', bytes);
		const src = await urlSource(url);
		expect([src.name, src.size]).toEqual([url, bytes.byteLength]);
		expect(log).toEqual([{ path: '/static/checkpoints/m/model.safetensors', range: 'bytes=0-0', status: 206 }]);
		const f = await openSafetensors(src);
		const got = new Map<string, Float32Array>();
		for await (const { info, data } of f.entries()) got.set(info.name, data);
		expect(Array.from(got.get('model.w')!.subarray(0, 4))).toEqual([0, 0.125, 0.25, 0.375]);
		expect(got.get('model.w')![1199]).toBe(149.875);
		expect(Array.from(got.get('model.b')!.subarray(0, 3))).toEqual([-0, -1, -2]);
		expect(got.get('model.s')![0]).toBe(Math.fround(0.1));
		// prefix, header, then one request per tensor, each for exactly that tensor's bytes
		const ranges = log.slice(1).map((l) => l.range);
		expect(ranges).toEqual([
			'bytes=0-7',
			`bytes=8-${7 + f.headerLength}`,
			...f.tensors.map((t) => `bytes=${t.offset}-${t.offset + t.byteLength - 1}`),
		]);
		expect(log.every((l) => l.status === 206)).toBe(true);
	});

	it('urlFolder: a file is one size probe; a missing one is null (404), not an error', async () => {
		const bytes = model();
		serve('/ck/model.safetensors', bytes);
		const folder = urlFolder(`${base}/ck`);
		expect(folder.name).toBe('ck');
		const src = await folder.file('model.safetensors');
		expect(src?.size).toBe(bytes.byteLength);
		expect(log).toEqual([{ path: '/ck/model.safetensors', range: 'bytes=0-0', status: 206 }]);
		expect(await folder.file('tokenizer.json')).toBeNull();
		await expect(urlSource(`${base}/ck/tokenizer.json`)).rejects.toMatchObject({ status: 404 });
	});

	it('uses the fetch it is given', async () => {
		const url = serve('/f.safetensors', model());
		let calls = 0;
		const counting: typeof fetch = (input, init) => {
			calls++;
			return fetch(input, init);
		};
		const f = await openSafetensors(await urlSource(url, { fetch: counting }));
		await f.read('model.s');
		expect(calls).toBe(4);
	});

	it('refuses a large file from a server that ignores Range, saying so, without downloading it all', async () => {
		const url = serve('/big.safetensors', pattern(100_000), 'ignore');
		const err = await urlSource(url, { maxWholeBody: 1000 }).catch((e) => e);
		expect(err).toBeInstanceOf(ByteSourceError);
		expect(err.message).toMatch(
			/big\.safetensors: the server ignored the Range request and sent the whole file \(100000 bytes\); the server must support HTTP Range requests/,
		);
		const chunked = serve('/chunked.safetensors', pattern(100_000), 'ignore-chunked');
		await expect(urlSource(chunked, { maxWholeBody: 1000 })).rejects.toThrow(
			/ignored the Range request and sent the whole file \(more than 1000 bytes\)/,
		);
	});

	it('keeps a small file from a server that ignores Range, reading it once', async () => {
		const bytes = model();
		const url = serve('/small.safetensors', bytes, 'ignore');
		const f = await openSafetensors(await urlSource(url));
		expect(Array.from(await f.read('model.b')).slice(0, 2)).toEqual([-0, -1]);
		for await (const _ of f.entries()) {
			// drain
		}
		expect(log).toHaveLength(1);
		expect(log[0].status).toBe(200);
	});

	it('reports HTTP errors, compressed ranges, a server that stops honouring Range, and an empty file', async () => {
		await expect(urlSource(`${base}/missing.safetensors`)).rejects.toThrow(/missing\.safetensors: HTTP 404 Not Found/);
		const gz = serve('/gz.safetensors', model(), 'gzip');
		await expect(urlSource(gz)).rejects.toThrow(/Content-Encoding: gzip.*serve \.safetensors without compression/);
		const flaky = serve('/flaky.safetensors', model(), 'flaky');
		const err = await openSafetensors(await urlSource(flaky)).catch((e) => e);
		expect(err.message).toMatch(
			/flaky\.safetensors: could not read the header: the server stopped honouring Range requests \(HTTP 200 for bytes 8–\d+\)/,
		);
		const empty = serve('/empty.safetensors', new Uint8Array(0));
		const src = await urlSource(empty);
		expect(src.size).toBe(0);
		await expect(openSafetensors(src)).rejects.toThrow(/file is 0 bytes, shorter than the 8-byte header length/);
		await expect(urlSource('http://127.0.0.1:1/x.safetensors')).rejects.toThrow(/x\.safetensors: request failed/);
	});
});

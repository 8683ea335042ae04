import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanStaleTemporaries } from '../../server/notebooks.mjs';
import { isWindowsDeviceName, slugProblem, toSlug } from '../../src/lib/notebook/slug.js';
import { send, startServer } from './http';

// Issue 13, defect 5.

const valid = readFileSync('tests/fixtures/notebooks/cells-under-test.html');

describe('server hardening', () => {
	it('does not follow a symbolic link in notebooks/ out of the folder', async () => {
		const s = await startServer();
		try {
			const secret = join(mkdtempSync(join(tmpdir(), 'dph-outside-')), 'secret.txt');
			writeFileSync(secret, 'the secret outside the folder');
			symlinkSync(secret, join(s.dir, 'leak.html'));
			symlinkSync('/etc/passwd', join(s.dir, 'passwd.html'));
			for (const slug of ['leak', 'passwd']) {
				const r = await send(s.port, 'GET', `/api/notebooks/${slug}`);
				expect(r.status, slug).toBe(403);
				expect(JSON.parse(r.text).error).toMatch(/symbolic link/);
				expect(r.text).not.toMatch(/secret|root:/);
			}
			// A save replaces the link itself, never writes through it.
			expect((await send(s.port, 'PUT', '/api/notebooks/leak', valid)).status).toBe(200);
			expect(readFileSync(secret, 'utf8')).toBe('the secret outside the folder');
		} finally {
			await s.close();
		}
	});

	it('deletes temporaries older than a minute (a save killed with -9) when it starts, keeping fresh ones', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-nb-'));
		const stale = ['.welcome.0123abcd.tmp', '.my-notes.deadbeef.tmp'];
		const fresh = '.welcome.89abcdef.tmp';
		const old = new Date(Date.now() - 5 * 60_000);
		for (const name of stale) {
			writeFileSync(join(dir, name), 'half a notebook');
			utimesSync(join(dir, name), old, old);
		}
		writeFileSync(join(dir, fresh), 'a save in progress');
		writeFileSync(join(dir, 'notes.tmp'), 'not ours');
		utimesSync(join(dir, 'notes.tmp'), old, old);
		const s = await startServer({ notebooksDir: dir });
		try {
			for (let i = 0; i < 100 && stale.some((n) => existsSync(join(dir, n))); i++)
				await new Promise((r) => setTimeout(r, 20));
			expect(readdirSync(dir).sort()).toEqual([fresh, 'notes.tmp'].sort());
			expect(await cleanStaleTemporaries(dir, 0)).toEqual([fresh]);
		} finally {
			await s.close();
		}
	});

	it('refuses Windows device names as notebook names, in any case, with or without an extension', async () => {
		for (const name of [
			'con',
			'nul',
			'aux',
			'prn',
			'com1',
			'com9',
			'lpt1',
			'lpt9',
			'CON',
			'Nul',
			'con.txt',
			'aux.html',
			'com¹',
		])
			expect(isWindowsDeviceName(name), name).toBe(true);
		for (const name of ['console', 'com10', 'nullable', 'auxiliary', 'lpt', 'com', 'con-1'])
			expect(isWindowsDeviceName(name), name).toBe(false);
		for (const slug of ['con', 'nul', 'aux', 'prn', 'com1', 'lpt9'])
			expect(slugProblem(slug), slug).toMatch(/device name on Windows/);
		expect(slugProblem('console')).toBeNull();
		expect(toSlug('CON.html')).toBe('con-notebook');
		expect(toSlug('Nul')).toBe('nul-notebook');
		const s = await startServer();
		try {
			for (const slug of ['con', 'NUL', 'com1', 'lpt9']) {
				const r = await send(s.port, 'PUT', `/api/notebooks/${slug}`, valid);
				expect(r.status, slug).toBe(400);
				expect(existsSync(join(s.dir, `${slug}.html`))).toBe(false);
			}
		} finally {
			await s.close();
		}
	});

	it('creates a missing notebooks folder on save, and never shows the server’s paths in an error', async () => {
		const parent = mkdtempSync(join(tmpdir(), 'dph-nb-'));
		const dir = join(parent, 'gone', 'notebooks');
		const s = await startServer({ notebooksDir: dir, buildDir: parent });
		try {
			const get = await send(s.port, 'GET', '/api/notebooks/welcome');
			expect(get.status).toBe(404);
			expect(get.text).not.toContain(parent);
			const put = await send(s.port, 'PUT', '/api/notebooks/welcome', valid);
			expect(put.status, put.text).toBe(200);
			expect(readFileSync(join(dir, 'welcome.html')).equals(valid)).toBe(true);
		} finally {
			await s.close();
		}
		// A folder that cannot be created (a file is in the way): a clear 500, no absolute path.
		const blocked = join(parent, 'blocked');
		writeFileSync(blocked, 'a file, not a folder');
		const t = await startServer({ notebooksDir: join(blocked, 'notebooks'), buildDir: parent });
		try {
			const put = await send(t.port, 'PUT', '/api/notebooks/welcome', valid);
			expect(put.status).toBe(500);
			const { error } = JSON.parse(put.text);
			expect(error).toMatch(/could not save notebooks\/welcome\.html \((ENOTDIR|EEXIST)\)/);
			expect(error).not.toContain(parent);
		} finally {
			await t.close();
		}
	});
});

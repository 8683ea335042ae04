import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockBusyError } from '../../src/cli/lock';

const contender = (lock: string, stop: string) => {
	const child = spawn(process.execPath, ['--import', 'tsx/esm', 'tests/cli/fixtures/lock-contender.ts', lock, stop], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	let out = '';
	child.stdout.on('data', (b) => {
		out += b;
	});
	return { child, out: () => out, exited: new Promise<number | null>((r) => child.on('exit', (c) => r(c))) };
};

describe('output-folder lock', () => {
	it('of 6 processes that find one stale lock at once, exactly one takes it over; the others are refused', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-lock-'));
		const lock = join(dir, 'results.jsonl.lock');
		const stop = join(dir, 'stop');
		// A pid that has just ended: a real dead holder on this host.
		const gone = spawnSync(process.execPath, ['-e', '0']).pid;
		const { pidns } = acquireAndRead(join(dir, 'probe.lock'));
		writeFileSync(
			lock,
			JSON.stringify({
				pid: gone,
				host: hostname(),
				pidns,
				started: new Date().toISOString(),
				command: 'dph sweep',
				token: 'old',
			}),
		);
		const all = Array.from({ length: 6 }, () => contender(lock, stop));
		const t0 = Date.now();
		while (all.filter((c) => c.out()).length < all.length) {
			if (Date.now() - t0 > 90_000) throw new Error(`contenders did not report: ${all.map((c) => c.out()).join('|')}`);
			await new Promise((r) => setTimeout(r, 100));
		}
		const won = all.filter((c) => c.out().startsWith('won'));
		expect(won, all.map((c) => c.out()).join('')).toHaveLength(1);
		expect(won[0].out()).toBe('won (took over)\n');
		for (const c of all.filter((x) => x !== won[0])) {
			expect(c.out()).toMatch(new RegExp(`^busy: the file is in use by contender pid ${won[0].child.pid} since `));
			expect(await c.exited).toBe(75);
		}
		expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(won[0].child.pid);
		writeFileSync(stop, '');
		expect(await won[0].exited).toBe(0);
		expect(existsSync(lock)).toBe(false);
	}, 120_000);

	it('release removes only its own lock, once; a lock removed and retaken by another is left alone', () => {
		const dir = mkdtempSync(join(tmpdir(), 'dph-lock-'));
		const path = join(dir, 'x.lock');
		const a = acquireLock(path, { what: 'x', command: 'test' });
		expect(() => acquireLock(path, { what: 'x', command: 'test' })).toThrow(LockBusyError);
		// Someone removed it by hand and another process took it: a's release must not delete theirs.
		writeFileSync(path, JSON.stringify({ ...a.holder, token: 'someone-else' }));
		a.release();
		expect(existsSync(path)).toBe(true);
	});
});

/** The pid namespace this machine's locks carry (read from a real lock). */
function acquireAndRead(path: string): { pidns?: string } {
	const l = acquireLock(path, { what: 'probe', command: 'probe' });
	const h = JSON.parse(readFileSync(path, 'utf8'));
	l.release();
	return h;
}

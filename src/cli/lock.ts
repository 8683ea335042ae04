/**
 * A lock file next to what a command writes, so two processes never write the same file (two `dph sweep` runs on
 * one --out would both run every run and append to one results file).
 *
 * The lock is created atomically: its content is written to a private temporary file and hard-linked into place,
 * which fails when the lock exists, so a reader never sees a half-written lock (where a file system has no hard
 * links, an exclusive create is the fallback). It holds the holder's pid, host, pid namespace and start time, and
 * its mtime is a heartbeat the holder renews every few seconds.
 *
 * A lock is stale — and taken over, with a note — when its process is gone: on this host (and pid namespace) the pid
 * no longer runs; anywhere, the heartbeat is older than STALE_MS (a holder on another machine of a shared folder,
 * or in another container). Two processes taking over one stale lock at once go through a guard file, so only one
 * wins, and the winner renames its lock over the stale one, so the lock file never goes missing in between.
 * Release removes the lock only while it is still this process's own.
 */
import { randomBytes } from 'node:crypto';
import {
	linkSync,
	mkdirSync,
	readFileSync,
	readlinkSync,
	renameSync,
	rmSync,
	statSync,
	unlinkSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, relative } from 'node:path';

export const HEARTBEAT_MS = 5_000;
/** A lock whose heartbeat is this old is stale wherever its holder runs (12 missed heartbeats). */
export const STALE_MS = 60_000;
/** A takeover guard older than this was left by a process that died while taking over. */
const GUARD_STALE_MS = 10_000;

export interface LockHolder {
	pid: number;
	host: string;
	/** Linux pid namespace (`pid:[4026531836]`): a pid means nothing across containers sharing a host name. */
	pidns?: string;
	/** ISO time the holder started. */
	started: string;
	/** What holds it, e.g. `dph sweep --shard 0/3`. */
	command: string;
	/** Tells this holder's lock from a later one of the same pid. */
	token: string;
}

export class LockBusyError extends Error {
	override name = 'LockBusyError';
	constructor(
		message: string,
		readonly holder: LockHolder | null,
	) {
		super(message);
	}
}

export interface HeldLock {
	path: string;
	holder: LockHolder;
	/** Set when a stale lock was taken over: what it was and why it counted as stale. */
	tookOver?: string;
	release(): void;
}

function pidNamespace(): string | undefined {
	try {
		return readlinkSync('/proc/self/ns/pid');
	} catch {
		return undefined;
	}
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		// EPERM: the process exists but belongs to someone else.
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Create `path` with `content` only if it does not exist; false when it does. */
function createExclusive(path: string, content: string): boolean {
	const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
	writeFileSync(tmp, content);
	try {
		linkSync(tmp, path);
		return true;
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') return false;
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
	} finally {
		unlinkSync(tmp);
	}
	try {
		writeFileSync(path, content, { flag: 'wx' });
		return true;
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw e;
	}
}

/** Put `content` at `path` in one step, whether or not `path` exists (rename replaces atomically). */
function replaceAtomically(path: string, content: string): void {
	const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
	writeFileSync(tmp, content);
	renameSync(tmp, path);
}

interface Seen {
	text: string;
	holder: LockHolder | null;
	mtimeMs: number;
}

function readLock(path: string): Seen | null {
	try {
		const text = readFileSync(path, 'utf8');
		const mtimeMs = statSync(path).mtimeMs;
		let holder: LockHolder | null = null;
		try {
			const h = JSON.parse(text) as LockHolder;
			if (typeof h.pid === 'number' && typeof h.host === 'string') holder = h;
		} catch {
			// A lock this code did not write (or an exclusive create caught half-way): judged by its age alone.
		}
		return { text, holder, mtimeMs };
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
		throw e;
	}
}

/** Why the lock counts as stale, or null while its holder may still be running. */
function staleReason(seen: Seen, now: number, staleMs: number): string | null {
	const age = now - seen.mtimeMs;
	if (age > staleMs) return `its heartbeat is ${Math.round(age / 1000)} s old`;
	const h = seen.holder;
	if (h && h.host === hostname() && h.pidns === pidNamespace() && !alive(h.pid)) {
		return `pid ${h.pid} is no longer running`;
	}
	return null;
}

/** `20:31:05`, or `2026-12-01 20:31:05` when not today: when the holder started, in local time. */
export function clockTime(iso: string, now = new Date()): string {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return 'an unknown time';
	const p = (n: number) => String(n).padStart(2, '0');
	const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
	const sameDay = d.toDateString() === now.toDateString();
	return sameDay ? time : `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

/** A path as messages show it: relative to the working directory when inside it. */
export function shownPath(p: string): string {
	const r = relative(process.cwd(), p);
	return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

function sleepSync(ms: number): void {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function busy(what: string, path: string, seen: Seen | null): LockBusyError {
	const h = seen?.holder ?? null;
	return new LockBusyError(
		`${what} is in use by ${describeHolder(h)}; wait for it to finish, or remove ${shownPath(path)} if that process is gone`,
		h,
	);
}

function describeHolder(h: LockHolder | null): string {
	if (!h) return 'an unknown process';
	const where = h.host === hostname() ? '' : ` on ${h.host}`;
	return `${h.command} pid ${h.pid}${where} since ${clockTime(h.started)}`;
}

export interface AcquireOptions {
	/** What the lock guards, as messages name it (e.g. the results file). */
	what: string;
	/** What holds it, as messages name it (e.g. `dph sweep`). */
	command: string;
	staleMs?: number;
	heartbeatMs?: number;
}

/** Take the lock at `path` or throw LockBusyError naming its holder. */
export function acquireLock(path: string, opts: AcquireOptions): HeldLock {
	const staleMs = opts.staleMs ?? STALE_MS;
	mkdirSync(dirname(path), { recursive: true });
	const holder: LockHolder = {
		pid: process.pid,
		host: hostname(),
		pidns: pidNamespace(),
		started: new Date().toISOString(),
		command: opts.command,
		token: randomBytes(8).toString('hex'),
	};
	const content = `${JSON.stringify(holder)}\n`;
	for (let attempt = 0; attempt < 5; attempt++) {
		if (createExclusive(path, content)) return held(path, holder, opts.heartbeatMs ?? HEARTBEAT_MS, undefined);
		const seen = readLock(path);
		if (!seen) continue;
		const reason = staleReason(seen, Date.now(), staleMs);
		if (!reason) throw busy(opts.what, path, seen);
		// Only the process holding the guard may remove the stale lock, and only if it is still the one judged.
		const guard = `${path}.takeover`;
		if (!createExclusive(guard, content)) {
			const g = readLock(guard);
			if (g && Date.now() - g.mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
			else sleepSync(100);
			continue;
		}
		try {
			// Replaced by rename, never removed: were the lock gone for a moment, a process arriving then would
			// create a fresh one and hold it without ever having seen the stale lock.
			if (readLock(path)?.text === seen.text) {
				replaceAtomically(path, content);
				if (readLock(path)?.holder?.token === holder.token) {
					const note = `took over the stale lock ${shownPath(path)} of ${describeHolder(seen.holder)}: ${reason}`;
					return held(path, holder, opts.heartbeatMs ?? HEARTBEAT_MS, note);
				}
			}
		} finally {
			unlinkSync(guard);
		}
	}
	throw busy(opts.what, path, readLock(path));
}

function held(path: string, holder: LockHolder, heartbeatMs: number, tookOver: string | undefined): HeldLock {
	const beat = setInterval(() => {
		try {
			const now = new Date();
			utimesSync(path, now, now);
		} catch {
			// Removed by hand: release() below copes, and nothing else depends on the heartbeat here.
		}
	}, heartbeatMs);
	beat.unref();
	let released = false;
	const release = () => {
		if (released) return;
		released = true;
		clearInterval(beat);
		process.removeListener('exit', release);
		try {
			if (readLock(path)?.holder?.token === holder.token) unlinkSync(path);
		} catch {
			// Gone already.
		}
	};
	// The last resort when the process ends without reaching the caller's finally (process.exit).
	process.on('exit', release);
	return { path, holder, tookOver, release };
}

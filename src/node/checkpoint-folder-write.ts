/**
 * Writing a checkpoint folder so that a reader sees the old folder or the new one, never a mix (Node only).
 *
 * The files go to a sibling temporary folder `.NAME.tmp-PID-XXXXXX` (same file system, so renames are atomic), are
 * synced, and the folder is swapped in: the old one is renamed to `.NAME.old-PID-XXXXXX`, the new one to NAME, then
 * the old one is removed. A crash between the two renames leaves only `.NAME.old-…`: recoverFolder(), which the next
 * writer and the folder reader (checkpoint-folder.ts) call, renames it back. Temporaries of processes that are no longer
 * running are removed by the next writer. A folder is only replaced when it holds nothing but files the new
 * checkpoint has, so `--out` pointed at a folder of other things is an error, never a deletion.
 *
 * For tests only: DPH_TEST_PAUSE_FOLDER_WRITE=<file name>|swap makes the writer print
 * "dph-test: folder write paused after <point>" on stderr and wait there forever, so a test can kill it at a known
 * point of the write.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export type FolderFiles = Record<string, string | Uint8Array>;
/** Writes the folder's files into `dir` (an empty temporary folder). */
export type FolderWriter = (dir: string) => Promise<void>;

const tmpPrefix = (base: string) => `.${base}.tmp-`;
const oldPrefix = (base: string) => `.${base}.old-`;
const suffix = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

function alive(pid: number): boolean {
	if (pid === process.pid) return true;
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		// EPERM: the process exists but belongs to someone else.
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** The pid a temporary's name carries (`<prefix><pid>-…`), or null when the name is not one of ours. */
function ownerPid(name: string, prefix: string): number | null {
	if (!name.startsWith(prefix)) return null;
	const m = /^(\d+)-/.exec(name.slice(prefix.length));
	return m ? Number(m[1]) : null;
}

async function pauseForTest(point: string): Promise<void> {
	if (process.env.DPH_TEST_PAUSE_FOLDER_WRITE !== point) return;
	process.stderr.write(`dph-test: folder write paused after ${point}\n`);
	await new Promise<never>(() => setInterval(() => {}, 1 << 30));
}

async function syncPath(path: string): Promise<void> {
	// Directories cannot be opened for syncing on every platform (Windows); the renames are still atomic there.
	const fh = await open(path, 'r').catch(() => null);
	if (!fh) return;
	await fh.sync().catch(() => {});
	await fh.close();
}

async function writeDurable(path: string, data: string | Uint8Array): Promise<void> {
	const fh = await open(path, 'wx');
	try {
		await fh.writeFile(data);
		await fh.sync();
	} finally {
		await fh.close();
	}
}

/**
 * Remove `<prefix><pid>-…` entries of `parent` whose process is no longer running (a writer killed mid-write).
 * Returns the names removed.
 */
export async function removeStaleTemporaries(parent: string, prefix: string): Promise<string[]> {
	const names = await readdir(parent).catch(() => [] as string[]);
	const removed: string[] = [];
	for (const n of names) {
		const pid = ownerPid(n, prefix);
		if (pid === null || alive(pid)) continue;
		await rm(join(parent, n), { recursive: true, force: true });
		removed.push(n);
	}
	return removed;
}

/**
 * If `target` is missing but a writer was killed between moving the old folder aside and moving the new one in,
 * move the old one back. Returns true when it restored one.
 */
export async function recoverFolder(target: string): Promise<boolean> {
	const dir = resolve(target);
	if (await stat(dir).catch(() => null)) return false;
	const parent = dirname(dir);
	const prefix = oldPrefix(basename(dir));
	const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => ownerPid(n, prefix) !== null);
	if (!names.length) return false;
	const dated = await Promise.all(
		names.map(async (n) => ({ n, t: (await stat(join(parent, n)).catch(() => null))?.mtimeMs ?? 0 })),
	);
	dated.sort((a, b) => b.t - a.t);
	try {
		await rename(join(parent, dated[0].n), dir);
		return true;
	} catch {
		// Another reader or writer restored it first.
		return (await stat(dir).catch(() => null)) !== null;
	}
}

/**
 * Refuse to replace `target` when it exists and holds anything the new folder will not have (or is not a folder):
 * replacing it would delete those. Call it before long work (training) too, so the run fails at once.
 */
export async function assertReplaceable(target: string, names: readonly string[]): Promise<void> {
	const dir = resolve(target);
	const s = await stat(dir).catch(() => null);
	if (!s) return;
	if (!s.isDirectory()) throw new Error(`${target} exists and is not a folder: choose another output folder`);
	const allowed = new Set(names);
	const foreign = (await readdir(dir)).filter((n) => !allowed.has(n));
	if (foreign.length) {
		throw new Error(
			`${target} holds ${foreign
				.slice(0, 3)
				.map((n) => `"${n}"`)
				.join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}, which ${
				foreign.length === 1 ? 'is' : 'are'
			} not part of the checkpoint; writing it replaces the whole folder, so choose a new or empty folder, or a checkpoint folder`,
		);
	}
}

/**
 * Write the folder `target` atomically: from `files` (name → contents) or by a writer that fills a temporary
 * folder. The old folder, if any, stays complete until the new one is complete and takes its place. It may hold only
 * files the new one has or that `replaces` names (files an earlier version of the writer wrote).
 */
export async function writeFolderAtomically(
	target: string,
	files: FolderFiles | FolderWriter,
	opts: { replaces?: readonly string[] } = {},
): Promise<void> {
	const dir = resolve(target);
	const parent = dirname(dir);
	const base = basename(dir);
	await mkdir(parent, { recursive: true });
	await recoverFolder(dir);
	await removeStaleTemporaries(parent, tmpPrefix(base));
	if (await stat(dir).catch(() => null)) await removeStaleTemporaries(parent, oldPrefix(base));
	const tmp = join(parent, `${tmpPrefix(base)}${suffix()}`);
	await mkdir(tmp);
	let old: string | null = null;
	try {
		if (typeof files === 'function') await files(tmp);
		else {
			for (const [name, data] of Object.entries(files)) {
				await writeDurable(join(tmp, name), data);
				await pauseForTest(name);
			}
		}
		const written = await readdir(tmp);
		await Promise.all(written.map((n) => syncPath(join(tmp, n))));
		await syncPath(tmp);
		await assertReplaceable(dir, [...written, ...(opts.replaces ?? [])]);
		if (await stat(dir).catch(() => null)) {
			old = join(parent, `${oldPrefix(base)}${suffix()}`);
			await rename(dir, old);
			await pauseForTest('swap');
		}
		await rename(tmp, dir);
		await syncPath(parent);
	} catch (e) {
		await rm(tmp, { recursive: true, force: true });
		// Failed after moving the old folder aside: put it back.
		if (old && !(await stat(dir).catch(() => null))) await rename(old, dir).catch(() => {});
		throw e;
	}
	if (old) await rm(old, { recursive: true, force: true });
}

/**
 * A new private folder `<parent>/<prefix><pid>-XXXXXX` for a scratch checkpoint (the benchmarks' random-weight
 * folders, which no other reader opens), after removing those that processes no longer running left behind: a
 * benchmark killed mid-run would otherwise leave gigabytes in the temp folder for good.
 */
export async function privateTempFolder(parent: string, prefix: string): Promise<string> {
	await mkdir(parent, { recursive: true });
	await removeStaleTemporaries(parent, prefix);
	return mkdtemp(join(parent, `${prefix}${process.pid}-`));
}

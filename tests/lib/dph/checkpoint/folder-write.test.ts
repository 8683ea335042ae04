import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCheckpointLoad } from '../../../../src/cli/bench/checkpoint-harness';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { recoverFolder, writeFolderAtomically } from '../../../../src/node/checkpoint-folder-write';

const root = mkdtempSync(join(tmpdir(), 'dph-folder-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** The pid of a process that has exited: what a writer killed with -9 leaves in its temporaries' names. */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);

describe('writeFolderAtomically', () => {
	it('replaces a folder whole: files the new one lacks are gone, nothing is left beside it', async () => {
		const dir = join(root, 'ck');
		await writeFolderAtomically(dir, { 'a.json': '1', 'b.bin': new Uint8Array([1, 2]) });
		// b.bin is a file an earlier writer wrote, so it may go.
		await writeFolderAtomically(dir, { 'a.json': '2' }, { replaces: ['b.bin'] });
		expect(readdirSync(dir)).toEqual(['a.json']);
		expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('2');
		expect(readdirSync(root).filter((n) => n.startsWith('.ck.'))).toEqual([]);
	});

	it('a crash between the renames: the reader and the next writer find the old folder; stale temporaries go', async () => {
		const dir = join(root, 'ck2');
		const dead = deadPid();
		mkdirSync(join(root, `.ck2.old-${dead}-aaaa`));
		writeFileSync(join(root, `.ck2.old-${dead}-aaaa`, 'config.json'), 'old');
		mkdirSync(join(root, `.ck2.tmp-${dead}-bbbb`));
		writeFileSync(join(root, `.ck2.tmp-${dead}-bbbb`, 'config.json'), 'half');
		// A live writer's temporary (this process's parent) is not touched.
		mkdirSync(join(root, `.ck2.tmp-${process.ppid}-cccc`));
		expect(await (await dirFolder(dir)).file('config.json')).not.toBeNull();
		expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('old');
		expect(await recoverFolder(dir)).toBe(false);
		await writeFolderAtomically(dir, { 'config.json': 'new' });
		expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('new');
		expect(readdirSync(root).filter((n) => n.startsWith('.ck2.'))).toEqual([`.ck2.tmp-${process.ppid}-cccc`]);
	});

	it('refuses to replace a folder holding files the new one does not have, and leaves it as it was', async () => {
		const dir = join(root, 'mine');
		mkdirSync(dir);
		writeFileSync(join(dir, 'notes.txt'), 'keep');
		await expect(writeFolderAtomically(dir, { 'config.json': '{}' })).rejects.toThrow(
			/holds "notes.txt", which is not part of the checkpoint/,
		);
		expect(readdirSync(dir)).toEqual(['notes.txt']);
		expect(readdirSync(root).filter((n) => n.startsWith('.mine.'))).toEqual([]);
	});
});

describe('bench scratch checkpoints', () => {
	it('a benchmark removes the multi-GB scratch folders that killed benchmarks left, not those of running ones', async () => {
		const dir = join(root, 'bench');
		mkdirSync(dir);
		const stale = join(dir, `dph-bench-ckpt-${deadPid()}-zzzzzz`);
		const live = join(dir, `dph-bench-ckpt-${process.ppid}-yyyyyy`);
		for (const d of [stale, live]) {
			mkdirSync(d);
			writeFileSync(join(d, 'model.safetensors'), 'x');
		}
		await benchCheckpointLoad({ dir, config: 'nano', keep: false });
		expect(existsSync(stale)).toBe(false);
		expect(existsSync(live)).toBe(true);
		// Its own scratch folder is gone too.
		expect(readdirSync(dir)).toEqual([`dph-bench-ckpt-${process.ppid}-yyyyyy`]);
	}, 60_000);
});

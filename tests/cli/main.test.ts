import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/args';
import { main } from '../../src/cli/main';

function capture(): CliIO & { out: string; err: string } {
	const io = {
		out: '',
		err: '',
		isTTY: false,
		stdout: (s: string) => {
			io.out += s;
		},
		stderr: (s: string) => {
			io.err += s;
		},
	};
	return io;
}

describe('dph CLI conventions', () => {
	it('--help lists commands and exits 0; no arguments prints help and exits 2', async () => {
		const io = capture();
		expect(await main(['--help'], io)).toBe(0);
		expect(io.out).toMatch(/Usage: dph <command>/);
		expect(io.out).toMatch(/backend/);
		const io2 = capture();
		expect(await main([], io2)).toBe(2);
	});

	it('--version prints the package version', async () => {
		const io = capture();
		expect(await main(['--version'], io)).toBe(0);
		expect(io.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
	});

	it('usage errors say "dph: …" and exit 2', async () => {
		const io = capture();
		expect(await main(['frobnicate'], io)).toBe(2);
		expect(io.err).toBe('dph: unknown command "frobnicate"; run "dph --help" for the list\n');
		const io2 = capture();
		expect(await main(['backend', '--backend', 'metal'], io2)).toBe(2);
		expect(io2.err).toMatch(/^dph: --backend must be one of webgpu, wasm, cpu, got "metal"/);
		const io3 = capture();
		expect(await main(['backend', '--no-such-flag'], io3)).toBe(2);
		expect(io3.err).toMatch(/^dph: backend: /);
	});

	it('dph backend --json reports the backend and a self-test as one JSON object', async () => {
		const io = capture();
		expect(await main(['backend', '--backend', 'cpu', '--train', '4', '--json'], io)).toBe(0);
		const j = JSON.parse(io.out);
		expect(j.backend).toBe('cpu');
		expect(j.selftest.steps).toHaveLength(4);
		expect(j.selftest.tensorGrowth).toBe(0);
	});

	it('runs as a real process through bin/dph.mjs (what `npx dph` executes)', () => {
		const out = execFileSync(process.execPath, ['bin/dph.mjs', '--help'], { encoding: 'utf8' });
		expect(out).toMatch(/dph — Direct Preference Heads workbench/);
		const bad = spawnSync(process.execPath, ['bin/dph.mjs', 'nope'], { encoding: 'utf8' });
		expect(bad.status).toBe(2);
		expect(bad.stderr).toMatch(/^dph: unknown command "nope"/);
	});
});

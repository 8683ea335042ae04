import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const setup = new URL('../../scripts/lib/setup.mjs', import.meta.url).href;

/** ensureNodeVersion exits the process, so each case runs in a child Node. */
function check(version: string) {
	const code = `import(${JSON.stringify(setup)}).then((m) => { m.ensureNodeVersion(${JSON.stringify(version)}); console.log('ok'); })`;
	return spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
}

describe('ensureNodeVersion', () => {
	const engines = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node;
	const [, major, minor] = /^>=\s*(\d+)\.(\d+)/.exec(engines) ?? [];

	it('package.json names a minimum Node the README repeats', () => {
		expect(engines).toMatch(/^>=\d+\.\d+$/);
		expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(`Node ≥ ${major}.${minor}`);
	});

	it('accepts the minimum and newer', () => {
		for (const v of [`${major}.${minor}.0`, `${major}.${Number(minor) + 1}.3`, `${Number(major) + 4}.0.0`]) {
			const r = check(v);
			expect(r.status, r.stderr).toBe(0);
			expect(r.stdout.trim()).toBe('ok');
		}
	});

	it('refuses an older Node, naming both versions', () => {
		const old = `${major}.${Number(minor) - 1}.9`;
		const r = check(old);
		expect(r.status).toBe(1);
		expect(r.stderr).toContain(`needs Node ${major}.${minor} or newer`);
		expect(r.stderr).toContain(`this is Node ${old}`);
		expect(check(`${Number(major) - 2}.99.0`).status).toBe(1);
	});
});

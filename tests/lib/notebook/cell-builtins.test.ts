import { describe, expect, it } from 'vitest';
import { cellImportNames, importForCell } from '../../../src/lib/notebook/cell-builtins';

// Cells get an explicit list of modules, so a Node-only module can never become a browser chunk or be imported.
describe('importForCell', () => {
	it('refuses a Node module path, naming it and listing the allowed modules', async () => {
		for (const spec of ['$lib/dph/sweep/results-node', '$lib/../node/results-jsonl', 'node:fs']) {
			const err = await importForCell(spec).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(Error);
			expect((err as Error).message).toContain(`Cannot import "${spec}" in a notebook cell`);
			expect((err as Error).message).toContain('$lib/dph/losses');
			expect((err as Error).message).toContain('$lib/viz/landscape-figure');
		}
	});

	it('refuses an unknown module with the same message', async () => {
		await expect(importForCell('$lib/dph/nope')).rejects.toThrow(
			/Cannot import "\$lib\/dph\/nope" in a notebook cell: .*may import only these modules: .*\$lib\/dph\/sweep\/spec/,
		);
		await expect(importForCell('left-pad')).rejects.toThrow(/Cannot import "left-pad"/);
	});

	it('lists no Node adapter among the allowed modules', () => {
		expect(cellImportNames.some((n) => /node|cli/.test(n))).toBe(false);
	});

	it('resolves a listed module, with or without /index', async () => {
		const a = (await importForCell('$lib/dph/losses')) as Record<string, unknown>;
		const b = (await importForCell('$lib/dph/losses/index')) as Record<string, unknown>;
		expect(a).toBe(b);
		expect(Object.keys(a).length).toBeGreaterThan(0);
	});

	it('resolves the old name of a moved module to the new one, without listing it', async () => {
		const moved = await importForCell('$lib/dph/sweep/results-idb');
		expect(moved).toBe(await importForCell('$lib/browser/results-idb'));
		expect(moved).toHaveProperty('IdbResultsStore');
		expect(cellImportNames).not.toContain('$lib/dph/sweep/results-idb');
	});
});

// @vitest-environment jsdom
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../../src/lib/notebook/format';
import { type CellInfo, LiveNotebook } from '../../../src/lib/notebook/runtime';

// The real Observable runtime and Notebook Kit transpiler, in jsdom: cells run in dependency order, not file order.
const until = async (cond: () => boolean, ms = 3000) => {
	const t0 = Date.now();
	while (!cond()) {
		if (Date.now() - t0 > ms) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 10));
	}
};

let live: LiveNotebook | null = null;
afterEach(() => live?.dispose());

function setup(src: string) {
	const nb = parseNotebook(src);
	const infos = new Map<number, CellInfo>();
	const order: number[] = [];
	live = new LiveNotebook({
		library: {},
		onStatus: (id, info) => {
			infos.set(id, info);
			if (info.status === 'fulfilled') order.push(id);
		},
	});
	const roots = new Map<number, HTMLDivElement>();
	for (const c of nb.cells) {
		const root = document.createElement('div');
		document.body.append(root);
		roots.set(c.id, root);
		live.define(c, root);
	}
	return { nb, infos, roots, order, text: (id: number) => roots.get(id)?.textContent ?? '' };
}

const cell = (id: number, code: string) => `<script id="${id}" type="module">${code}</script>`;

describe('LiveNotebook on the Observable runtime', () => {
	it('runs cells in dependency order, whatever their order in the file', async () => {
		const { order, text } = setup(
			`<notebook>${cell(1, 'c + 1')}${cell(2, 'const c = b * 10;')}${cell(3, 'const b = 4;')}</notebook>`,
		);
		await until(() => text(1) !== '');
		expect(text(1)).toBe('41');
		expect(order.indexOf(3)).toBeLessThan(order.indexOf(2));
		expect(order.indexOf(2)).toBeLessThan(order.indexOf(1));
	});

	it('re-runs dependents when a cell is redefined, and only them', async () => {
		const { nb, text, roots } = setup(
			`<notebook>${cell(1, 'const a = 2;')}${cell(2, 'a * 3')}${cell(3, '"other"')}</notebook>`,
		);
		await until(() => text(2) === '6' && text(3) !== '');
		const before = roots.get(3)?.firstChild;
		live?.define({ ...nb.cells[0], value: 'const a = 5;' }, roots.get(1) as HTMLDivElement);
		await until(() => text(2) === '15');
		expect(roots.get(3)?.firstChild).toBe(before);
	});

	it('shows an error on the failing cell, "upstream error" on dependents, and keeps the rest running', async () => {
		const { infos, text } = setup(
			`<notebook>${cell(1, 'const boom = (() => { throw new Error("kaboom"); })();')}${cell(2, 'boom + 1')}${cell(3, '"fine"')}</notebook>`,
		);
		await until(() => infos.get(2)?.status === 'upstream-error' && text(3) !== '');
		expect(infos.get(1)).toMatchObject({ status: 'error', error: 'Error: kaboom' });
		expect(infos.get(2)).toMatchObject({ status: 'upstream-error', upstream: 1 });
		expect(text(2)).toBe('Upstream error in cell 1: kaboom');
		expect(text(3)).toMatch(/fine/);
	});

	it('reports syntax errors on the cell without breaking the notebook', async () => {
		const { infos, text } = setup(`<notebook>${cell(1, 'const = ;')}${cell(2, '1 + 1')}</notebook>`);
		await until(() => text(2) === '2');
		expect(infos.get(1)?.status).toBe('error');
		expect(text(1)).toMatch(/SyntaxError/);
	});

	it('runs a manual cell only on request, and marks it stale when its inputs change', async () => {
		const { nb, infos, text, roots } = setup(
			`<notebook>${cell(1, 'const n = 2;')}${cell(2, '// @manual\nconst heavy = n * 100;')}${cell(3, 'heavy + 1')}</notebook>`,
		);
		await until(() => infos.get(2)?.status === 'waiting');
		expect(text(3)).toBe('');
		live?.run(nb.cells[1]);
		await until(() => text(3) === '201');
		live?.define({ ...nb.cells[0], value: 'const n = 3;' }, roots.get(1) as HTMLDivElement);
		await until(() => infos.get(2)?.status === 'stale');
		expect(text(3)).toBe('201');
		live?.run(nb.cells[1]);
		await until(() => text(3) === '301');
	});

	it('the shipped test fixture parses and every cell compiles', () => {
		const nb = parseNotebook(readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8'));
		expect(nb.cells).toHaveLength(11);
	});
});

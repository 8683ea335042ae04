// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../../src/lib/notebook/format';
import { cellKey, openingLedger } from '../../../src/lib/notebook/ledger';
import { type CellInfo, LiveNotebook } from '../../../src/lib/notebook/runtime';
import {
	clearLoading,
	isSafeUrl,
	loadWasInterrupted,
	markLoading,
	safeHref,
	unsafeHref,
} from '../../../src/lib/notebook/safety';

const until = async (cond: () => boolean, ms = 6000) => {
	const t0 = Date.now();
	while (!cond()) {
		if (Date.now() - t0 > ms) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 10));
	}
};
const cell = (id: number, code: string) => `<script id="${id}" type="module">${code}</script>`;

let live: LiveNotebook | null = null;
afterEach(() => live?.dispose());

function setup(src: string, hold: (id: number) => boolean = () => false) {
	const nb = parseNotebook(src);
	const infos = new Map<number, CellInfo>();
	const runs: number[] = [];
	(globalThis as { __runs?: number[] }).__runs = runs;
	live = new LiveNotebook({ library: {}, onStatus: (id, info) => infos.set(id, info) });
	const roots = new Map<number, HTMLDivElement>();
	for (const c of nb.cells) {
		const root = document.createElement('div');
		roots.set(c.id, root);
		live.define(c, root, { hold: hold(c.id) });
	}
	return { nb, infos, roots, runs, text: (id: number) => roots.get(id)?.textContent ?? '' };
}

describe('held cells (safe mode, restored drafts never run)', () => {
	it('does not run a held cell, says so, and holds its dependents; run() then runs it', async () => {
		const { nb, infos, roots, runs, text } = setup(
			`<notebook>${cell(1, 'const a = (__runs.push(1), 2);')}${cell(2, 'a * 3')}${cell(3, '"other"')}</notebook>`,
			(id) => id === 1,
		);
		await until(() => live?.settled() === true && text(3) !== '');
		expect(runs).toEqual([]);
		expect(infos.get(1)?.status).toBe('unrun');
		expect(infos.get(2)).toMatchObject({ status: 'waiting', upstream: 1 });
		expect(text(1)).toBe('');
		expect(text(2)).toBe('');
		live?.define(nb.cells[0], roots.get(1) as HTMLDivElement);
		await until(() => text(2) === '6');
		expect(runs).toEqual([1]);
	});

	it('in safe mode (every cell held) runs no code at all', async () => {
		const { infos, runs } = setup(
			`<notebook>${cell(1, '__runs.push(1); const a = 1;')}${cell(2, '__runs.push(2); a')}<script id="3" type="text/markdown">x \${__runs.push(3)}</script></notebook>`,
			() => true,
		);
		await until(() => live?.settled() === true && infos.size === 3);
		await new Promise((r) => setTimeout(r, 50));
		expect(runs).toEqual([]);
		expect([...infos.values()].map((i) => i.status)).toEqual(['unrun', 'unrun', 'unrun']);
	});
});

describe('loop guard in the engine', () => {
	it('stops a runaway cell with an error naming cell and line, run after being held; the other cells still run', async () => {
		const { nb, infos, roots, text } = setup(
			`<notebook>${cell(4, 'let n = 0;\nwhile (true) n++;')}${cell(5, '"fine"')}</notebook>`,
			(id) => id === 4,
		);
		await until(() => infos.get(4)?.status === 'unrun' && text(5) !== '');
		live?.define(nb.cells[0], roots.get(4) as HTMLDivElement);
		await until(() => infos.get(4)?.status === 'error', 8000);
		expect(infos.get(4)?.error).toMatch(/^LoopTimeoutError: Loop ran longer than 3 s — stopped\. Cell 4 line 2\./);
		// The held definition's variable, deleted while the loop ran, must not report over the new one.
		await new Promise((r) => setTimeout(r, 100));
		expect(infos.get(4)?.status).toBe('error');
		expect(text(4)).toMatch(/Loop ran longer than 3 s/);
		expect(text(5)).toMatch(/fine/);
	}, 10_000);
});

describe('the run ledger', () => {
	it('trusts the file cells and the cells the user ran, not other edits', () => {
		const file = [{ mode: 'js' as const, value: 'x' }];
		const ledger = openingLedger(file, [cellKey({ mode: 'js', value: 'ran' })]);
		expect(ledger.has({ mode: 'js', value: 'x' })).toBe(true);
		expect(ledger.has({ mode: 'js', value: 'ran' })).toBe(true);
		expect(ledger.has({ mode: 'js', value: 'while(true){}' })).toBe(false);
		expect(ledger.has({ mode: 'md', value: 'x' })).toBe(false);
		ledger.add({ mode: 'js', value: 'while(true){}' });
		expect(ledger.keep([{ mode: 'js', value: 'while(true){}' }])).toEqual([
			cellKey({ mode: 'js', value: 'while(true){}' }),
		]);
	});
});

describe('safe mode URLs and the load marker', () => {
	it('adds and removes ?safe, keeping other parameters and the hash', () => {
		expect(safeHref('/notebooks/welcome')).toBe('/notebooks/welcome?safe');
		expect(safeHref('/notebooks/open?slug=my-nb')).toBe('/notebooks/open?slug=my-nb&safe');
		expect(isSafeUrl(new URL('http://h/notebooks/open?slug=a&safe'))).toBe(true);
		expect(isSafeUrl(new URL('http://h/notebooks/welcome'))).toBe(false);
		expect(unsafeHref(new URL('http://h/notebooks/open?slug=a&safe#eps=0.2'))).toBe('/notebooks/open?slug=a#eps=0.2');
	});

	it('remembers an open that never finished until it is cleared', () => {
		expect(loadWasInterrupted('m')).toBe(false);
		markLoading('m');
		expect(loadWasInterrupted('m')).toBe(true);
		expect(loadWasInterrupted('other')).toBe(false);
		clearLoading('m');
		expect(loadWasInterrupted('m')).toBe(false);
	});
});

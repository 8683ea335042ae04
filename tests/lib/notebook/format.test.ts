// @vitest-environment jsdom
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isManual, setManual } from '../../../src/lib/notebook/cells';
import {
	NotebookFormatError,
	newNotebook,
	parseNotebook,
	sections,
	serializeNotebook,
} from '../../../src/lib/notebook/format';

const files = [
	...readdirSync('notebooks').map((f) => `notebooks/${f}`),
	...readdirSync('tests/fixtures/notebooks').map((f) => `tests/fixtures/notebooks/${f}`),
].filter((f) => f.endsWith('.html'));

describe('notebook format (Observable Notebook Kit 2, through its own serialize/deserialize)', () => {
	for (const f of files) {
		it(`round-trips ${f} byte for byte`, () => {
			const src = readFileSync(f, 'utf8');
			const nb = parseNotebook(src, f);
			expect(nb.cells.length).toBeGreaterThan(0);
			expect(serializeNotebook(nb)).toBe(src);
		});
	}

	it('round-trips edits: a changed cell value, mode, pinned flag and order survive serialize → parse', () => {
		const nb = newNotebook('Edits');
		nb.cells[2].value = 'const x = `tick ${1}` + "</script>";';
		nb.cells[3].pinned = false;
		nb.cells.reverse();
		const back = parseNotebook(serializeNotebook(nb));
		expect(back.title).toBe('Edits');
		expect(back.cells.map((c) => [c.id, c.mode, c.value, c.pinned])).toEqual(
			nb.cells.map((c) => [c.id, c.mode, c.value, c.pinned]),
		);
	});

	it('rejects files that are not notebooks, with the file named', () => {
		expect(() => parseNotebook('', 'empty.html')).toThrow(/empty\.html is empty/);
		expect(() => parseNotebook('<html><body><p>hi</p></body></html>', 'page.html')).toThrow(NotebookFormatError);
		expect(() => parseNotebook('<html><body><p>hi</p></body></html>', 'page.html')).toThrow(
			/page\.html is not an Observable notebook/,
		);
	});

	it('gives cells with duplicate or missing ids fresh ones, so the engine can address every cell', () => {
		const dup =
			'<notebook><script id="1" type="module">1</script><script id="1" type="module">2</script><script type="module">3</script></notebook>';
		expect(parseNotebook(dup, 'dup.html').cells.map((c) => c.id)).toEqual([1, 2, 3]);
	});

	it('splits sections for presentation at # and ## headings', () => {
		const nb = parseNotebook(readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8'));
		expect(sections(nb)).toEqual([
			[1, 2, 3, 4],
			[5, 6, 7, 8],
			[9, 10, 11],
		]);
	});

	it('marks and unmarks manual cells with a leading // @manual comment', () => {
		const v = setManual('const x = 1;', true);
		expect(isManual({ mode: 'js', value: v })).toBe(true);
		expect(isManual({ mode: 'md', value: v })).toBe(false);
		expect(setManual(v, false)).toBe('const x = 1;');
		expect(setManual(v, true)).toBe(v);
	});
});

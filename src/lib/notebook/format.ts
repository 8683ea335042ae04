/**
 * The notebook file format: Observable Notebook Kit 2 HTML, read and written with notebook-kit's own
 * deserialize/serialize so files also open in Observable's tools. We add validation with clear errors and the
 * templates for new notebooks.
 */
import { type Cell, deserialize, type Notebook, serialize, toCell, toNotebook } from '@observablehq/notebook-kit';

export type { Cell, Notebook };

export class NotebookFormatError extends Error {
	override name = 'NotebookFormatError';
}

/** Parse a notebook file; `where` names it in errors ("welcome.html", "the dropped file"). */
export function parseNotebook(source: string, where = 'the notebook', parser?: DOMParser): Notebook {
	if (!source.trim()) throw new NotebookFormatError(`${where} is empty`);
	const p = parser ?? new DOMParser();
	const doc = p.parseFromString(source, 'text/html');
	if (!doc.querySelector('notebook')) {
		throw new NotebookFormatError(
			`${where} is not an Observable notebook: expected a <notebook> element with <script> cells ` +
				'(Notebook Kit 2 format). Export notebooks from the workbench or from Observable Desktop.',
		);
	}
	const nb = deserialize(source, { parser: p });
	const ids = new Set<number>();
	for (const c of nb.cells) {
		if (!Number.isInteger(c.id) || c.id <= 0)
			throw new NotebookFormatError(`${where}: a cell has an invalid id "${c.id}"`);
		if (ids.has(c.id)) throw new NotebookFormatError(`${where}: two cells share id ${c.id}`);
		ids.add(c.id);
	}
	return nb;
}

export function serializeNotebook(nb: Notebook, doc?: Document): string {
	return serialize(nb, doc ? { document: doc } : undefined);
}

export function nextCellId(nb: Notebook): number {
	return nb.cells.reduce((m, c) => Math.max(m, c.id), 0) + 1;
}

export function newCell(nb: Notebook, mode: Cell['mode'] = 'js', value = ''): Cell {
	return toCell({ id: nextCellId(nb), mode, value, pinned: mode !== 'md' });
}

export function newNotebook(title = 'Untitled notebook'): Notebook {
	return toNotebook({
		title,
		cells: [
			toCell({ id: 1, mode: 'md', value: `# ${title}` }),
			toCell({
				id: 2,
				mode: 'md',
				value: 'Write prose in Markdown with math like $r_w - r_l$; code cells are live JavaScript.',
			}),
			toCell({
				id: 3,
				mode: 'js',
				pinned: true,
				value: 'const eps = view(Inputs.range([0.01, 0.5], {value: 0.1, step: 0.01, label: "ε"}));',
			}),
			toCell({ id: 4, mode: 'js', pinned: true, value: 'Math.log((1 - eps) / eps)' }),
		],
	});
}

/** Sections for presentation mode: a new section starts at every Markdown cell that begins with # or ##. */
export function sections(nb: Notebook): number[][] {
	const out: number[][] = [];
	for (const c of nb.cells) {
		if ((c.mode === 'md' && /^\s*#{1,2}\s/.test(c.value)) || out.length === 0) out.push([]);
		out[out.length - 1].push(c.id);
	}
	return out;
}

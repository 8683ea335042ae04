/**
 * The notebooks shipped in notebooks/: slug, title and a one-line description, read from the files at build time.
 * Files are Observable Notebook Kit 2 HTML (`<notebook><title>…</title><script type="text/markdown">…`).
 */
export interface CellSource {
	id: string;
	/** The cell's `type` attribute: text/markdown, module (JavaScript), text/html, … */
	type: string;
	source: string;
}

export interface NotebookEntry {
	slug: string;
	file: string;
	title: string;
	description: string;
	/** Lower comes first on the home page; Welcome is 0. */
	order: number;
	source: string;
	cells: CellSource[];
}

const files = import.meta.glob('/notebooks/*.html', { query: '?raw', import: 'default', eager: true }) as Record<
	string,
	string
>;

function decodeEntities(s: string): string {
	return s
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&');
}

/** First prose paragraph that is not a heading: the notebook's one-line description. */
function firstParagraph(source: string): string {
	const re = /<script\b[^>]*type="text\/markdown"[^>]*>([\s\S]*?)<\/script>/g;
	for (let m = re.exec(source); m; m = re.exec(source)) {
		const para = m[1]
			.split(/\n\s*\n/)
			.map((p) => p.replace(/\s+/g, ' ').trim())
			.find((p) => p && !p.startsWith('#') && !p.startsWith('<'));
		if (para) return para.replace(/[*_`]/g, '').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
	}
	return '';
}

function cellsOf(source: string): CellSource[] {
	const out: CellSource[] = [];
	const re = /<script\b([^>]*)>([\s\S]*?)<\/script>/g;
	for (let m = re.exec(source); m; m = re.exec(source)) {
		const attrs = m[1];
		out.push({
			id: /\bid="([^"]*)"/.exec(attrs)?.[1] ?? String(out.length + 1),
			type: /\btype="([^"]*)"/.exec(attrs)?.[1] ?? 'module',
			source: m[2],
		});
	}
	return out;
}

export function parseEntry(path: string, source: string): NotebookEntry {
	const file = path.split('/').pop() ?? path;
	const slug = file.replace(/\.html$/, '');
	const title = decodeEntities(/<title>([\s\S]*?)<\/title>/.exec(source)?.[1]?.trim() ?? slug);
	// Welcome is the tour and always comes first; the rest are alphabetical by title.
	const order = slug === 'welcome' ? 0 : 100;
	return { slug, file, title, description: firstParagraph(source), order, source, cells: cellsOf(source) };
}

export const notebooks: NotebookEntry[] = Object.entries(files)
	.map(([path, src]) => parseEntry(path, src))
	.sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));

export function findNotebook(slug: string): NotebookEntry | undefined {
	return notebooks.find((n) => n.slug === slug);
}

/**
 * Markdown with TeX for prose cells: `$…$` inline and `$$…$$` display math rendered by KaTeX.
 */
import katex from 'katex';
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: true, linkify: true, typographer: true });

export function renderTex(src: string, displayMode: boolean): string {
	return katex.renderToString(src, { displayMode, throwOnError: false, output: 'htmlAndMathml' });
}

/** Dedent a cell body: notebook files indent cell contents under their <script> tag. */
export function dedent(s: string): string {
	const lines = s.replace(/^\n+|\s+$/g, '').split('\n');
	const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)?.[0].length ?? 0));
	return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}

export function renderMarkdown(source: string): string {
	// Protect math from markdown (underscores, asterisks) by swapping it out before parsing; private-use
	// characters as markers because markdown-it replaces NUL.
	const math: string[] = [];
	const protectedSrc = source
		.replace(/\$\$([\s\S]+?)\$\$/g, (_, m: string) => `\uE000M${math.push(renderTex(m.trim(), true)) - 1}\uE001`)
		.replace(
			/(^|[^\\$])\$([^$\n]+?)\$/g,
			(_, pre: string, m: string) => `${pre}\uE000M${math.push(renderTex(m, false)) - 1}\uE001`,
		);
	return md.render(protectedSrc).replace(/\uE000M(\d+)\uE001/g, (_, i: string) => math[Number(i)]);
}

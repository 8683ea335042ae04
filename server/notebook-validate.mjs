// Whether a request body is a notebook the save endpoint may write: valid UTF-8, within bounds a parser handles in
// milliseconds, a document whose only content is one <notebook> of cells, and one that Notebook Kit reads back
// unchanged after writing it. Runs in a worker (notebook-check.mjs), so nothing here can stall the server.
import { descendants, isElement, parseHtml, parserFor, serializeDocument } from './notebook-dom.mjs';

// Notebook Kit's serializer module alone: its package entry also loads the JavaScript compiler (~2 s to import).
/** @type {Pick<typeof import('@observablehq/notebook-kit'), 'deserialize' | 'serialize'>} */
const { deserialize, serialize } = await import(
	new URL('./lib/serialize.js', import.meta.resolve('@observablehq/notebook-kit')).href
);

/** Bounds no notebook comes near and past which parse time grows fast (one tag's attributes, nesting depth). */
export const LIMITS = { tags: 50_000, attributesPerTag: 100 };

/** Elements whose content the tokenizer reads as text up to their end tag (DOMParser: scripting disabled). */
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'title', 'textarea']);

/** Attributes Notebook Kit writes; anything else (an `onload`, a `src`) has no business in a notebook. */
const ALLOWED_ATTRIBUTES = {
	notebook: ['theme', 'readonly'],
	script: ['id', 'type', 'pinned', 'hidden', 'database', 'output', 'format'],
	title: [],
	meta: ['charset', 'name', 'content'],
	html: ['lang'],
	head: [],
	body: [],
};

/** @param {string} text @param {number} offset */
const lineAt = (text, offset) => {
	let line = 1;
	for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
	return line;
};

/**
 * Offset of the first byte that is not valid UTF-8 (TextDecoder says only that there is one).
 * @param {Uint8Array} b
 * @returns {number}
 */
function firstInvalidUtf8(b) {
	for (let i = 0; i < b.length; ) {
		const c = b[i];
		const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
		if (len === 0) return i;
		const start = i;
		for (let k = 1; k < len; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return start;
		const cp2 = b[i + 1];
		if (
			(c === 0xe0 && cp2 < 0xa0) ||
			(c === 0xed && cp2 >= 0xa0) ||
			(c === 0xf0 && cp2 < 0x90) ||
			(c === 0xf4 && cp2 >= 0x90)
		)
			return start;
		i += len;
	}
	return -1;
}

/**
 * A linear scan of the tags outside raw text, refusing what would make the parser slow before it runs: a tag
 * with thousands of attributes, tens of thousands of tags. It errs towards letting a body through: the parse
 * after it has the last word, and runs under a time limit.
 * @param {string} text
 * @returns {string | null}
 */
export function boundsProblem(text) {
	let tags = 0;
	const n = text.length;
	const isSpace = (/** @type {string} */ ch) => ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f';
	for (let i = text.indexOf('<'); i !== -1 && i < n; i = text.indexOf('<', i)) {
		const next = text[i + 1] ?? '';
		if (text.startsWith('<!--', i)) {
			const end = text.indexOf('-->', i + 4);
			i = end === -1 ? n : end + 3;
			continue;
		}
		if (next === '!' || next === '?' || next === '/') {
			const end = text.indexOf('>', i + 1);
			i = end === -1 ? n : end + 1;
			tags++;
			if (tags > LIMITS.tags) break;
			continue;
		}
		if (!/[A-Za-z]/.test(next)) {
			i++;
			continue;
		}
		let j = i + 1;
		while (j < n && !isSpace(text[j]) && text[j] !== '/' && text[j] !== '>') j++;
		const name = text.slice(i + 1, j).toLowerCase();
		let attributes = 0;
		while (j < n && text[j] !== '>') {
			if (isSpace(text[j]) || text[j] === '/') {
				j++;
				continue;
			}
			attributes++;
			while (j < n && !isSpace(text[j]) && text[j] !== '/' && text[j] !== '>' && text[j] !== '=') j++;
			while (j < n && isSpace(text[j])) j++;
			if (text[j] !== '=') continue;
			j++;
			while (j < n && isSpace(text[j])) j++;
			const q = text[j];
			if (q === '"' || q === "'") {
				const end = text.indexOf(q, j + 1);
				j = end === -1 ? n : end + 1;
			} else {
				while (j < n && !isSpace(text[j]) && text[j] !== '>') j++;
			}
		}
		if (attributes > LIMITS.attributesPerTag)
			return `line ${lineAt(text, i)}: a <${name}> tag has ${attributes} attributes; a notebook's tags have at most a few (limit ${LIMITS.attributesPerTag})`;
		tags++;
		if (tags > LIMITS.tags) break;
		i = j + 1;
		if (name === 'plaintext') break;
		if (RAW_TEXT.has(name)) {
			const end = new RegExp(`</${name}[\\s/>]`, 'gi');
			end.lastIndex = i;
			const m = end.exec(text);
			i = m ? m.index : n;
		}
	}
	if (tags > LIMITS.tags)
		return `it has more than ${LIMITS.tags} tags outside its cells; a notebook has two per cell (<script> and </script>)`;
	return null;
}

/**
 * What in the parsed document is not part of a notebook: content outside <notebook>, elements other than its
 * <title> and <script> cells, attributes Notebook Kit does not write.
 * @param {import('./notebook-dom.mjs').P5Document} doc
 * @param {string} text
 * @returns {string | null}
 */
function structureProblem(doc, text) {
	/** @param {import('parse5').DefaultTreeAdapterMap['node']} node */
	const where = (node) => {
		const loc = /** @type {{ sourceCodeLocation?: { startOffset: number } | null }} */ (node).sourceCodeLocation;
		return loc ? `line ${lineAt(text, loc.startOffset)}: ` : '';
	};
	let notebooks = 0;
	for (const node of descendants(doc)) if (isElement(node) && node.tagName === 'notebook') notebooks++;
	if (notebooks !== 1)
		return notebooks === 0
			? 'the body is not a notebook: expected a <notebook> element (Notebook Kit 2 HTML)'
			: `it has ${notebooks} <notebook> elements; a file holds one`;
	let titles = 0;
	for (const node of descendants(doc)) {
		const parent = 'parentNode' in node && node.parentNode && isElement(node.parentNode) ? node.parentNode.tagName : '';
		if (node.nodeName === '#text') {
			if (/\S/.test(/** @type {{ value: string }} */ (node).value) && parent !== 'title' && parent !== 'script')
				return `${where(node)}text outside the notebook's cells ("${/** @type {{ value: string }} */ (node).value.trim().slice(0, 40)}"); a notebook file holds only <notebook>, its <title> and <script> cells`;
			continue;
		}
		if (!isElement(node)) continue;
		const tag = node.tagName;
		const allowedHere =
			(tag === 'html' && !parent) ||
			((tag === 'head' || tag === 'body') && parent === 'html') ||
			((tag === 'meta' || tag === 'title') && parent === 'head') ||
			(tag === 'notebook' && parent === 'body') ||
			((tag === 'title' || tag === 'script') && parent === 'notebook');
		if (!allowedHere)
			return `${where(node)}a <${tag}> ${parent ? `inside <${parent}>` : 'at the top'}; a notebook file holds only <notebook>, its <title> and <script> cells (a <script> must be a direct child of <notebook>)`;
		const allowed = /** @type {Record<string, string[]>} */ (ALLOWED_ATTRIBUTES)[tag] ?? [];
		const extra = node.attrs.find((a) => !allowed.includes(a.name));
		if (extra)
			return `${where(node)}<${tag}> has an attribute "${extra.name}"; ${allowed.length ? `only ${allowed.join(', ')} are allowed there` : 'it takes none'}`;
		if (tag === 'title') titles++;
	}
	if (titles > 1) return `it has ${titles} <title> elements; a notebook has one`;
	return null;
}

/** @param {import('@observablehq/notebook-kit').Notebook} nb */
const comparable = (nb) => ({
	title: nb.title,
	theme: nb.theme,
	readOnly: nb.readOnly,
	cells: nb.cells.map((c) => ({ ...c, since: undefined })),
});

/**
 * Why `bytes` may not be saved as a notebook, or null when it may.
 * @param {Uint8Array} bytes
 * @returns {string | null}
 */
export function notebookProblem(bytes) {
	let text;
	try {
		text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		return `the body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)}); save the file as UTF-8`;
	}
	const bounds = boundsProblem(text);
	if (bounds) return bounds;
	const doc = parseHtml(text, true);
	const structure = structureProblem(doc, text);
	if (structure) return structure;
	let first;
	let second;
	try {
		first = deserialize(text, { parser: parserFor(doc) });
		second = deserialize(serialize(first, { document: serializeDocument }), { parser: parserFor() });
	} catch (e) {
		return `the notebook could not be parsed: ${/** @type {Error} */ (e).message}`;
	}
	const a = comparable(first);
	const b = comparable(second);
	if (a.title !== b.title) return `its title does not survive saving and reopening (${JSON.stringify(a.title)})`;
	if (a.cells.length !== b.cells.length)
		return `it has ${a.cells.length} cells, but ${b.cells.length} after saving and reopening`;
	for (let i = 0; i < a.cells.length; i++) {
		if (JSON.stringify(a.cells[i]) !== JSON.stringify(b.cells[i]))
			return `cell ${a.cells[i].id} (the ${i + 1}. cell) changes when saved and reopened; check it for "<!--" or "<script" in its source`;
	}
	if (JSON.stringify(a) !== JSON.stringify(b))
		return 'its theme or read-only flag does not survive saving and reopening';
	return null;
}

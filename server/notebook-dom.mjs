// Just enough DOM, over parse5's tree, for Notebook Kit's own deserialize() and serialize(). parse5 is the
// spec-conformant HTML parser jsdom is built on (so the tree is the one a browser's DOMParser builds), without
// jsdom's attribute bookkeeping, which is quadratic in the number of attributes of one element.
import * as parse5 from 'parse5';

/** @typedef {import('parse5').DefaultTreeAdapterMap['document']} P5Document */
/** @typedef {import('parse5').DefaultTreeAdapterMap['element']} P5Element */
/** @typedef {import('parse5').DefaultTreeAdapterMap['node']} P5Node */

const HTML_NS = /** @type {import('parse5').html.NS} */ ('http://www.w3.org/1999/xhtml');

/**
 * Parse HTML as DOMParser.parseFromString(data, 'text/html') does (scripting disabled).
 * @param {string} html @param {boolean} [locations] record source offsets (for messages naming a line)
 * @returns {P5Document}
 */
export function parseHtml(html, locations = false) {
	return parse5.parse(html, { scriptingEnabled: false, sourceCodeLocationInfo: locations });
}

/**
 * Every node under `root` in document order, without recursion (a deep tree must not overflow the stack).
 * @param {P5Node} root
 * @returns {Generator<P5Node>}
 */
export function* descendants(root) {
	/** @type {P5Node[]} */
	const stack = 'childNodes' in root ? [...root.childNodes].reverse() : [];
	while (stack.length > 0) {
		const node = /** @type {P5Node} */ (stack.pop());
		yield node;
		if ('childNodes' in node) for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push(node.childNodes[i]);
	}
}

/** @param {P5Node} node @returns {node is P5Element} */
export const isElement = (node) => 'tagName' in node;

/** An element as Notebook Kit reads and builds one. */
class El {
	/** @param {P5Element} node */
	constructor(node) {
		this.node = node;
	}
	/** @param {string} name */
	getAttribute(name) {
		return this.node.attrs.find((a) => a.name === name)?.value ?? null;
	}
	/** @param {string} name */
	hasAttribute(name) {
		return this.node.attrs.some((a) => a.name === name);
	}
	/** @param {string} name @param {string} value */
	setAttribute(name, value) {
		const a = this.node.attrs.find((x) => x.name === name);
		if (a) a.value = String(value);
		else this.node.attrs.push({ name, value: String(value) });
	}
	get id() {
		return this.getAttribute('id') ?? '';
	}
	set id(v) {
		this.setAttribute('id', v);
	}
	get type() {
		return this.getAttribute('type') ?? '';
	}
	set type(v) {
		this.setAttribute('type', v);
	}
	get textContent() {
		let text = '';
		for (const n of descendants(this.node))
			if (n.nodeName === '#text') text += /** @type {{ value: string }} */ (n).value;
		return text;
	}
	set textContent(v) {
		this.node.childNodes = [];
		if (v) parse5.defaultTreeAdapter.insertText(this.node, v);
	}
	/** @param {El | TextNode} child */
	appendChild(child) {
		parse5.defaultTreeAdapter.appendChild(this.node, child.node);
		return child;
	}
	get outerHTML() {
		return parse5.serializeOuter(this.node);
	}
}

class TextNode {
	/** @param {string} value */
	constructor(value) {
		this.node = /** @type {import('parse5').DefaultTreeAdapterMap['textNode']} */ ({
			nodeName: '#text',
			value,
			parentNode: null,
		});
	}
}

/** A parsed document answering the three selectors Notebook Kit's deserialize() asks; anything else is a bug. */
class Doc {
	/** @param {P5Document} doc */
	constructor(doc) {
		this.doc = doc;
	}
	/** @param {string} selector */
	querySelector(selector) {
		if (selector !== 'notebook' && selector !== 'title')
			throw new Error(`notebook-dom: unsupported selector ${selector}`);
		for (const n of descendants(this.doc)) if (isElement(n) && n.tagName === selector) return new El(n);
		return null;
	}
	/** @param {string} selector */
	querySelectorAll(selector) {
		if (selector !== 'notebook script') throw new Error(`notebook-dom: unsupported selector ${selector}`);
		/** @type {El[]} */
		const found = [];
		for (const n of descendants(this.doc)) {
			if (!isElement(n) || n.tagName !== 'script' || n.namespaceURI !== HTML_NS) continue;
			for (let p = n.parentNode; p; p = 'parentNode' in p ? p.parentNode : null) {
				if (isElement(p) && p.tagName === 'notebook') {
					found.push(new El(n));
					break;
				}
			}
		}
		return found;
	}
}

/**
 * The `parser` option of Notebook Kit's deserialize(); given `parsed`, it answers with that tree instead.
 * @param {P5Document} [parsed]
 * @returns {DOMParser}
 */
export function parserFor(parsed) {
	const p = { parseFromString: (/** @type {string} */ data) => new Doc(parsed ?? parseHtml(data)) };
	return /** @type {DOMParser} */ (/** @type {unknown} */ (p));
}

/** The `document` option of Notebook Kit's serialize(). */
const serializeDoc = {
	/** @param {string} tag */
	createElement: (tag) => new El(parse5.defaultTreeAdapter.createElement(tag, HTML_NS, [])),
	/** @param {string} text */
	createTextNode: (text) => new TextNode(text),
};

export const serializeDocument = /** @type {Document} */ (/** @type {unknown} */ (serializeDoc));

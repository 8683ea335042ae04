/**
 * The builtins a notebook cell can reference by name, all bundled with the app so notebooks work offline:
 * Plot, d3, Inputs, html/svg (htl), md (Markdown + KaTeX), tex, the Observable generators, `dph` (this project's
 * science library), `tf` (lazy tfjs on the best backend), `component` (mount a Svelte component) and `job` (run
 * work in a Web Worker with progress, ETA and Stop).
 */
import '@observablehq/inputs/dist/index.css';
import '@observablehq/notebook-kit/inspector.css';
import 'katex/dist/katex.min.css';
import { renderTex } from './markdown';

type Builtin = () => unknown;

/** Modules cells may import by name (`import {sepdph} from "$lib/dph/losses"`), resolved from the bundle. */
const dphModules = import.meta.glob(['../dph/**/*.ts', '../viz/**/*.ts', '!../**/*.test.ts']);
const componentModules = import.meta.glob(['../components/*.svelte', '../components/train/*.svelte']);

const packageModules: Record<string, () => Promise<unknown>> = {
	'@observablehq/plot': () => import('@observablehq/plot'),
	d3: () => import('d3'),
	'@observablehq/inputs': () => import('@observablehq/inputs'),
	htl: () => import('htl'),
	katex: () => import('katex'),
};

/** Resolve an import specifier from a cell. Offline by design: only bundled modules are available. */
export async function importForCell(specifier: string): Promise<unknown> {
	const spec = specifier
		.replace(/^npm:/, '')
		.replace(/^https:\/\/cdn\.jsdelivr\.net\/npm\/([^/]+(?:\/[^/+]+)?)\/\+esm$/, '$1');
	const bare = spec.replace(/@[\d.^~]+$/, '');
	if (packageModules[bare]) return packageModules[bare]();
	const m = /^\$lib\/(dph(?:\/.*)?|viz\/.*|components\/.*)$/.exec(spec);
	if (m) {
		const rel = `../${m[1]}`;
		const candidates = [`${rel}.ts`, `${rel}/index.ts`, rel];
		for (const c of candidates) {
			if (dphModules[c]) return dphModules[c]();
			if (componentModules[c]) return componentModules[c]();
		}
	}
	throw new Error(
		`Cannot import "${specifier}": the workbench runs offline, so cells can import $lib/dph/…, $lib/viz/…, $lib/components/…, ` +
			`${Object.keys(packageModules).join(', ')} (or use the builtins Plot, d3, Inputs, html, md, tex, dph, tf).`,
	);
}

/** Markdown tagged template with TeX ($…$, $$…$$); interpolated DOM nodes are inserted as nodes. */
export async function makeMd() {
	const { renderMarkdown } = await import('./markdown');
	return (strings: TemplateStringsArray, ...values: unknown[]) => {
		const nodes: Node[] = [];
		let src = strings[0];
		values.forEach((v, i) => {
			if (v instanceof Node) src += `<span data-md-node="${nodes.push(v) - 1}"></span>`;
			else src += String(v);
			src += strings[i + 1];
		});
		const root = document.createElement('div');
		root.className = 'md';
		root.innerHTML = renderMarkdown(src);
		for (const el of root.querySelectorAll<HTMLElement>('[data-md-node]'))
			el.replaceWith(nodes[Number(el.dataset.mdNode)]);
		return root;
	};
}

function makeTex() {
	const render =
		(displayMode: boolean) =>
		(strings: TemplateStringsArray, ...values: unknown[]) => {
			const src = String.raw({ raw: strings.raw }, ...values);
			const span = document.createElement(displayMode ? 'div' : 'span');
			span.innerHTML = renderTex(src, displayMode);
			return span;
		};
	return Object.assign(render(false), { block: render(true) });
}

export function makeLibrary(extra: Record<string, Builtin> = {}): Record<string, Builtin> {
	return {
		Plot: () => import('@observablehq/plot'),
		d3: () => import('d3'),
		Inputs: () => import('@observablehq/inputs'),
		htl: () => import('htl'),
		html: () => import('htl').then((m) => m.html),
		svg: () => import('htl').then((m) => m.svg),
		md: () => makeMd(),
		tex: () => makeTex(),
		katex: () => import('katex').then((m) => m.default),
		Generators: () => import('@observablehq/notebook-kit/runtime').then((m) => m.library.Generators()),
		Mutable: () => import('@observablehq/notebook-kit/runtime').then((m) => m.library.Mutable()),
		now: () => import('@observablehq/notebook-kit/runtime').then((m) => m.library.now()),
		dark: () => import('@observablehq/notebook-kit/runtime').then((m) => m.library.dark()),
		dph: () => importForCell('$lib/dph/index'),
		tf: async () => {
			const { initBackend, getTf } = await import('../dph/backend');
			await initBackend();
			return getTf();
		},
		...extra,
	};
}

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

/**
 * The project modules cells may import by name (`import {sepdph} from "$lib/dph/losses"`), each a lazy chunk of the
 * bundle. An explicit list, not a glob over src/lib/dph: a glob makes a browser chunk of every file it matches, and
 * one Node-only file there once pulled node:fs into the build. Add a module here when a notebook needs it; the list
 * covers everything the shipped notebooks import (notebooks/*.html) plus the pure science modules around them.
 */
const cellModules: Record<string, () => Promise<unknown>> = {
	'$lib/dph': () => import('../dph/index'),
	'$lib/dph/backend': () => import('../dph/backend'),
	'$lib/dph/tfops': () => import('../dph/tfops'),
	'$lib/dph/random': () => import('../dph/random'),
	'$lib/dph/losses': () => import('../dph/losses/index'),
	'$lib/dph/landscape': () => import('../dph/landscape/index'),
	'$lib/dph/dynamics': () => import('../dph/dynamics/index'),
	'$lib/dph/score': () => import('../dph/score'),
	'$lib/dph/eval/best-of-n': () => import('../dph/eval/best-of-n'),
	'$lib/dph/eval/table': () => import('../dph/eval/table'),
	'$lib/dph/model/config': () => import('../dph/model/config'),
	'$lib/dph/model/lswt': () => import('../dph/model/lswt'),
	'$lib/dph/model/family': () => import('../dph/model/family'),
	'$lib/dph/model/llama': () => import('../dph/model/llama'),
	'$lib/dph/model/llama-config': () => import('../dph/model/llama-config'),
	'$lib/dph/model/reward': () => import('../dph/model/reward'),
	'$lib/dph/data': () => import('../dph/data/index'),
	'$lib/dph/train/config': () => import('../dph/train/config'),
	'$lib/dph/train/objective': () => import('../dph/train/objective'),
	'$lib/dph/train/trainer': () => import('../dph/train/trainer'),
	'$lib/dph/checkpoint/safetensors': () => import('../dph/checkpoint/safetensors/index'),
	'$lib/dph/checkpoint/load': () => import('../dph/checkpoint/load'),
	'$lib/dph/sweep/spec': () => import('../dph/sweep/spec'),
	'$lib/dph/sweep/aggregate': () => import('../dph/sweep/aggregate'),
	'$lib/dph/sweep/results': () => import('../dph/sweep/results'),
	'$lib/browser/results-idb': () => import('../browser/results-idb'),
	'$lib/viz/landscape-figure': () => import('../viz/landscape-figure'),
};
/** Names of cell modules that moved, so notebooks autosaved before the move still run; not listed in messages. */
const movedCellModules: Record<string, string> = { '$lib/dph/sweep/results-idb': '$lib/browser/results-idb' };
/** Svelte components are browser code by construction, so a glob over them cannot leak Node modules. */
const componentModules = import.meta.glob(['../components/*.svelte', '../components/train/*.svelte']);

const packageModules: Record<string, () => Promise<unknown>> = {
	'@observablehq/plot': () => import('@observablehq/plot'),
	d3: () => import('d3'),
	'@observablehq/inputs': () => import('@observablehq/inputs'),
	htl: () => import('htl'),
	katex: () => import('katex'),
};

/** The names importForCell accepts, for its error message. */
export const cellImportNames: readonly string[] = [
	...Object.keys(packageModules),
	...Object.keys(cellModules),
	...Object.keys(componentModules).map((p) => p.replace(/^\.\.\//, '$lib/')),
];

/** Resolve an import specifier from a cell. Offline by design: only bundled modules are available. */
export async function importForCell(specifier: string): Promise<unknown> {
	const spec = specifier
		.replace(/^npm:/, '')
		.replace(/^https:\/\/cdn\.jsdelivr\.net\/npm\/([^/]+(?:\/[^/+]+)?)\/\+esm$/, '$1');
	const bare = spec.replace(/@[\d.^~]+$/, '');
	if (Object.hasOwn(packageModules, bare)) return packageModules[bare]();
	const named = spec.replace(/\.ts$/, '').replace(/\/index$/, '');
	const lib = Object.hasOwn(movedCellModules, named) ? movedCellModules[named] : named;
	if (Object.hasOwn(cellModules, lib)) return cellModules[lib]();
	const m = /^\$lib\/(components\/.*)$/.exec(spec);
	if (m) {
		const rel = `../${m[1]}`;
		if (Object.hasOwn(componentModules, rel)) return componentModules[rel]();
	}
	throw new Error(
		`Cannot import "${specifier}" in a notebook cell: cells run offline in the browser and may import only ` +
			`these modules: ${cellImportNames.join(', ')} (or use the builtins Plot, d3, Inputs, html, md, tex, dph, tf).`,
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

export function makeCellBuiltins(extra: Record<string, Builtin> = {}): Record<string, Builtin> {
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

/**
 * Loop protection, the transform half: every loop in a cell's transpiled body gets a time check, so a runaway
 * loop throws in its cell instead of freezing the tab (as JS Bin and CodePen do). Guards are inserted by source
 * position from a real parse (acorn), so strings, templates, regexes and comments are never touched and the rest
 * of the code is byte for byte what the user wrote. The run-time half is loop-guard.ts.
 */
import { type Node, parseExpressionAt } from 'acorn';
import { ancestor } from 'acorn-walk';

export interface GuardedSource {
	/** The body with guards inserted; unchanged when it has no loops. */
	code: string;
	/** The free name the guarded code calls: bind it to a loop-guard factory (see loop-guard.ts). */
	factory: string;
	/** How many loops were guarded. */
	loops: number;
}

interface Loop extends Node {
	body: Node;
}

interface Edit {
	at: number;
	text: string;
	/** Closers (inner first) go before openers (outer first) at the same position. */
	close: boolean;
	depth: number;
}

const LOOPS = ['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'] as const;

/** A name prefix that occurs nowhere in `code`, so the guard's names cannot clash with the user's. */
function freshPrefix(code: string): string {
	let prefix = '__dphLoop';
	while (code.includes(prefix)) prefix += '_';
	return prefix;
}

function lineAt(text: string, pos: number): number {
	let line = 1;
	for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
	return line;
}

/**
 * Maps a position in the transpiled body to a line of the cell as the user wrote it. Notebook Kit wraps the cell
 * verbatim in a function header; imports and TypeScript are rewritten, so there we look for the loop's own line.
 */
export function lineMapper(body: string, original: string | undefined): (pos: number) => number {
	const at = original ? body.indexOf(original) : -1;
	const lines = original?.split('\n') ?? [];
	return (pos) => {
		if (original && at !== -1 && pos >= at && pos <= at + original.length) return lineAt(original, pos - at);
		const start = body.lastIndexOf('\n', pos - 1) + 1;
		const end = body.indexOf('\n', pos);
		const text = body.slice(start, end === -1 ? undefined : end).trim();
		const found = text ? lines.findIndex((l) => l.includes(text)) : -1;
		return found !== -1 ? found + 1 : Math.max(1, lineAt(body, pos) - 1);
	};
}

/**
 * Insert a guard into every loop of `body`, a JavaScript function expression (Notebook Kit's transpiled cell).
 * Each loop statement (with its labels) becomes `{const g = factory(cell, line); loop}` and the loop body starts
 * with `if (--g.n <= 0) g.check();`. Throws acorn's SyntaxError if `body` does not parse.
 */
export function guardLoops(body: string, cell: number, original?: string): GuardedSource {
	const factory = freshPrefix(body);
	const root = parseExpressionAt(body, 0, {
		ecmaVersion: 'latest',
		sourceType: 'module',
		allowAwaitOutsideFunction: true,
	});
	const loops: { node: Loop; start: number; depth: number }[] = [];
	const visit = (node: Node, _state: unknown, ancestors: Node[]) => {
		// ancestors ends with the node itself; labels directly around a loop must stay attached to it.
		let start = node.start;
		for (let i = ancestors.length - 2; i >= 0 && ancestors[i].type === 'LabeledStatement'; i--)
			start = ancestors[i].start;
		const depth = ancestors.slice(0, -1).filter((a) => (LOOPS as readonly string[]).includes(a.type)).length;
		loops.push({ node: node as Loop, start, depth });
	};
	ancestor(root, Object.fromEntries(LOOPS.map((t) => [t, visit])));
	if (loops.length === 0) return { code: body, factory, loops: 0 };

	const line = lineMapper(body, original);
	const edits: Edit[] = [];
	loops.forEach(({ node, start, depth }, k) => {
		const g = `${factory}${k}`;
		const d = depth * 2;
		const tick = `if (--${g}.n <= 0) ${g}.check();`;
		edits.push({ at: start, text: `{const ${g} = ${factory}(${cell}, ${line(node.start)}); `, close: false, depth: d });
		edits.push({ at: node.end, text: '}', close: true, depth: d });
		if (node.body.type === 'BlockStatement') {
			edits.push({ at: node.body.start + 1, text: ` ${tick}`, close: false, depth: d + 1 });
		} else {
			edits.push({ at: node.body.start, text: `{${tick} `, close: false, depth: d + 1 });
			edits.push({ at: node.body.end, text: '}', close: true, depth: d + 1 });
		}
	});
	edits.sort(
		(a, b) => a.at - b.at || Number(b.close) - Number(a.close) || (a.close ? b.depth - a.depth : a.depth - b.depth),
	);
	let out = '';
	let from = 0;
	for (const e of edits) {
		out += body.slice(from, e.at) + e.text;
		from = e.at;
	}
	return { code: out + body.slice(from), factory, loops: loops.length };
}

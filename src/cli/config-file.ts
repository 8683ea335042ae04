/**
 * Reading the JSON files the CLI is given (a training config, a sweep spec): the checks JSON.parse does not make,
 * with messages that name the file, the field and what to do. Usage errors, so the CLI exits 2.
 *
 * - The file must hold an object; `null` or `[]` would otherwise surface as a TypeError deep inside.
 * - JSON.parse reads an out-of-range literal such as `1e999` as Infinity, which later messages (and JSON.stringify)
 *   would print as `null`; such a literal is reported here with its field path and as written.
 * - `data.jsonlPath` names a JSONL file relative to the config file's folder; it is read here (src/lib/dph reads no
 *   files) and handed on as `data.jsonl`, the text the trainer takes.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isObject, type Obj } from '../lib/dph/validate.ts';
import { UsageError } from './args.ts';

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): string {
	const before = text.slice(0, offset);
	const line = before.split('\n').length;
	return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

export interface NonFiniteLiteral {
	/** Field path, e.g. `optim.weightDecay` or `grid.lr[2]`; `(root)` for a bare number. */
	path: string;
	/** The literal as written in the file. */
	literal: string;
	offset: number;
}

/**
 * The first number literal of a (valid) JSON text that does not fit in a double, with its field path. A single
 * pass over the tokens; JSON.parse has already checked the syntax, so only what tells paths apart is tracked.
 */
export function findNonFiniteLiteral(text: string): NonFiniteLiteral | null {
	type Frame = { kind: 'obj'; key: string; expectKey: boolean } | { kind: 'arr'; index: number };
	const stack: Frame[] = [];
	const path = () =>
		stack.map((f, i) => (f.kind === 'arr' ? `[${f.index}]` : i === 0 ? f.key : `.${f.key}`)).join('') || '(root)';
	const numberRe = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
	const stringRe = /"(?:[^"\\]|\\.)*"/y;
	for (let i = 0; i < text.length; ) {
		const c = text[i];
		const top = stack[stack.length - 1];
		if (c === '{') {
			stack.push({ kind: 'obj', key: '', expectKey: true });
			i++;
		} else if (c === '[') {
			stack.push({ kind: 'arr', index: 0 });
			i++;
		} else if (c === '}' || c === ']') {
			stack.pop();
			i++;
		} else if (c === ':') {
			if (top?.kind === 'obj') top.expectKey = false;
			i++;
		} else if (c === ',') {
			if (top?.kind === 'obj') top.expectKey = true;
			else if (top?.kind === 'arr') top.index++;
			i++;
		} else if (c === '"') {
			stringRe.lastIndex = i;
			const m = stringRe.exec(text);
			if (!m) return null;
			if (top?.kind === 'obj' && top.expectKey) top.key = JSON.parse(m[0]) as string;
			i += m[0].length;
		} else if (c === '-' || (c >= '0' && c <= '9')) {
			numberRe.lastIndex = i;
			const m = numberRe.exec(text);
			if (!m) return null;
			if (!Number.isFinite(Number(m[0]))) return { path: path(), literal: m[0], offset: i };
			i += m[0].length;
		} else i++;
	}
	return null;
}

/** Read and parse a JSON file that must hold an object whose numbers are all finite. */
export function readJsonObject(file: string, what: string): Obj {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (e) {
		throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
	}
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (e) {
		const msg = (e as Error).message;
		const at = /at position (\d+)/.exec(msg);
		throw new UsageError(
			`${file} is not valid JSON: ${msg}${at && !/line/.test(msg) ? ` (${lineCol(text, Number(at[1]))})` : ''}`,
		);
	}
	if (!isObject(raw)) {
		const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `${typeof raw} ${JSON.stringify(raw)}`;
		throw new UsageError(`${file}: the ${what} must be a JSON object ({ "field": value, … }), got ${got}`);
	}
	const bad = findNonFiniteLiteral(text);
	if (bad) {
		throw new UsageError(
			`${file}: ${bad.path} = ${bad.literal} (${lineCol(text, bad.offset)}) is too large for a number (JSON reads it as ${Number(bad.literal)}); give a finite value`,
		);
	}
	return raw;
}

/**
 * Replace `data.jsonlPath` of a (partial) training config with `data.jsonl`, the file's text. `at` is where the
 * config sits in the file, for messages (`base.` in a sweep spec); relative paths resolve against `file`'s folder.
 */
export function inlineJsonlPath(config: Obj, file: string, at = ''): Obj {
	const data = config.data;
	if (!isObject(data) || data.jsonlPath === undefined) return config;
	const field = `${at}data.jsonlPath`;
	const { jsonlPath, ...rest } = data;
	if (typeof jsonlPath !== 'string' || !jsonlPath) {
		throw new UsageError(`${file}: ${field} must be the path of a JSONL file, got ${JSON.stringify(jsonlPath)}`);
	}
	if (rest.jsonl !== undefined) {
		throw new UsageError(`${file}: give ${at}data.jsonl (the text) or ${field} (a file), not both`);
	}
	if (rest.task !== 'jsonl') {
		throw new UsageError(
			`${file}: ${field} is given but ${at}data.task is ${rest.task === undefined ? 'not set (the preset trains on "echo")' : JSON.stringify(rest.task)}; set ${at}data.task to "jsonl" to train on the file`,
		);
	}
	const path = resolve(dirname(file), jsonlPath);
	let jsonl: string;
	try {
		jsonl = readFileSync(path, 'utf8');
	} catch (e) {
		throw new UsageError(
			`${file}: ${field} = ${JSON.stringify(jsonlPath)}: cannot read ${path}: ${(e as Error).message} (relative paths are resolved against the config file's folder)`,
		);
	}
	return { ...config, data: { ...rest, jsonl } };
}

/** A training config file for `dph train`: an object, finite numbers, `data.jsonlPath` read. */
export function readTrainConfigFile(file: string): Obj {
	return inlineJsonlPath(readJsonObject(file, 'training config'), file);
}

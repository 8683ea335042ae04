/**
 * The strict JSON parser for safetensors headers. JSON.parse silently keeps the last of duplicate keys and turns
 * `4.0` and `1e3` into integers, so a header goes through this small parser (RFC 8259 grammar) instead: a repeated
 * key is an error, objects come back as Maps in file order, and numbers keep their literal text.
 */

export class JsonNumber {
	constructor(readonly raw: string) {}
	get value(): number {
		return Number(this.raw);
	}
}
export type Json = string | boolean | null | JsonNumber | Json[] | Map<string, Json>;

const MAX_DEPTH = 32;
const ESCAPES = new Map([
	['"', '"'],
	['\\', '\\'],
	['/', '/'],
	['b', '\b'],
	['f', '\f'],
	['n', '\n'],
	['r', '\r'],
	['t', '\t'],
]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string, fail: (msg: string) => never): Json {
	let i = 0;
	const ws = () => {
		for (;;) {
			const c = text.charCodeAt(i);
			if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
			else return;
		}
	};
	const whatIsAt = (at: number) => {
		if (at >= text.length) return 'the header ended early';
		const word = /^-?(NaN|Infinity)/.exec(text.slice(at, at + 9));
		if (word) return `${word[0]} at character ${at} is not a JSON number`;
		return `unexpected ${JSON.stringify(text[at])} at character ${at}`;
	};
	const bad = (at: number): never => fail(`header is not valid JSON: ${whatIsAt(at)}`);
	const string = (): string => {
		// i is at the opening quote.
		let out = '';
		let start = ++i;
		for (;;) {
			const c = text.charCodeAt(i);
			if (Number.isNaN(c)) bad(i);
			if (c === 0x22) {
				out += text.slice(start, i++);
				return out;
			}
			if (c < 0x20) fail(`header is not valid JSON: control character in a string at character ${i}`);
			if (c !== 0x5c) {
				i++;
				continue;
			}
			out += text.slice(start, i);
			const e = text[i + 1];
			const simple = ESCAPES.get(e);
			if (simple !== undefined) {
				out += simple;
				i += 2;
			} else if (e === 'u') {
				const hex = (at: number) => {
					const h = text.slice(at, at + 4);
					if (!/^[0-9a-fA-F]{4}$/.test(h)) {
						fail(`header is not valid JSON: bad \\u escape ${JSON.stringify(h)} at character ${at - 2}`);
					}
					return Number.parseInt(h, 16);
				};
				const u = hex(i + 2);
				i += 6;
				if (u >= 0xd800 && u <= 0xdbff && text.startsWith('\\u', i)) {
					const lo = hex(i + 2);
					if (lo >= 0xdc00 && lo <= 0xdfff) {
						out += String.fromCharCode(u, lo);
						i += 6;
						start = i;
						continue;
					}
				}
				if (u >= 0xd800 && u <= 0xdfff) fail(`header is not valid JSON: unpaired surrogate \\u${u.toString(16)}`);
				out += String.fromCharCode(u);
			} else {
				bad(i + 1);
			}
			start = i;
		}
	};
	/** At an opening bracket: steps past it, and past the closing one too when the container is empty (true). */
	const opens = (close: string): boolean => {
		i++;
		ws();
		if (text[i] !== close) return false;
		i++;
		return true;
	};
	/** After an element: true past the closing bracket, false past a comma (another element follows). */
	const closes = (close: string): boolean => {
		ws();
		if (text[i] === ',') {
			i++;
			return false;
		}
		if (text[i] !== close) bad(i);
		i++;
		return true;
	};
	const value = (depth: number): Json => {
		if (depth > MAX_DEPTH) fail(`header JSON is nested more than ${MAX_DEPTH} levels deep`);
		ws();
		const c = text[i];
		if (c === '{') {
			const map = new Map<string, Json>();
			if (opens('}')) return map;
			do {
				ws();
				if (text[i] !== '"') bad(i);
				const key = string();
				if (map.has(key)) {
					fail(`header has the key ${JSON.stringify(key)} twice; a corrupt or hand-edited header (remove one)`);
				}
				ws();
				if (text[i] !== ':') bad(i);
				i++;
				map.set(key, value(depth + 1));
			} while (!closes('}'));
			return map;
		}
		if (c === '[') {
			const arr: Json[] = [];
			if (opens(']')) return arr;
			do arr.push(value(depth + 1));
			while (!closes(']'));
			return arr;
		}
		if (c === '"') return string();
		for (const [word, v] of [
			['true', true],
			['false', false],
			['null', null],
		] as const) {
			if (text.startsWith(word, i)) {
				i += word.length;
				return v;
			}
		}
		NUMBER.lastIndex = i;
		const m = NUMBER.exec(text);
		if (!m) return bad(i);
		i += m[0].length;
		return new JsonNumber(m[0]);
	};
	const v = value(0);
	ws();
	if (i < text.length) bad(i);
	return v;
}

/** What a value is, for messages: "the number 1e3", "an array". */
export function kindOf(v: Json): string {
	if (v === null) return 'null';
	if (v instanceof JsonNumber) return `the number ${v.raw}`;
	if (v instanceof Map) return 'an object';
	if (Array.isArray(v)) return 'an array';
	if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
	return String(v);
}

/** A value as written when short (numbers, flat arrays of up to 8), else what it is. */
export function show(v: Json): string {
	if (v instanceof JsonNumber) return v.raw;
	if (Array.isArray(v) && v.length <= 8 && v.every((x) => !(x instanceof Map) && !Array.isArray(x))) {
		return `[${v.map(show).join(', ')}]`;
	}
	return kindOf(v);
}

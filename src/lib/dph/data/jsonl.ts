/**
 * JSONL preference and multiple-choice data (docs/TRAINING.md, Data). One JSON object per line, in any of:
 *
 *   ours (scoring input):   {"messages":[{"role":"user","content":"…"}], "candidates":["…","…"], "label"?: 0}
 *   chat (SFT only, with the `chat` option): {"messages":[…, {"role":"assistant","content":"…"}]}
 *   TRL standard:           {"prompt":"…", "chosen":"…", "rejected":"…"}
 *   TRL conversational:     {"prompt":[{role,content}…], "chosen":[{role:"assistant",content}], "rejected":[…]}
 *                           ("prompt" may be left out when chosen/rejected hold the whole conversation: TRL's
 *                           implicit prompt; the shared messages before the final assistant turn become the context)
 *
 * Every line becomes a multiple-choice item (a TRL pair is the item [chosen, rejected] with label 0); lines with a
 * label also become a training pair, the rejected candidate drawn uniformly from the wrong ones with a seeded
 * stream per line. Blank lines are skipped; a bad line is reported with its number and does not stop the others.
 */
import { deriveSeed, mulberry32 } from '../random';
import { copyMessages, itemToPair } from './pairs';
import { type ChatMessage, isRole, type MultipleChoiceItem, type PreferencePair, ROLES } from './types';

export type JsonlFormat = 'choices' | 'trl' | 'trl-conversational';

export interface JsonlRecord {
	/** 1-based line number in the input. */
	line: number;
	format: JsonlFormat;
	item: MultipleChoiceItem;
	/** Present when the line has a label (always for TRL lines). */
	pair?: PreferencePair;
}

export interface JsonlError {
	line: number;
	/** Starts with `line N: `, so it can be shown as is. */
	message: string;
}

/** A messages-only line (option `chat`): a conversation for SFT, ending with an assistant message. */
export interface JsonlChat {
	line: number;
	messages: ChatMessage[];
}

export interface JsonlResult {
	records: JsonlRecord[];
	/** Messages-only lines, in line order (only with the `chat` option; otherwise such a line is an error). */
	chats: JsonlChat[];
	/** The records' items, in line order. */
	items: MultipleChoiceItem[];
	/** The records' pairs, in line order (labelled lines only). */
	pairs: PreferencePair[];
	errors: JsonlError[];
}

export interface JsonlOptions {
	/** Seed for drawing the rejected candidate of labelled multiple-choice lines. Default 0. */
	seed?: number;
	/**
	 * Accept `{"messages":[…]}` lines without candidates as SFT conversations (`chats`). Off by default: scoring has
	 * no use for them, and a line that lost its candidates is an error there.
	 */
	chat?: boolean;
}

class LineError extends Error {}

function fail(message: string): never {
	throw new LineError(message);
}

function show(x: unknown): string {
	if (x === null) return 'null';
	if (Array.isArray(x)) return 'an array';
	if (typeof x === 'string') return x.length > 40 ? `a string` : JSON.stringify(x);
	return typeof x === 'object' ? 'an object' : String(x);
}

function parseMessages(field: string, x: unknown): ChatMessage[] {
	if (!Array.isArray(x)) fail(`"${field}" must be an array of {"role","content"} messages, got ${show(x)}`);
	return x.map((m, i) => {
		if (typeof m !== 'object' || m === null || Array.isArray(m)) {
			fail(`"${field}"[${i}] must be an object with "role" and "content", got ${show(m)}`);
		}
		const { role, content } = m as Record<string, unknown>;
		if (!isRole(role))
			fail(`"${field}"[${i}].role must be one of ${ROLES.map((r) => `"${r}"`).join(', ')}, got ${show(role)}`);
		if (typeof content !== 'string') fail(`"${field}"[${i}].content must be a string, got ${show(content)}`);
		return { role, content };
	});
}

function nonEmptyString(field: string, x: unknown): string {
	if (typeof x !== 'string') fail(`"${field}" must be a string, got ${show(x)}`);
	// An empty answer has no content tokens, so its average log-prob is 0/0.
	if (x.length === 0) fail(`"${field}" must be a non-empty string`);
	return x;
}

function sameMessages(a: readonly ChatMessage[], b: readonly ChatMessage[]): boolean {
	return a.length === b.length && a.every((m, i) => m.role === b[i].role && m.content === b[i].content);
}

function parseChoices(obj: Record<string, unknown>): { item: MultipleChoiceItem } {
	const messages = parseMessages('messages', obj.messages);
	const c = obj.candidates;
	if (!Array.isArray(c) || c.length < 2 || !c.every((s) => typeof s === 'string')) {
		fail(
			`"candidates" must be an array of at least 2 strings, got ${Array.isArray(c) ? `${c.length} entries` : show(c)}`,
		);
	}
	const candidates = c.map((s, i) => nonEmptyString(`candidates[${i}]`, s));
	const item: MultipleChoiceItem = { messages, candidates };
	if (obj.label !== undefined && obj.label !== null) {
		const label = obj.label;
		if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= candidates.length) {
			fail(`"label" must be an integer index in [0, ${candidates.length - 1}], got ${show(label)}`);
		}
		item.label = label;
	}
	return { item };
}

function parseTrl(obj: Record<string, unknown>): { format: JsonlFormat; pair: PreferencePair } {
	const { prompt, chosen, rejected } = obj;
	if (chosen === undefined || rejected === undefined) fail('a TRL line needs both "chosen" and "rejected"');
	if (typeof chosen === 'string' || typeof rejected === 'string') {
		if (prompt === undefined) {
			fail('"prompt" is missing: TRL lines with string "chosen"/"rejected" need an explicit string "prompt"');
		}
		if (typeof prompt !== 'string') fail(`"prompt" must be a string when "chosen" is a string, got ${show(prompt)}`);
		return {
			format: 'trl',
			pair: {
				messages: [{ role: 'user', content: prompt }],
				chosen: nonEmptyString('chosen', chosen),
				rejected: nonEmptyString('rejected', rejected),
			},
		};
	}
	const context = prompt === undefined ? [] : parseMessages('prompt', prompt);
	const full = (field: 'chosen' | 'rejected', x: unknown) => {
		const msgs = [...context, ...parseMessages(field, x)];
		const last = msgs[msgs.length - 1];
		if (last === undefined || last.role !== 'assistant') {
			fail(`"${field}" must end with an assistant message, got ${last ? `a "${last.role}" message` : 'no messages'}`);
		}
		return msgs;
	};
	const w = full('chosen', chosen);
	const l = full('rejected', rejected);
	const ctx = w.slice(0, -1);
	if (!sameMessages(ctx, l.slice(0, -1))) {
		fail('"chosen" and "rejected" must differ only in their final assistant message');
	}
	return {
		format: 'trl-conversational',
		pair: {
			messages: copyMessages(ctx),
			chosen: nonEmptyString('chosen[-1].content', w[w.length - 1].content),
			rejected: nonEmptyString('rejected[-1].content', l[l.length - 1].content),
		},
	};
}

function parseChat(obj: Record<string, unknown>): ChatMessage[] {
	const messages = parseMessages('messages', obj.messages);
	const last = messages[messages.length - 1];
	if (last === undefined || last.role !== 'assistant') {
		fail(
			`a messages-only (SFT) line must end with an assistant message, got ${last ? `a "${last.role}" message` : 'no messages'}`,
		);
	}
	nonEmptyString(`messages[${messages.length - 1}].content`, last.content);
	return messages;
}

/** Parse one non-blank line; throws LineError with a message that does not yet carry the line number. */
function parseLine(text: string, line: number, seed: number, chat: boolean): JsonlRecord | JsonlChat {
	let obj: unknown;
	try {
		obj = JSON.parse(text);
	} catch (e) {
		fail(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
	}
	if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail(`expected a JSON object, got ${show(obj)}`);
	const o = obj as Record<string, unknown>;
	if (chat && 'messages' in o && !('candidates' in o) && !('label' in o)) return { line, messages: parseChat(o) };
	if ('candidates' in o || 'messages' in o) {
		const { item } = parseChoices(o);
		const record: JsonlRecord = { line, format: 'choices', item };
		if (item.label !== undefined) record.pair = itemToPair(item, mulberry32(deriveSeed(seed, 'jsonl', line)));
		return record;
	}
	if ('chosen' in o || 'rejected' in o || 'prompt' in o) {
		const { format, pair } = parseTrl(o);
		const item: MultipleChoiceItem = {
			messages: copyMessages(pair.messages),
			candidates: [pair.chosen, pair.rejected],
			label: 0,
		};
		return { line, format, item, pair };
	}
	const keys = Object.keys(o)
		.slice(0, 6)
		.map((k) => JSON.stringify(k))
		.join(', ');
	return fail(
		`unrecognized line: expected {"messages","candidates","label"?}${chat ? ', {"messages"} (SFT)' : ''} or TRL {"prompt","chosen","rejected"}, got keys ${keys || '(none)'}`,
	);
}

export function parseJsonl(text: string, options: JsonlOptions = {}): JsonlResult {
	const seed = options.seed ?? 0;
	const records: JsonlRecord[] = [];
	const chats: JsonlChat[] = [];
	const errors: JsonlError[] = [];
	// A UTF-8 BOM from Windows editors would otherwise make line 1 invalid JSON.
	const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
	for (let i = 0; i < lines.length; i++) {
		const line = i + 1;
		if (lines[i].trim() === '') continue;
		try {
			const r = parseLine(lines[i], line, seed, options.chat ?? false);
			if ('format' in r) records.push(r);
			else chats.push(r);
		} catch (e) {
			if (!(e instanceof LineError)) throw e;
			errors.push({ line, message: `line ${line}: ${e.message}` });
		}
	}
	return {
		records,
		chats,
		items: records.map((r) => r.item),
		pairs: records.flatMap((r) => (r.pair ? [r.pair] : [])),
		errors,
	};
}

/** Serialize items in our format, one per line (the inverse of `parseJsonl` for 'choices' lines). */
export function toJsonl(items: readonly MultipleChoiceItem[]): string {
	return items
		.map((it) =>
			JSON.stringify(
				it.label === undefined
					? { messages: it.messages, candidates: it.candidates }
					: { messages: it.messages, candidates: it.candidates, label: it.label },
			),
		)
		.join('\n')
		.concat(items.length ? '\n' : '');
}

/** Serialize pairs as TRL conversational lines, which keep system messages and multi-turn context. */
export function pairsToJsonl(pairs: readonly PreferencePair[]): string {
	return pairs
		.map((p) =>
			JSON.stringify({
				prompt: p.messages,
				chosen: [{ role: 'assistant', content: p.chosen }],
				rejected: [{ role: 'assistant', content: p.rejected }],
			}),
		)
		.join('\n')
		.concat(pairs.length ? '\n' : '');
}

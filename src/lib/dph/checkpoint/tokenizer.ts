/**
 * Tokenizers read from a checkpoint folder's `tokenizer.json` (+ `tokenizer_config.json` /
 * `special_tokens_map.json` when present), from local objects only: nothing here fetches from a hub, and it runs
 * the same in the browser, a Web Worker and Node.
 *
 * Two kinds of file are accepted:
 * - the workbench's own character-level WordLevel tokenizer (what `CharTokenizer.toJSON()` writes), rebuilt as a
 *   `CharTokenizer` so ids and behaviour are exactly those it was trained with;
 * - a BPE tokenizer such as OPT's / GPT-2's byte-level BPE, wrapped in `HFTokenizer`, which delegates the actual
 *   tokenization to the maintained pure-JS `@huggingface/tokenizers` library rather than reimplementing BPE.
 *
 * Encoding follows the reference (`tokenizer(text, add_special_tokens=False)`): no BOS/EOS is added, and literal
 * added-token strings such as `<|im_start|>` in the text become their ids. See docs/CHECKPOINTS.md § Tokenizer.
 */
import { Tokenizer as LibTokenizer } from '@huggingface/tokenizers';
import {
	CharTokenizer,
	type DecodeOptions,
	SPECIAL_TOKENS,
	type SpecialTokenIds,
	type Tokenizer,
} from '../data/tokenizer';
import { DataError } from '../data/types';

export class TokenizerError extends Error {
	override name = 'TokenizerError';
	constructor(
		message: string,
		/** The file the problem is in (as passed to `loadTokenizer`, e.g. "tokenizer.json"). */
		readonly file: string,
	) {
		super(message);
	}
}

export interface TokenizerExtras {
	/** Parsed (or raw text of) tokenizer_config.json. */
	tokenizerConfig?: unknown;
	/** Parsed (or raw text of) special_tokens_map.json. */
	specialTokensMap?: unknown;
}

/** One named special token as resolved from the files, for model cards and diagnostics. */
export interface NamedToken {
	content: string;
	id: number;
	/** Where the name came from: a file name, or "default" when no file named it and a known literal was found. */
	source: string;
}

/**
 * Read a tokenizer from a parsed tokenizer.json object (or its raw text). `where` names the file in error
 * messages; `tokenizer_config.json` and `special_tokens_map.json` errors are named relative to it.
 * Returns a `CharTokenizer` for the workbench's own WordLevel files, otherwise an `HFTokenizer`.
 */
export function loadTokenizer(json: unknown, where = 'tokenizer.json', extras: TokenizerExtras = {}): Tokenizer {
	const obj = parseObject(json, where, 'tokenizer.json');
	const model = obj.model;
	if (isRecord(model) && model.type === 'WordLevel') return loadCharTokenizer(obj, where);
	return HFTokenizer.fromJSON(obj, where, extras);
}

function loadCharTokenizer(obj: Record<string, unknown>, where: string): CharTokenizer {
	try {
		return CharTokenizer.fromJSON(obj);
	} catch (e) {
		if (!(e instanceof DataError)) throw e;
		// The library maps WordLevel onto a "Legacy" model with different splitting, so a WordLevel file that is not
		// ours would silently tokenize differently from Python; refuse it instead.
		const detail = e.message.replace(/^tokenizer\.json: /, '');
		throw new TokenizerError(
			`${where}: a WordLevel tokenizer is only read as the workbench's own character tokenizer ` +
				`(as CharTokenizer.toJSON() writes it), and this one is not: ${detail}`,
			where,
		);
	}
}

/**
 * A tokenizer.json BPE tokenizer (OPT/GPT-2 byte-level BPE and the like) behind our `Tokenizer` interface; the
 * tokenization itself is `@huggingface/tokenizers`'. Build it with `loadTokenizer` or `HFTokenizer.fromJSON`.
 */
export class HFTokenizer implements Tokenizer {
	/**
	 * Largest id + 1 over the BPE vocabulary and the added tokens (50267 for OPT-125m plus the two ChatML tokens).
	 * A model's `vocab_size` may be larger (the reference's 50272 pads to a multiple of 8); ids past the tokenizer's
	 * are never produced by encode and are rejected by decode.
	 */
	readonly vocabSize: number;
	/**
	 * `bos` is the id the reference puts at the start of every sequence, which is its `eos_token_id` (`</s>` for
	 * OPT, where bos_token and eos_token are both `</s>`); `declaredBos` is the file's own bos_token when it names a
	 * different one.
	 */
	readonly special: Readonly<SpecialTokenIds>;
	readonly named: Readonly<Record<'bos' | 'eos' | 'pad' | 'unk' | 'imStart' | 'imEnd', NamedToken | null>>;
	readonly declaredBos: number | null;
	readonly unkId: number | null;
	/** Things the loader decided or could not reproduce exactly, in words, for the model card. */
	readonly notes: readonly string[];
	private readonly lib: LibTokenizer;
	private readonly json: Record<string, unknown>;
	private readonly idToToken: Map<number, string>;
	private readonly tokenToId: Map<string, number>;
	private readonly specialIds: ReadonlySet<number>;

	private constructor(init: {
		lib: LibTokenizer;
		json: Record<string, unknown>;
		idToToken: Map<number, string>;
		tokenToId: Map<string, number>;
		vocabSize: number;
		special: SpecialTokenIds;
		named: HFTokenizer['named'];
		declaredBos: number | null;
		specialIds: Set<number>;
		notes: string[];
	}) {
		this.lib = init.lib;
		this.json = init.json;
		this.idToToken = init.idToToken;
		this.tokenToId = init.tokenToId;
		this.vocabSize = init.vocabSize;
		this.special = Object.freeze(init.special);
		this.named = Object.freeze(init.named);
		this.declaredBos = init.declaredBos;
		this.unkId = init.named.unk?.id ?? null;
		this.specialIds = init.specialIds;
		this.notes = Object.freeze(init.notes);
	}

	static fromJSON(json: unknown, where = 'tokenizer.json', extras: TokenizerExtras = {}): HFTokenizer {
		const obj = parseObject(json, where, 'tokenizer.json');
		const fail = (what: string): never => {
			throw new TokenizerError(`${where}: ${what}`, where);
		};
		const notes: string[] = [];

		const model = obj.model;
		if (!isRecord(model)) fail('"model" must be an object (the tokenizer model: type, vocab, merges)');
		const m = model as Record<string, unknown>;
		const type = m.type ?? (Array.isArray(m.merges) ? 'BPE' : undefined);
		if (type !== 'BPE') {
			fail(
				`model type ${JSON.stringify(m.type)} is not supported: this workbench reads BPE tokenizers (byte-level ` +
					'BPE as OPT/GPT-2) and its own character-level WordLevel tokenizer. Export the tokenizer the checkpoint was ' +
					'trained with (for the paper\'s checkpoints, OPT-125m\'s plus "<|im_start|>" and "<|im_end|>").',
			);
		}

		const { tokenToId, idToToken } = readVocab(m.vocab, fail);
		checkMerges(
			m.merges,
			tokenToId,
			typeof m.continuing_subword_prefix === 'string' && m.continuing_subword_prefix !== '',
			fail,
		);
		const added = readAddedTokens(obj.added_tokens, idToToken, fail);
		for (const t of added) {
			tokenToId.set(t.content, t.id);
			idToToken.set(t.id, t.content);
			if (t.single_word === true) {
				notes.push(
					`added token ${JSON.stringify(t.content)} has single_word true, which the JS tokenizer library ignores: ` +
						'it is matched inside words too',
				);
			}
		}
		if (usesByteLevel(obj.pre_tokenizer)) {
			const missing = BYTE_SYMBOLS.filter((s) => !tokenToId.has(s));
			if (missing.length > 0) {
				fail(
					`the pre-tokenizer is ByteLevel but "model.vocab" lacks ${missing.length} of the 256 byte symbols ` +
						`(first: ${JSON.stringify(missing[0])}); text containing those bytes would be silently dropped`,
				);
			}
		}

		// ChatML markers must be added tokens: only those are cut out of raw text before BPE, so a marker that is
		// merely a vocab entry would be split into pieces like "<|", "im", … and the reward index would be lost.
		const addedIds = new Map(added.map((t) => [t.content, t.id]));
		const chatml = (literal: string): number => {
			const id = addedIds.get(literal);
			if (id !== undefined) return id;
			const inVocab = tokenToId.has(literal) ? ' (it is in "model.vocab" but not among "added_tokens")' : '';
			return fail(
				`the ChatML token ${JSON.stringify(literal)} is missing from "added_tokens"${inVocab}. DPH checkpoints need ` +
					'"<|im_start|>" and "<|im_end|>" as added tokens: the reference adds them to OPT-125m with ' +
					"tokenizer.add_tokens(['<|im_start|>', '<|im_end|>'], special_tokens=True), giving ids 50265 and 50266; " +
					'save the tokenizer after adding them (tokenizer.save_pretrained) and use that tokenizer.json.',
			);
		};
		const imStart = chatml(SPECIAL_TOKENS.imStart);
		const imEnd = chatml(SPECIAL_TOKENS.imEnd);

		const names = new SpecialNames(where, extras);
		const resolve = (field: string): NamedToken | null => {
			const n = names.get(field);
			if (n === null) return null;
			const id = tokenToId.get(n.content);
			if (id === undefined) {
				throw new TokenizerError(
					`${n.source}: "${field}" is ${JSON.stringify(n.content)}, which is neither in ${where}'s "model.vocab" ` +
						'nor its "added_tokens"; the files do not belong together',
					n.source,
				);
			}
			return { content: n.content, id, source: n.source };
		};
		const byLiteral = (...literals: string[]): NamedToken | null => {
			for (const content of literals) {
				const id = tokenToId.get(content);
				if (id !== undefined) return { content, id, source: 'default' };
			}
			return null;
		};

		const eos = resolve('eos_token') ?? byLiteral(SPECIAL_TOKENS.eos, '<|endoftext|>');
		if (eos === null) {
			fail(
				'no end-of-sequence token: it has neither "</s>" nor "<|endoftext|>", and no tokenizer_config.json or ' +
					"special_tokens_map.json names an eos_token. Pass the checkpoint's tokenizer_config.json (it names eos_token).",
			);
		}
		const eosTok = eos as NamedToken;
		let pad = resolve('pad_token') ?? byLiteral(SPECIAL_TOKENS.pad);
		if (pad === null) {
			// GPT-2 has no pad token; padded positions are masked anyway, so any id works, and eos is the usual choice.
			pad = { ...eosTok, source: 'eos_token (no pad token)' };
			notes.push(`no pad token: padding uses eos ${JSON.stringify(eosTok.content)} (${eosTok.id})`);
		}
		const bos = resolve('bos_token') ?? byLiteral(SPECIAL_TOKENS.s);
		const declaredBos = bos !== null && bos.id !== eosTok.id ? bos.id : null;
		if (declaredBos !== null && bos !== null) {
			notes.push(
				`bos_token ${JSON.stringify(bos.content)} (${bos.id}, from ${bos.source}) differs from eos_token ` +
					`${JSON.stringify(eosTok.content)} (${eosTok.id}); sequences start with the eos id, as the reference builds them`,
			);
		}
		const unkName = typeof m.unk_token === 'string' ? m.unk_token : null;
		const unk =
			resolve('unk_token') ??
			(unkName !== null && tokenToId.has(unkName)
				? { content: unkName, id: tokenToId.get(unkName)!, source: where }
				: null);

		// Skipped by decode({skipSpecial}): what transformers' skip_special_tokens drops (added tokens marked
		// special) plus the named specials, so `<pad>` is dropped even in a file that forgot to mark it.
		const specialIds = new Set<number>(added.filter((t) => t.special === true).map((t) => t.id));
		for (const t of [eosTok, pad, bos, unk]) if (t !== null) specialIds.add(t.id);
		specialIds.add(imStart);
		specialIds.add(imEnd);

		let vocabSize = 0;
		for (const id of idToToken.keys()) vocabSize = Math.max(vocabSize, id + 1);

		// The post-processor is not built at all: its only effects are adding BOS/EOS-style tokens (which the
		// reference turns off with add_special_tokens=False) and offsets (which we do not return), and leaving it out
		// means a post-processor type the library lacks cannot stop a checkpoint from loading. encode() also passes
		// add_special_tokens: false, so neither change alone is load-bearing.
		// Missing optional sections are given as null because the library insists on the keys being present.
		const libJSON = {
			...obj,
			normalizer: obj.normalizer ?? null,
			pre_tokenizer: obj.pre_tokenizer ?? null,
			decoder: obj.decoder ?? null,
			post_processor: null,
			added_tokens: added,
		};
		// Only clean_up_tokenization_spaces is passed: tokenizer_config fields the library otherwise reads
		// (remove_space, do_lowercase_and_remove_accent) belong to Python's slow tokenizers and do not apply to
		// tokenizer.json, and clean-up off keeps decode an exact inverse of encode (" ." stays " .").
		let lib: LibTokenizer;
		try {
			lib = new LibTokenizer(libJSON, { clean_up_tokenization_spaces: false });
		} catch (e) {
			const msg = e instanceof Error ? e.message : String(e);
			return fail(`the tokenizer library (@huggingface/tokenizers) could not read it: ${msg}`);
		}

		const named = (id: number): NamedToken => ({ content: idToToken.get(id)!, id, source: where });
		return new HFTokenizer({
			lib,
			json: obj,
			idToToken,
			tokenToId,
			vocabSize,
			special: { pad: pad.id, bos: eosTok.id, eos: eosTok.id, imStart, imEnd },
			named: { bos, eos: eosTok, pad, unk, imStart: named(imStart), imEnd: named(imEnd) },
			declaredBos,
			specialIds,
			notes,
		});
	}

	encode(text: string): number[] {
		return this.lib.encode(text, { add_special_tokens: false }).ids;
	}

	decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
		const keep: number[] = [];
		for (let i = 0; i < ids.length; i++) {
			const id = ids[i];
			// The library maps unknown ids to unk_token, which is null for GPT-2-style BPE and would decode as text.
			if (!Number.isInteger(id) || !this.idToToken.has(id)) {
				throw new DataError(
					`decode: token id ${id} at position ${i} is not in the tokenizer (vocabulary size ${this.vocabSize})`,
				);
			}
			if (options.skipSpecial && this.specialIds.has(id)) continue;
			keep.push(id);
		}
		// The library throws on an empty list rather than returning "".
		if (keep.length === 0) return '';
		return this.lib.decode(keep, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
	}

	/** The id of a vocabulary entry or added token (the token's own string, e.g. "Ġthe"), or undefined. */
	tokenId(token: string): number | undefined {
		return this.tokenToId.get(token);
	}

	/** The token string of an id (byte-level symbols as stored, e.g. "Ġthe"), or undefined. */
	token(id: number): string | undefined {
		return this.idToToken.get(id);
	}

	isSpecial(id: number): boolean {
		return this.specialIds.has(id);
	}

	/** The original tokenizer.json object, unchanged, so a checkpoint is written back as it was read. */
	toJSON(): unknown {
		return this.json;
	}
}

// --- validation helpers -----------------------------------------------------------------------------------------

function isRecord(x: unknown): x is Record<string, unknown> {
	return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function kindOf(x: unknown): string {
	if (x === null) return 'null';
	if (Array.isArray(x)) return 'an array';
	return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`;
}

/** Accept a parsed object or the file's text; anything else is the caller handing over the wrong thing. */
function parseObject(json: unknown, file: string, kind: string): Record<string, unknown> {
	let value = json;
	if (typeof json === 'string') {
		try {
			value = JSON.parse(json);
		} catch (e) {
			const msg = e instanceof Error ? e.message : String(e);
			throw new TokenizerError(`${file}: not valid JSON (${msg})`, file);
		}
	}
	if (!isRecord(value)) {
		throw new TokenizerError(`${file}: expected a JSON object (the contents of ${kind}), got ${kindOf(value)}`, file);
	}
	return value;
}

function readVocab(
	vocab: unknown,
	fail: (what: string) => never,
): { tokenToId: Map<string, number>; idToToken: Map<number, string> } {
	if (!isRecord(vocab)) return fail(`"model.vocab" must be an object mapping tokens to ids, got ${kindOf(vocab)}`);
	const tokenToId = new Map<string, number>();
	const idToToken = new Map<number, string>();
	for (const [tok, id] of Object.entries(vocab)) {
		if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
			fail(`"model.vocab" id of ${JSON.stringify(tok)} must be a non-negative integer, got ${kindOf(id)}`);
		}
		const other = idToToken.get(id as number);
		if (other !== undefined)
			fail(`"model.vocab" gives id ${id} to both ${JSON.stringify(other)} and ${JSON.stringify(tok)}`);
		tokenToId.set(tok, id as number);
		idToToken.set(id as number, tok);
	}
	if (tokenToId.size === 0) fail('"model.vocab" is empty');
	return { tokenToId, idToToken };
}

/** Same checks as Rust `tokenizers` on load: every merge is a pair of vocab tokens whose join is a vocab token. */
function checkMerges(
	merges: unknown,
	vocab: ReadonlyMap<string, number>,
	hasSubwordPrefix: boolean,
	fail: (what: string) => never,
): void {
	if (!Array.isArray(merges)) fail(`"model.merges" must be an array, got ${kindOf(merges)}`);
	(merges as unknown[]).forEach((merge, i) => {
		let pair: [string, string] | null = null;
		if (typeof merge === 'string') {
			const sp = merge.indexOf(' ');
			if (sp > 0 && sp < merge.length - 1 && merge.indexOf(' ', sp + 1) < 0)
				pair = [merge.slice(0, sp), merge.slice(sp + 1)];
		} else if (Array.isArray(merge) && merge.length === 2 && merge.every((p) => typeof p === 'string' && p !== '')) {
			pair = [merge[0], merge[1]];
		}
		if (pair === null) {
			fail(`"model.merges" entry ${i} must be "a b" or ["a", "b"], got ${JSON.stringify(merge)}`);
		}
		const [a, b] = pair as [string, string];
		for (const part of [a, b]) {
			if (!vocab.has(part))
				fail(
					`"model.merges" entry ${i} (${JSON.stringify(merge)}) uses ${JSON.stringify(part)}, which is not in "model.vocab"`,
				);
		}
		// With a continuing-subword prefix the merged token drops b's prefix; that layout is not OPT's, skip it.
		if (!hasSubwordPrefix && !vocab.has(a + b)) {
			fail(
				`"model.merges" entry ${i} (${JSON.stringify(merge)}) makes ${JSON.stringify(a + b)}, which is not in "model.vocab"`,
			);
		}
	});
}

interface AddedTokenJSON {
	id: number;
	content: string;
	single_word?: boolean;
	lstrip?: boolean;
	rstrip?: boolean;
	normalized?: boolean;
	special?: boolean;
}

function readAddedTokens(
	raw: unknown,
	vocabIds: ReadonlyMap<number, string>,
	fail: (what: string) => never,
): AddedTokenJSON[] {
	if (raw === undefined || raw === null) return [];
	if (!Array.isArray(raw)) return fail(`"added_tokens" must be an array, got ${kindOf(raw)}`);
	const seen = new Map<number, string>();
	return raw.map((t, i) => {
		if (!isRecord(t)) return fail(`"added_tokens" entry ${i} must be an object, got ${kindOf(t)}`);
		if (typeof t.content !== 'string' || t.content === '') {
			fail(`"added_tokens" entry ${i} must have a non-empty string "content", got ${kindOf(t.content)}`);
		}
		const content = t.content as string;
		const id = t.id;
		if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
			fail(
				`"added_tokens" entry ${i} (${JSON.stringify(content)}) must have a non-negative integer "id", got ${kindOf(id)}`,
			);
		}
		for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'] as const) {
			if (t[flag] !== undefined && typeof t[flag] !== 'boolean') {
				fail(
					`"added_tokens" entry ${i} (${JSON.stringify(content)}): "${flag}" must be true or false, got ${kindOf(t[flag])}`,
				);
			}
		}
		const inVocab = vocabIds.get(id as number);
		if (inVocab !== undefined && inVocab !== content) {
			fail(
				`"added_tokens" gives id ${id} to ${JSON.stringify(content)}, but "model.vocab" already gives it to ${JSON.stringify(inVocab)}`,
			);
		}
		const dup = seen.get(id as number);
		if (dup !== undefined)
			fail(`"added_tokens" gives id ${id} to both ${JSON.stringify(dup)} and ${JSON.stringify(content)}`);
		seen.set(id as number, content);
		return t as unknown as AddedTokenJSON;
	});
}

function usesByteLevel(pre: unknown): boolean {
	if (!isRecord(pre)) return false;
	if (pre.type === 'ByteLevel') return true;
	return pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) && pre.pretokenizers.some(usesByteLevel);
}

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
const BYTE_SYMBOLS: readonly string[] = (() => {
	const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
	const out: string[] = [];
	let n = 0;
	for (let b = 0; b < 256; b++) out.push(String.fromCharCode(printable(b) ? b : 256 + n++));
	return out;
})();

/** Special-token names from special_tokens_map.json (which transformers lets override) then tokenizer_config.json. */
class SpecialNames {
	private readonly sources: { file: string; obj: Record<string, unknown> }[] = [];

	constructor(where: string, extras: TokenizerExtras) {
		const sibling = (name: string) =>
			where.endsWith('tokenizer.json') ? where.slice(0, -'tokenizer.json'.length) + name : name;
		const add = (value: unknown, name: string) => {
			if (value === undefined || value === null) return;
			const file = sibling(name);
			this.sources.push({ file, obj: parseObject(value, file, name) });
		};
		add(extras.specialTokensMap, 'special_tokens_map.json');
		add(extras.tokenizerConfig, 'tokenizer_config.json');
	}

	get(field: string): { content: string; source: string } | null {
		for (const { file, obj } of this.sources) {
			const v = obj[field];
			if (v === undefined || v === null) continue;
			// Saved either as a plain string or as a serialized AddedToken ({"__type": "AddedToken", "content": …}).
			if (typeof v === 'string' && v !== '') return { content: v, source: file };
			if (isRecord(v) && typeof v.content === 'string' && v.content !== '') return { content: v.content, source: file };
			throw new TokenizerError(
				`${file}: "${field}" must be a token string or an object with a "content" string, got ${kindOf(v)}`,
				file,
			);
		}
		return null;
	}
}

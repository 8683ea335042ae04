/**
 * Readers of a tokenizer.json's sections ("model" with its vocab and merges, "added_tokens", "pre_tokenizer"),
 * each validating what it reads with a message naming the section, and the error type they throw. Used by
 * bpe-tokenizer.ts; the special tokens, which also come from tokenizer_config.json and special_tokens_map.json, are
 * special-tokens.ts.
 */

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
	/**
	 * How conversations become ids. 'chatml' (default): the reference ChatML (data/chatml.ts), which needs
	 * "<|im_start|>" and "<|im_end|>" as added tokens; LSWT checkpoints. 'template': the checkpoint's own
	 * chat_template (checkpoint/chat-template.ts); Hugging Face models (Llama, Qwen2).
	 */
	chat?: 'chatml' | 'template';
	/** Text of chat_template.jinja, which newer transformers save beside tokenizer_config.json. */
	chatTemplate?: string;
}

type Fail = (what: string) => never;

export function isRecord(x: unknown): x is Record<string, unknown> {
	return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function kindOf(x: unknown): string {
	if (x === null) return 'null';
	if (Array.isArray(x)) return 'an array';
	return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`;
}

/** Accept a parsed object or the file's text; anything else is the caller handing over the wrong thing. */
export function parseObject(json: unknown, file: string, kind: string): Record<string, unknown> {
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

/** "model": only BPE is read here (the workbench's own WordLevel files are CharTokenizer's, see load-tokenizer.ts). */
export function readBpeModel(model: unknown, fail: Fail): Record<string, unknown> {
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
	return m;
}

export function readVocab(
	vocab: unknown,
	fail: Fail,
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
export function checkMerges(
	merges: unknown,
	vocab: ReadonlyMap<string, number>,
	hasSubwordPrefix: boolean,
	fail: Fail,
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

export interface AddedTokenJSON {
	id: number;
	content: string;
	single_word?: boolean;
	lstrip?: boolean;
	rstrip?: boolean;
	normalized?: boolean;
	special?: boolean;
}

export function readAddedTokens(raw: unknown, vocabIds: ReadonlyMap<number, string>, fail: Fail): AddedTokenJSON[] {
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

/** Add the added tokens to the id maps, noting what the JS library cannot reproduce. */
export function addToVocab(
	added: readonly AddedTokenJSON[],
	tokenToId: Map<string, number>,
	idToToken: Map<number, string>,
	notes: string[],
): void {
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
}

/** "pre_tokenizer": a ByteLevel one needs all 256 byte symbols in the vocabulary. */
export function checkByteLevel(pre: unknown, vocab: ReadonlyMap<string, number>, fail: Fail): void {
	if (!usesByteLevel(pre)) return;
	const missing = BYTE_SYMBOLS.filter((s) => !vocab.has(s));
	if (missing.length > 0) {
		fail(
			`the pre-tokenizer is ByteLevel but "model.vocab" lacks ${missing.length} of the 256 byte symbols ` +
				`(first: ${JSON.stringify(missing[0])}); text containing those bytes would be silently dropped`,
		);
	}
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

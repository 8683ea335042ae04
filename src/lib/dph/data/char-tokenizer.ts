/**
 * A character-level tokenizer for training small DPH models in the browser on the synthetic tasks. Special-token
 * ids mirror the reference's OPT-125m layout (`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, with `pad_token_id` 1 and
 * `bos_token_id = eos_token_id` 2 in LSWTConfig), so a tiny model trained here has a config.json with the
 * reference's special ids.
 */
import { type DecodeOptions, SPECIAL_TOKENS, type SpecialTokenIds, type Tokenizer } from './tokenizer';
import { DataError } from './types';

/** Id order of the special tokens at the start of a default CharTokenizer vocabulary. */
const SPECIAL_ORDER: readonly string[] = [
	SPECIAL_TOKENS.s,
	SPECIAL_TOKENS.pad,
	SPECIAL_TOKENS.eos,
	SPECIAL_TOKENS.unk,
	SPECIAL_TOKENS.imStart,
	SPECIAL_TOKENS.imEnd,
];

/** Tab, newline, then printable ASCII in code-point order: digits, letters, space and all punctuation. */
export const DEFAULT_ALPHABET: string = (() => {
	let s = '\t\n';
	for (let c = 0x20; c <= 0x7e; c++) s += String.fromCharCode(c);
	return s;
})();

/**
 * The exact tokenizer.json that `CharTokenizer.toJSON()` writes (Hugging Face `tokenizers` serialization):
 *
 * ```json
 * {
 *   "version": "1.0",
 *   "truncation": null,
 *   "padding": null,
 *   "added_tokens": [
 *     { "id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
 *       "normalized": false, "special": true },
 *     … the same for "<pad>" 1, "</s>" 2, "<unk>" 3, "<|im_start|>" 4, "<|im_end|>" 5
 *   ],
 *   "normalizer": null,
 *   "pre_tokenizer": { "type": "Split", "pattern": { "Regex": "[\\s\\S]" }, "behavior": "Isolated", "invert": false },
 *   "post_processor": null,
 *   "decoder": { "type": "Fuse" },
 *   "model": { "type": "WordLevel", "vocab": { "<s>": 0, "<pad>": 1, …, "\t": 6, "\n": 7, " ": 8, …, "~": 102 },
 *              "unk_token": "<unk>" }
 * }
 * ```
 *
 * Why these choices: the pre-tokenizer regex is `[\s\S]` rather than `.` because `.` does not match a newline
 * in the Oniguruma regexes `tokenizers` uses, and runs of unmatched text would reach WordLevel as one piece
 * (→ `<unk>`). The decoder is `Fuse` because with no decoder `tokenizers` joins tokens with spaces.
 * `post_processor` is null because BOS is added by the ChatML builder, not the tokenizer (the reference tokenizes
 * with `add_special_tokens=False`). Added tokens are matched in raw text before pre-tokenization, which is what
 * `CharTokenizer.encode` does too, so both produce the same ids.
 */
export interface HFAddedToken {
	id: number;
	content: string;
	single_word: boolean;
	lstrip: boolean;
	rstrip: boolean;
	normalized: boolean;
	special: boolean;
}

export interface HFTokenizerJSON {
	version: string;
	truncation: null;
	padding: null;
	added_tokens: HFAddedToken[];
	normalizer: null;
	pre_tokenizer: { type: 'Split'; pattern: { Regex: string }; behavior: 'Isolated'; invert: boolean };
	post_processor: null;
	decoder: { type: 'Fuse' };
	model: { type: 'WordLevel'; vocab: Record<string, number>; unk_token: string };
}

/** tokenizer_config.json / special_tokens_map.json fields that transformers needs to name the specials. */
export interface HFTokenizerConfig {
	tokenizer_class: 'PreTrainedTokenizerFast';
	bos_token: string;
	eos_token: string;
	pad_token: string;
	unk_token: string;
	/** The reference sets sep = `<|im_start|>` and cls = `<|im_end|>` (train_utils.py); cls is the reward token. */
	sep_token: string;
	cls_token: string;
	additional_special_tokens: string[];
	model_max_length: number;
	clean_up_tokenization_spaces: boolean;
}

const CHAR_SPLIT_REGEX = '[\\s\\S]';

export interface CharTokenizerOptions {
	/** Characters of the vocabulary, each one code point, no repeats. Default: `DEFAULT_ALPHABET` (97 chars). */
	alphabet?: string | readonly string[];
	/**
	 * A full id → token list instead (special literals included, in any order); overrides `alphabet`. Must hold
	 * `<pad>`, `</s>`, `<unk>`, `<|im_start|>` and `<|im_end|>`; `<s>` is optional.
	 */
	vocab?: readonly string[];
}

function escapeRegex(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const SPECIAL_SET: ReadonlySet<string> = new Set(SPECIAL_ORDER);

/** Character-level tokenizer over a fixed alphabet; unknown characters map to `<unk>`. */
export class CharTokenizer implements Tokenizer {
	readonly vocabSize: number;
	readonly special: Readonly<SpecialTokenIds & { unk: number }>;
	/** id → token string (a character, or a special token's literal). */
	readonly tokens: readonly string[];
	private readonly ids: Map<string, number>;
	private readonly specialIds: Set<number>;
	/** Matches any special-token literal, longest first so overlapping literals resolve like `tokenizers`. */
	private readonly specialRe: RegExp;

	constructor(options: CharTokenizerOptions = {}) {
		let tokens: string[];
		if (options.vocab !== undefined) {
			tokens = [...options.vocab];
			for (const t of tokens) {
				if (typeof t !== 'string' || (!SPECIAL_SET.has(t) && Array.from(t).length !== 1)) {
					throw new DataError(`vocab: entry ${JSON.stringify(t)} is neither one character nor a known special token`);
				}
			}
		} else {
			const alphabet = options.alphabet ?? DEFAULT_ALPHABET;
			const chars = typeof alphabet === 'string' ? Array.from(alphabet) : [...alphabet];
			for (const c of chars) {
				if (typeof c !== 'string' || Array.from(c).length !== 1) {
					throw new DataError(`alphabet: every entry must be exactly one character, got ${JSON.stringify(c)}`);
				}
			}
			if (chars.length === 0) throw new DataError('alphabet: must contain at least one character, got none');
			tokens = [...SPECIAL_ORDER, ...chars];
		}
		const ids = new Map<string, number>();
		tokens.forEach((t, i) => {
			if (ids.has(t))
				throw new DataError(`vocab: ${JSON.stringify(t)} appears more than once (ids ${ids.get(t)} and ${i})`);
			ids.set(t, i);
		});
		const present = SPECIAL_ORDER.filter((t) => ids.has(t));
		this.tokens = tokens;
		this.vocabSize = tokens.length;
		this.ids = ids;
		this.special = CharTokenizer.resolveSpecials(ids);
		this.specialIds = new Set(present.map((t) => ids.get(t)!));
		this.specialRe = CharTokenizer.specialRegex(present);
	}

	private static resolveSpecials(ids: Map<string, number>): SpecialTokenIds & { unk: number } {
		const get = (t: string) => {
			const id = ids.get(t);
			if (id === undefined) throw new DataError(`vocab: special token ${JSON.stringify(t)} is missing`);
			return id;
		};
		const eos = get(SPECIAL_TOKENS.eos);
		return {
			pad: get(SPECIAL_TOKENS.pad),
			// OPT (and so the reference) uses `</s>` for both: bos_token_id = eos_token_id = 2.
			bos: eos,
			eos,
			unk: get(SPECIAL_TOKENS.unk),
			imStart: get(SPECIAL_TOKENS.imStart),
			imEnd: get(SPECIAL_TOKENS.imEnd),
		};
	}

	private static specialRegex(literals: readonly string[]): RegExp {
		const sorted = [...literals].sort((a, b) => b.length - a.length);
		return new RegExp(sorted.map(escapeRegex).join('|'), 'g');
	}

	/** The id of one vocabulary entry (a character or a special literal), or undefined. */
	tokenId(token: string): number | undefined {
		return this.ids.get(token);
	}

	isSpecial(id: number): boolean {
		return this.specialIds.has(id);
	}

	get unkId(): number {
		return this.special.unk;
	}

	encode(text: string): number[] {
		const out: number[] = [];
		const unk = this.special.unk;
		const pushChars = (s: string) => {
			for (const c of s) {
				const id = this.ids.get(c);
				// A character that is itself a special literal cannot occur (specials are multi-char), so a hit here
				// is always a real character.
				out.push(id === undefined ? unk : id);
			}
		};
		this.specialRe.lastIndex = 0;
		let last = 0;
		for (let m = this.specialRe.exec(text); m !== null; m = this.specialRe.exec(text)) {
			pushChars(text.slice(last, m.index));
			out.push(this.ids.get(m[0])!);
			last = m.index + m[0].length;
		}
		pushChars(text.slice(last));
		return out;
	}

	decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
		let s = '';
		for (let i = 0; i < ids.length; i++) {
			const id = ids[i];
			if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
				throw new DataError(`decode: token id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
			}
			if (options.skipSpecial && this.specialIds.has(id)) continue;
			s += this.tokens[id];
		}
		return s;
	}

	toJSON(): HFTokenizerJSON {
		const vocab: Record<string, number> = {};
		for (let i = 0; i < this.tokens.length; i++) vocab[this.tokens[i]] = i;
		const added_tokens: HFAddedToken[] = [...this.specialIds]
			.sort((a, b) => a - b)
			.map((id) => ({
				id,
				content: this.tokens[id],
				single_word: false,
				lstrip: false,
				rstrip: false,
				normalized: false,
				special: true,
			}));
		return {
			version: '1.0',
			truncation: null,
			padding: null,
			added_tokens,
			normalizer: null,
			pre_tokenizer: { type: 'Split', pattern: { Regex: CHAR_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
			post_processor: null,
			decoder: { type: 'Fuse' },
			model: { type: 'WordLevel', vocab, unk_token: SPECIAL_TOKENS.unk },
		};
	}

	/** tokenizer_config.json to write beside tokenizer.json so transformers knows which token is which. */
	toTokenizerConfig(modelMaxLength = 2048): HFTokenizerConfig {
		return {
			tokenizer_class: 'PreTrainedTokenizerFast',
			bos_token: SPECIAL_TOKENS.eos,
			eos_token: SPECIAL_TOKENS.eos,
			pad_token: SPECIAL_TOKENS.pad,
			unk_token: SPECIAL_TOKENS.unk,
			sep_token: SPECIAL_TOKENS.imStart,
			cls_token: SPECIAL_TOKENS.imEnd,
			additional_special_tokens: [SPECIAL_TOKENS.imStart, SPECIAL_TOKENS.imEnd],
			model_max_length: modelMaxLength,
			clean_up_tokenization_spaces: false,
		};
	}

	/**
	 * Rebuild from a tokenizer.json object (as `toJSON` writes it, or hand-edited with another alphabet or id
	 * order). Ids are taken from the file, so a reordered vocabulary keeps its ids.
	 */
	static fromJSON(json: unknown): CharTokenizer {
		const fail = (what: string): never => {
			throw new DataError(`tokenizer.json: ${what}`);
		};
		if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object');
		const obj = json as Record<string, unknown>;
		const model = obj.model as Record<string, unknown> | null | undefined;
		if (typeof model !== 'object' || model === null) fail('"model" must be an object');
		if (model!.type !== 'WordLevel') {
			fail(`"model.type" must be "WordLevel" for a character tokenizer, got ${JSON.stringify(model!.type)}`);
		}
		const vocab = model!.vocab as Record<string, unknown> | null | undefined;
		if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) fail('"model.vocab" must be an object');
		const unkToken = model!.unk_token;
		if (unkToken !== SPECIAL_TOKENS.unk) {
			fail(`"model.unk_token" must be ${JSON.stringify(SPECIAL_TOKENS.unk)}, got ${JSON.stringify(unkToken)}`);
		}
		const pre = obj.pre_tokenizer as Record<string, unknown> | null | undefined;
		const pattern = pre?.pattern as Record<string, unknown> | undefined;
		if (pre?.type !== 'Split' || typeof pattern?.Regex !== 'string' || pre.behavior !== 'Isolated' || pre.invert) {
			fail('"pre_tokenizer" must be a Split with a "Regex" pattern, behavior "Isolated", invert false');
		}
		const entries = Object.entries(vocab!);
		const tokens: string[] = new Array(entries.length);
		for (const [tok, id] of entries) {
			if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
				fail(`"model.vocab" id of ${JSON.stringify(tok)} must be an integer in [0, ${entries.length}), got ${id}`);
			}
			if (tokens[id as number] !== undefined) fail(`"model.vocab" id ${id} is used twice`);
			tokens[id as number] = tok;
		}
		for (let i = 0; i < tokens.length; i++)
			if (tokens[i] === undefined) fail(`"model.vocab" has no token with id ${i}`);
		try {
			return new CharTokenizer({ vocab: tokens });
		} catch (e) {
			throw e instanceof DataError ? new DataError(`tokenizer.json: ${e.message}`) : e;
		}
	}
}

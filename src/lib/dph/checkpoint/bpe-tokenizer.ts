/**
 * A BPE tokenizer read from a checkpoint's tokenizer.json (OPT's / GPT-2's byte-level BPE and the like), from local
 * objects only: nothing here fetches from a hub, and it runs the same in the browser, a Web Worker and Node. The
 * file is validated here (tokenizer-json.ts, special-tokens.ts); the tokenization itself is delegated to the
 * maintained pure-JS `@huggingface/tokenizers` library rather than reimplementing BPE.
 *
 * Encoding follows the reference (`tokenizer(text, add_special_tokens=False)`): no BOS/EOS is added, and literal
 * added-token strings such as `<|im_start|>` in the text become their ids. See docs/CHECKPOINTS.md § Tokenizer.
 */
import { Tokenizer as LibTokenizer } from '@huggingface/tokenizers';
import type { DecodeOptions, SpecialTokenIds, Tokenizer } from '../data/tokenizer';
import { DataError } from '../data/types';
import { addsBos, ChatTemplate, chatTemplateSource } from './chat-template';
import { type NamedSpecials, type ResolvedSpecials, resolveSpecials, SpecialNames } from './special-tokens';
import {
	type AddedTokenJSON,
	addToVocab,
	checkByteLevel,
	checkMerges,
	parseObject,
	readAddedTokens,
	readBpeModel,
	readVocab,
	TokenizerError,
	type TokenizerExtras,
} from './tokenizer-json';

/**
 * A tokenizer.json BPE tokenizer (OPT/GPT-2 byte-level BPE and the like) behind our `Tokenizer` interface; the
 * tokenization itself is `@huggingface/tokenizers`'. Build it with `loadTokenizer` or `BpeTokenizer.fromJSON`.
 */
export class BpeTokenizer implements Tokenizer {
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
	readonly named: Readonly<NamedSpecials>;
	readonly declaredBos: number | null;
	readonly unkId: number | null;
	/** The checkpoint's chat template (loaded with `chat: 'template'`); absent: the reference ChatML. */
	readonly chat?: ChatTemplate;
	/** Things the loader decided or could not reproduce exactly, in words, for the model card. */
	readonly notes: readonly string[];
	private readonly lib: LibTokenizer;
	private readonly json: Record<string, unknown>;
	private readonly idToToken: Map<number, string>;
	private readonly tokenToId: Map<string, number>;
	private readonly specialIds: ReadonlySet<number>;

	private constructor(
		init: ResolvedSpecials & {
			lib: LibTokenizer;
			json: Record<string, unknown>;
			idToToken: Map<number, string>;
			tokenToId: Map<string, number>;
			vocabSize: number;
			notes: string[];
			chat: ChatTemplate | null;
		},
	) {
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
		if (init.chat) this.chat = init.chat;
	}

	/**
	 * Read and check a tokenizer.json section by section, in the order a mistake is best reported: the model, its
	 * vocabulary and merges, the added tokens, the pre-tokenizer, the special tokens; then hand it to the library.
	 */
	static fromJSON(json: unknown, where = 'tokenizer.json', extras: TokenizerExtras = {}): BpeTokenizer {
		const obj = parseObject(json, where, 'tokenizer.json');
		const fail = (what: string): never => {
			throw new TokenizerError(`${where}: ${what}`, where);
		};
		const notes: string[] = [];
		const model = readBpeModel(obj.model, fail);
		const { tokenToId, idToToken } = readVocab(model.vocab, fail);
		const subwordPrefix = typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix !== '';
		checkMerges(model.merges, tokenToId, subwordPrefix, fail);
		const added = readAddedTokens(obj.added_tokens, idToToken, fail);
		addToVocab(added, tokenToId, idToToken, notes);
		checkByteLevel(obj.pre_tokenizer, tokenToId, fail);
		const unkName = typeof model.unk_token === 'string' ? model.unk_token : null;
		const specials = resolveSpecials(where, extras, { tokenToId, idToToken }, added, unkName, notes);

		let vocabSize = 0;
		for (const id of idToToken.keys()) vocabSize = Math.max(vocabSize, id + 1);
		const lib = libraryTokenizer(obj, added, fail);
		const chat = extras.chat === 'template' ? chatTemplate(where, extras, obj, lib, specials, idToToken, notes) : null;
		return new BpeTokenizer({ lib, json: obj, idToToken, tokenToId, vocabSize, ...specials, notes, chat });
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

/**
 * The checkpoint's chat template over the library tokenizer, or null to keep the reference ChatML (a tokenizer
 * with the ChatML markers and no template). Its end-of-turn token becomes `special.imEnd` and a special id.
 */
function chatTemplate(
	where: string,
	extras: TokenizerExtras,
	obj: Record<string, unknown>,
	lib: LibTokenizer,
	specials: ResolvedSpecials,
	idToToken: ReadonlyMap<number, string>,
	notes: string[],
): ChatTemplate | null {
	const sibling = (name: string) =>
		where.endsWith('tokenizer.json') ? where.slice(0, -'tokenizer.json'.length) + name : name;
	const configFile = sibling('tokenizer_config.json');
	const config =
		extras.tokenizerConfig == null ? null : parseObject(extras.tokenizerConfig, configFile, 'tokenizer_config.json');
	const source = chatTemplateSource(config, extras.chatTemplate, configFile, sibling('chat_template.jinja'));
	const { special, named, specialIds } = specials;
	if (source === null) {
		if (special.imStart >= 0 && special.imEnd >= 0) {
			notes.push('no chat_template: conversations are the reference ChatML, as for LSWT checkpoints');
			return null;
		}
		throw new TokenizerError(
			`${configFile}: no "chat_template" (and no chat_template.jinja), and ${where} has no ChatML tokens to fall back ` +
				"on, so conversations cannot be laid out. Use the chat (instruct) model's tokenizer_config.json, or add the " +
				'template the model was fine-tuned with as "chat_template".',
			configFile,
		);
	}
	// The special-token strings as transformers hands them to the template: only those the files name.
	const names = new SpecialNames(where, extras);
	const tokens: Record<string, string> = {};
	for (const field of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
		const n = names.get(field);
		if (n !== null) tokens[field] = n.content;
	}
	const bos = named.bos !== null && addsBos(config, obj.post_processor, named.bos.content) ? named.bos.id : null;
	const encode = (text: string) => lib.encode(text, { add_special_tokens: false }).ids;
	const template = ChatTemplate.create(
		{ encode, isSpecial: (id) => specialIds.has(id), token: (id) => idToToken.get(id) },
		{ ...source, tokens, bos, eos: special.eos },
	);
	special.imEnd = template.endOfTurn;
	specialIds.add(template.endOfTurn);
	notes.push(`conversations are rendered with ${template.description}${bos !== null ? ', BOS added in front' : ''}`);
	return template;
}

/** The @huggingface/tokenizers tokenizer that does the actual BPE. */
function libraryTokenizer(obj: Record<string, unknown>, added: AddedTokenJSON[], fail: (what: string) => never) {
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
	try {
		return new LibTokenizer(libJSON, { clean_up_tokenization_spaces: false });
	} catch (e) {
		const msg = e instanceof Error ? e.message : String(e);
		return fail(`the tokenizer library (@huggingface/tokenizers) could not read it: ${msg}`);
	}
}

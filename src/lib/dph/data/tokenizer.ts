/**
 * The `Tokenizer` contract the rest of the workbench codes against, the special-token literals, and the check for
 * characters a tokenizer turns into `<unk>`. Implementations: `CharTokenizer` (char-tokenizer.ts, character-level,
 * for training small models on the synthetic tasks) and `BpeTokenizer` (checkpoint/bpe-tokenizer.ts, read from a
 * checkpoint's tokenizer.json).
 */

import type { ChatSequence } from './chatml';
import type { ChatMessage } from './types';

export interface SpecialTokenIds {
	pad: number;
	bos: number;
	eos: number;
	/** `<|im_start|>`; -1 for a chat-template tokenizer without it (encoding never reads it). */
	imStart: number;
	/** `<|im_end|>`, or a chat template's end-of-turn token (`<|eot_id|>`, `</s>`): the reward index, generation's stop. */
	imEnd: number;
}

export interface DecodeOptions {
	/** Drop special tokens (pad, bos/eos, `<unk>`, ChatML markers) from the output. Default false. */
	skipSpecial?: boolean;
}

/**
 * How a tokenizer turns conversations into ids when it is not the reference ChatML of data/chatml.ts: a checkpoint's
 * own chat template (checkpoint/chat-template.ts). `encodeChat` and `encodePrompt` defer to it.
 */
export interface ChatEncoder {
	/** A conversation whose final message is the assistant's, with its spans and reward index. */
	encode(messages: readonly ChatMessage[]): ChatSequence;
	/** The context followed by the template's generation prompt. */
	prompt(messages: readonly ChatMessage[]): number[];
	/** The end-of-turn token id (also the tokenizer's `special.imEnd`). */
	readonly endOfTurn: number;
	/** In words, for model cards: which template and end-of-turn token. */
	readonly description: string;
}

export interface Tokenizer {
	readonly vocabSize: number;
	/** Tokenize with no special tokens added; literal special-token strings in `text` become their ids. */
	encode(text: string): number[];
	decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
	readonly special: Readonly<SpecialTokenIds>;
	/** The id unknown text becomes, or null/absent when the tokenizer has none (byte-level BPE never needs one). */
	readonly unkId?: number | null;
	/** A Hugging Face tokenizer.json-shaped object. */
	toJSON(): unknown;
	/** The checkpoint's chat template; absent: the reference ChatML (data/chatml.ts). */
	readonly chat?: ChatEncoder;
}

/** Characters of a text that the tokenizer turns into `<unk>`: how many there are, and the first distinct ones. */
export interface UnknownChars {
	count: number;
	chars: string[];
}

/**
 * Find the characters `tok` maps to `<unk>`, so a caller can warn that the model never saw them. Each distinct
 * character is encoded on its own once (a text has few distinct characters, however long it is); that is exact
 * for a character tokenizer and, for BPE with an unk token, catches the characters outside its base alphabet.
 * Returns null when there are none or the tokenizer has no unk token.
 */
export function unknownCharacters(tok: Tokenizer, text: string, first = 5): UnknownChars | null {
	const unk = tok.unkId;
	if (unk === null || unk === undefined || text === '') return null;
	const known = new Map<string, boolean>();
	const chars: string[] = [];
	let count = 0;
	for (const c of text) {
		let ok = known.get(c);
		if (ok === undefined) {
			ok = !tok.encode(c).includes(unk);
			known.set(c, ok);
			if (!ok && chars.length < first) chars.push(c);
		}
		if (!ok) count++;
	}
	return count ? { count, chars } : null;
}

/** "3 characters are not in the tokenizer's vocabulary and became <unk>: 'é', '€'". */
export function unknownMessage(u: UnknownChars): string {
	const shown = u.chars.map((c) => JSON.stringify(c).replace(/^"|"$/g, "'")).join(', ');
	return `${u.count} character${u.count === 1 ? ' is' : 's are'} not in the tokenizer's vocabulary and became <unk>: ${shown}`;
}

/** Literal strings of the special tokens; the same as OPT-125m plus the reference's ChatML additions. */
export const SPECIAL_TOKENS = {
	s: '<s>',
	pad: '<pad>',
	eos: '</s>',
	unk: '<unk>',
	imStart: '<|im_start|>',
	imEnd: '<|im_end|>',
} as const;

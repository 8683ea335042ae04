/**
 * Tokenizers read from a checkpoint folder's `tokenizer.json` (+ `tokenizer_config.json` /
 * `special_tokens_map.json` when present). Two kinds of file are accepted:
 * - the workbench's own character-level WordLevel tokenizer (what `CharTokenizer.toJSON()` writes), rebuilt as a
 *   `CharTokenizer` so ids and behaviour are exactly those it was trained with;
 * - a BPE tokenizer such as OPT's / GPT-2's byte-level BPE, as a `BpeTokenizer` (bpe-tokenizer.ts).
 */
import { CharTokenizer } from '../data/char-tokenizer';
import type { Tokenizer } from '../data/tokenizer';
import { DataError } from '../data/types';
import { BpeTokenizer } from './bpe-tokenizer';
import { type CheckpointFolder, readText } from './folder';
import { isRecord, parseObject, TokenizerError, type TokenizerExtras } from './tokenizer-json';

/**
 * Read a tokenizer from a parsed tokenizer.json object (or its raw text). `where` names the file in error
 * messages; `tokenizer_config.json` and `special_tokens_map.json` errors are named relative to it.
 * Returns a `CharTokenizer` for the workbench's own WordLevel files, otherwise a `BpeTokenizer`.
 */
export function loadTokenizer(json: unknown, where = 'tokenizer.json', extras: TokenizerExtras = {}): Tokenizer {
	const obj = parseObject(json, where, 'tokenizer.json');
	const model = obj.model;
	if (isRecord(model) && model.type === 'WordLevel') return loadCharTokenizer(obj, where);
	return BpeTokenizer.fromJSON(obj, where, extras);
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
 * How a family's conversations are laid out: Hugging Face models (the llama family) with their own chat template,
 * read from chat_template.jinja when the folder has one; LSWT with the reference ChatML (nothing to add).
 */
export async function chatExtras(folder: CheckpointFolder, family: string): Promise<TokenizerExtras> {
	if (family !== 'llama') return {};
	const jinja = await folder.file('chat_template.jinja');
	return { chat: 'template', ...(jinja ? { chatTemplate: await readText(jinja) } : {}) };
}

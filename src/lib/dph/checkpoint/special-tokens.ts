/**
 * The special tokens of a BPE tokenizer: the ChatML markers (which must be added tokens), and eos, pad, bos and unk,
 * named by special_tokens_map.json or tokenizer_config.json when given, else found by their usual literals.
 */
import { SPECIAL_TOKENS, type SpecialTokenIds } from '../data/tokenizer';
import {
	type AddedTokenJSON,
	isRecord,
	kindOf,
	parseObject,
	TokenizerError,
	type TokenizerExtras,
} from './tokenizer-json';

/** One named special token as resolved from the files, for model cards and diagnostics. */
export interface NamedToken {
	content: string;
	id: number;
	/** Where the name came from: a file name, or "default" when no file named it and a known literal was found. */
	source: string;
}

export type NamedSpecials = Record<'bos' | 'eos' | 'pad' | 'unk' | 'imStart' | 'imEnd', NamedToken | null>;

export interface ResolvedSpecials {
	/**
	 * `bos` is the id the reference puts at the start of every sequence, which is its `eos_token_id` (`</s>` for
	 * OPT, where bos_token and eos_token are both `</s>`).
	 */
	special: SpecialTokenIds;
	named: NamedSpecials;
	/** The file's own bos_token when it names one other than eos, else null. */
	declaredBos: number | null;
	/** What decode({skipSpecial}) drops. */
	specialIds: Set<number>;
}

/**
 * Resolve the special tokens of a tokenizer.json (`where`) whose vocabulary and added tokens are read; `unkName` is
 * its "model.unk_token". Appends to `notes` what it decided.
 */
export function resolveSpecials(
	where: string,
	extras: TokenizerExtras,
	vocab: { tokenToId: ReadonlyMap<string, number>; idToToken: ReadonlyMap<number, string> },
	added: readonly AddedTokenJSON[],
	unkName: string | null,
	notes: string[],
): ResolvedSpecials {
	const { tokenToId, idToToken } = vocab;
	const fail = (what: string): never => {
		throw new TokenizerError(`${where}: ${what}`, where);
	};
	// ChatML markers must be added tokens: only those are cut out of raw text before BPE, so a marker that is
	// merely a vocab entry would be split into pieces like "<|", "im", … and the reward index would be lost.
	const addedIds = new Map(added.map((t) => [t.content, t.id]));
	// A chat-template tokenizer needs no ChatML markers: its end-of-turn token comes from the template (-1 until then).
	const optional = extras.chat === 'template';
	const chatml = (literal: string): number => {
		const id = addedIds.get(literal);
		if (id !== undefined) return id;
		if (optional) return -1;
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
	// A chat template decides BOS itself (chat-template.ts); the reference's eos-first layout is ChatML's.
	if (declaredBos !== null && bos !== null && !optional) {
		notes.push(
			`bos_token ${JSON.stringify(bos.content)} (${bos.id}, from ${bos.source}) differs from eos_token ` +
				`${JSON.stringify(eosTok.content)} (${eosTok.id}); sequences start with the eos id, as the reference builds them`,
		);
	}
	const unk =
		resolve('unk_token') ??
		(unkName !== null && tokenToId.has(unkName)
			? { content: unkName, id: tokenToId.get(unkName)!, source: where }
			: null);

	// Skipped by decode({skipSpecial}): what transformers' skip_special_tokens drops (added tokens marked
	// special) plus the named specials, so `<pad>` is dropped even in a file that forgot to mark it.
	const specialIds = new Set<number>(added.filter((t) => t.special === true).map((t) => t.id));
	for (const t of [eosTok, pad, bos, unk]) if (t !== null) specialIds.add(t.id);
	if (imStart >= 0) specialIds.add(imStart);
	if (imEnd >= 0) specialIds.add(imEnd);

	const named = (id: number): NamedToken | null => (id < 0 ? null : { content: idToToken.get(id)!, id, source: where });
	return {
		special: { pad: pad.id, bos: eosTok.id, eos: eosTok.id, imStart, imEnd },
		named: { bos, eos: eosTok, pad, unk, imStart: named(imStart), imEnd: named(imEnd) },
		declaredBos,
		specialIds,
	};
}

/** Special-token names from special_tokens_map.json (which transformers lets override) then tokenizer_config.json. */
export class SpecialNames {
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

/**
 * Checks a training set against the model it will train before the first step: which examples are longer than
 * `maxLen` (dropped, as the reference's DPH loader drops a document `pad_doc_single` finds too long, or kept for
 * the batcher to truncate), and which characters the tokenizer cannot encode. Done once at load, so every batch
 * holds exactly `batchSize` examples and the counts can be reported up front.
 */
import { encodeCandidate, encodeChat } from './chatml';
import type { Tokenizer } from './tokenizer';
import { isPair, type TrainExample } from './types';

/** 'drop': leave overlong examples out (the reference); 'truncate': cut context after BOS (see batches.ts). */
export const OVERLONG_POLICIES = ['drop', 'truncate'] as const;
export type OverlongPolicy = (typeof OVERLONG_POLICIES)[number];

export interface FitResult<T> {
	kept: T[];
	/** Examples left out: too long and dropped, or too long even after truncating the context. */
	dropped: number;
	/** Examples kept that the batcher will truncate (policy 'truncate'). */
	truncated: number;
}

/**
 * Sort examples by whether they fit in `maxLen` tokens. With 'truncate', an example fits when cutting context
 * leaves its final assistant message whole (the batcher's rule); one whose final message alone is too long is
 * dropped rather than failing a step mid-run.
 */
export function fitExamples<T extends TrainExample>(
	tok: Tokenizer,
	examples: readonly T[],
	maxLen: number,
	policy: OverlongPolicy,
): FitResult<T> {
	const kept: T[] = [];
	let dropped = 0;
	let truncated = 0;
	for (const x of examples) {
		const seqs = isPair(x)
			? [encodeCandidate(tok, x.messages, x.chosen), encodeCandidate(tok, x.messages, x.rejected)]
			: [encodeChat(tok, x.messages)];
		const longest = Math.max(...seqs.map((s) => s.ids.length));
		if (longest <= maxLen) {
			kept.push(x);
			continue;
		}
		// The batcher removes the same k tokens right after BOS from every row of the group.
		const k = longest - maxLen + 1;
		const room = Math.min(...seqs.map((s) => s.spans[s.spans.length - 1].start));
		if (policy === 'truncate' && k <= room) {
			kept.push(x);
			truncated++;
		} else dropped++;
	}
	return { kept, dropped, truncated };
}

/** Characters of a data set the tokenizer cannot encode: it maps them to `<unk>` or drops them. */
export interface Unencodable {
	/** Examples holding at least one such character. */
	examples: number;
	/** Occurrences of such characters over all examples. */
	characters: number;
	/** How many distinct characters, and the first few of them in order of appearance. */
	distinct: number;
	chars: string[];
}

function texts(x: TrainExample): string[] {
	const out = x.messages.map((m) => m.content);
	if (isPair(x)) out.push(x.chosen, x.rejected);
	return out;
}

/**
 * Find what `tok` cannot encode in `examples`. Each distinct character is encoded on its own once: it is lost when
 * that gives no token (a vocabulary without it and no unk token) or the unk id. Exact for a character tokenizer;
 * byte-level BPE encodes every character, so it never reports one. Returns null when everything encodes.
 */
export function unencodable(tok: Tokenizer, examples: readonly TrainExample[], first = 5): Unencodable | null {
	const unk = tok.unkId ?? null;
	const known = new Map<string, boolean>();
	const chars: string[] = [];
	let exampleCount = 0;
	let characters = 0;
	let distinct = 0;
	for (const x of examples) {
		let bad = 0;
		for (const text of texts(x)) {
			for (const c of text) {
				let ok = known.get(c);
				if (ok === undefined) {
					const ids = tok.encode(c);
					ok = ids.length > 0 && (unk === null || !ids.includes(unk));
					known.set(c, ok);
					if (!ok && distinct++ < first) chars.push(c);
				}
				if (!ok) bad++;
			}
		}
		if (bad) {
			exampleCount++;
			characters += bad;
		}
	}
	return exampleCount ? { examples: exampleCount, characters, distinct, chars } : null;
}

/** "3 of 40 examples hold 5 characters the tokenizer cannot encode (they become <unk> or are dropped): 'é', '€'". */
export function unencodableMessage(u: Unencodable, total: number, tokenizer = 'the tokenizer'): string {
	const shown = u.chars.map((c) => JSON.stringify(c).replace(/^"|"$/g, "'")).join(', ');
	return `${u.examples} of ${total} example${total === 1 ? '' : 's'} ${u.examples === 1 ? 'holds' : 'hold'} ${u.characters} character${u.characters === 1 ? '' : 's'} ${tokenizer} cannot encode (they become <unk> or are dropped, so the model never sees them): ${shown}${u.chars.length < u.distinct ? `, … (${u.distinct} distinct)` : ''}`;
}

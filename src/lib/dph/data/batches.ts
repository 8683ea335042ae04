/**
 * Padded batches for the model, as flat typed arrays ready for `tf.tensor2d(ids, [rows, length], 'int32')`.
 *
 * Pair batches put the B chosen sequences in rows 0…B-1 and the B rejected ones in rows B…2B-1, as the reference
 * concatenates chosen and rejected on the batch axis. Sequences are right-padded with the pad id; padded positions
 * have target 0 and mask 0 (not -100: gathers in tfjs need a valid index, and the mask already removes them).
 * With right padding and causal attention, pads never influence real positions, so no attention mask is needed.
 *
 * Length policy when `maxLen` is set and a sequence is longer (`overflow`):
 *   'error'    (default) throw, naming the item and the lengths;
 *   'skip'     leave the pair/item out and list its index in `skipped` (the reference drops such documents);
 *   'truncate' drop context tokens right after BOS, the same number from every sequence of the pair/item so they
 *              keep a common context. Only context may go: the final assistant message (header, content,
 *              `<|im_end|>\n`) always stays whole, so the reward index and the scored tokens stay inside; if that
 *              message alone does not fit in maxLen − 1 tokens it is an error even with 'truncate'.
 */
import {
	type ChatSequence,
	encodeCandidate,
	encodeChat,
	encodePair,
	evalTargets,
	type TrainTargetOptions,
	trainTargets,
} from './chatml';
import type { Tokenizer } from './tokenizer';
import { type ChatMessage, DataError, type MultipleChoiceItem, type PreferencePair } from './types';

export type OverflowPolicy = 'error' | 'skip' | 'truncate';

export interface BatchOptions {
	/** Longest sequence allowed, in tokens. Default: no limit. */
	maxLen?: number;
	overflow?: OverflowPolicy;
	/** Round the padded length up to a multiple of this (the reference rounds to 16 for evaluation). Default 1. */
	padMultiple?: number;
	/**
	 * Pad every batch to exactly `maxLen`: one tensor shape for the whole run, so WebGPU/WebGL kernels compile once
	 * instead of once per batch length. Needs `maxLen`.
	 */
	fixedLength?: boolean;
	/** Which assistant messages the LM train mask covers (see `trainTargets`). Default 'all'. */
	trainOn?: TrainTargetOptions['assistant'];
}

/** Row-major [rows, length] arrays shared by pair and choice batches. */
export interface PackedRows {
	rows: number;
	/** Padded sequence length L. */
	length: number;
	ids: Int32Array;
	/** `targets[r·L + i] = ids[r·L + i + 1]`, EOS after the last real token, 0 on padding. */
	targets: Int32Array;
	/** Assistant content tokens and their `<|im_end|>` (LM / cDPO log-probs). */
	trainMask: Float32Array;
	/** Final assistant content tokens only (average-log-prob predictor). */
	evalMask: Float32Array;
	/** Per row: index of its last `<|im_end|>`, where the reward is read. */
	rewardIndex: Int32Array;
	/** Per row: unpadded length. */
	seqLength: Int32Array;
	/** Non-pad tokens in the batch. */
	tokens: number;
	trainTokens: number;
	evalTokens: number;
}

export interface PairBatch extends PackedRows {
	/** B: the number of pairs; rows = 2B. */
	pairs: number;
	/** Indices (into the input) of the pairs in this batch, in row order. */
	kept: number[];
	/** Indices of pairs left out by overflow 'skip'. */
	skipped: number[];
	/** Per pair: 1 when a synthetic task flipped its label. */
	flipped: Uint8Array;
}

export interface ChoiceBatch extends PackedRows {
	/** Items in the batch. */
	items: number;
	/** Per row: which item (0…items-1 within this batch) and which of its candidates. */
	itemIndex: Int32Array;
	candidateIndex: Int32Array;
	/** Rows of item j are offsets[j] … offsets[j+1]-1. */
	offsets: Int32Array;
	/** Per item: its label, or -1 when it has none. */
	labels: Int32Array;
	/** Indices (into the input) of the items in this batch. */
	kept: number[];
	skipped: number[];
}

interface Row {
	ids: number[];
	targets: number[];
	trainMask: number[];
	evalMask: number[];
	rewardIndex: number;
	/** Where the final message starts: context before it is all truncation may remove. */
	finalStart: number;
}

function toRow(seq: ChatSequence, trainOn: TrainTargetOptions['assistant']): Row {
	const t = trainTargets(seq, { assistant: trainOn });
	const e = evalTargets(seq);
	return {
		ids: seq.ids,
		targets: t.targets,
		trainMask: t.mask,
		evalMask: e.mask,
		rewardIndex: seq.rewardIndex,
		finalStart: seq.spans[seq.spans.length - 1].start,
	};
}

/**
 * Remove tokens [1, k) (the context right after BOS). Position 0 now predicts ids[k], which is what position
 * k-1 predicted before, so its target and masks come from there.
 */
function dropContext(row: Row, k: number): Row {
	if (k <= 1) return row;
	const cut = (xs: number[]) => [xs[0], ...xs.slice(k)];
	const shift = (xs: number[]) => [xs[k - 1], ...xs.slice(k)];
	return {
		ids: cut(row.ids),
		targets: shift(row.targets),
		trainMask: shift(row.trainMask),
		evalMask: shift(row.evalMask),
		rewardIndex: row.rewardIndex - (k - 1),
		finalStart: row.finalStart - (k - 1),
	};
}

function checkOptions(options: BatchOptions): void {
	const { maxLen, padMultiple, overflow, fixedLength } = options;
	if (maxLen !== undefined && (!Number.isInteger(maxLen) || maxLen < 2)) {
		throw new DataError(`maxLen: must be an integer ≥ 2, got ${JSON.stringify(maxLen)}`);
	}
	if (padMultiple !== undefined && (!Number.isInteger(padMultiple) || padMultiple < 1)) {
		throw new DataError(`padMultiple: must be an integer ≥ 1, got ${JSON.stringify(padMultiple)}`);
	}
	if (overflow !== undefined && overflow !== 'error' && overflow !== 'skip' && overflow !== 'truncate') {
		throw new DataError(`overflow: must be "error", "skip" or "truncate", got ${JSON.stringify(overflow)}`);
	}
	if (fixedLength && maxLen === undefined) throw new DataError('fixedLength: needs maxLen to be set');
}

/**
 * Fit one group (a pair's two rows, or an item's candidates) into maxLen. Returns null to skip it.
 * `what` names the group in errors, e.g. "pair 3".
 */
function fitGroup(rows: Row[], options: BatchOptions, what: string): Row[] | null {
	const { maxLen } = options;
	if (maxLen === undefined) return rows;
	const longest = Math.max(...rows.map((r) => r.ids.length));
	if (longest <= maxLen) return rows;
	const overflow = options.overflow ?? 'error';
	if (overflow === 'skip') return null;
	if (overflow === 'error') {
		throw new DataError(
			`${what}: sequence of ${longest} tokens is longer than maxLen ${maxLen} (use overflow "truncate" or "skip", or raise maxLen)`,
		);
	}
	const k = longest - maxLen + 1;
	const room = Math.min(...rows.map((r) => r.finalStart));
	if (k > room) {
		const final = Math.max(...rows.map((r) => r.ids.length - r.finalStart));
		throw new DataError(
			`${what}: the final assistant message alone is ${final} tokens; with BOS it cannot fit in maxLen ${maxLen}, even truncated`,
		);
	}
	return rows.map((r) => dropContext(r, k));
}

function pack(rows: Row[], pad: number, imEnd: number, options: BatchOptions): PackedRows {
	const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
	const multiple = options.padMultiple ?? 1;
	let L = Math.ceil(longest / multiple) * multiple;
	if (options.maxLen !== undefined) L = options.fixedLength ? options.maxLen : Math.min(L, options.maxLen);
	const n = rows.length;
	const ids = new Int32Array(n * L).fill(pad);
	const targets = new Int32Array(n * L);
	const trainMask = new Float32Array(n * L);
	const evalMask = new Float32Array(n * L);
	const rewardIndex = new Int32Array(n);
	const seqLength = new Int32Array(n);
	let tokens = 0;
	let trainTokens = 0;
	let evalTokens = 0;
	rows.forEach((r, i) => {
		const o = i * L;
		ids.set(r.ids, o);
		targets.set(r.targets, o);
		trainMask.set(r.trainMask, o);
		evalMask.set(r.evalMask, o);
		if (r.ids[r.rewardIndex] !== imEnd) throw new Error(`batch: row ${i} reward index does not point at <|im_end|>`);
		rewardIndex[i] = r.rewardIndex;
		seqLength[i] = r.ids.length;
		tokens += r.ids.length;
		for (let p = 0; p < r.ids.length; p++) {
			trainTokens += r.trainMask[p];
			evalTokens += r.evalMask[p];
		}
	});
	return {
		rows: n,
		length: L,
		ids,
		targets,
		trainMask,
		evalMask,
		rewardIndex,
		seqLength,
		tokens,
		trainTokens,
		evalTokens,
	};
}

/** Encode and pad B pairs: rows 0…B-1 chosen, B…2B-1 rejected. */
export function makePairBatch(tok: Tokenizer, pairs: readonly PreferencePair[], options: BatchOptions = {}): PairBatch {
	checkOptions(options);
	const chosen: Row[] = [];
	const rejected: Row[] = [];
	const kept: number[] = [];
	const skipped: number[] = [];
	const flips: number[] = [];
	pairs.forEach((p, i) => {
		const enc = encodePair(tok, p);
		const fitted = fitGroup(
			[toRow(enc.chosen, options.trainOn), toRow(enc.rejected, options.trainOn)],
			options,
			`pair ${i}`,
		);
		if (fitted === null) {
			skipped.push(i);
			return;
		}
		chosen.push(fitted[0]);
		rejected.push(fitted[1]);
		kept.push(i);
		flips.push(p.flipped ? 1 : 0);
	});
	const packed = pack([...chosen, ...rejected], tok.special.pad, tok.special.imEnd, options);
	return { ...packed, pairs: kept.length, kept, skipped, flipped: Uint8Array.from(flips) };
}

export interface ChatBatch extends PackedRows {
	/** Indices (into the input) of the conversations in this batch, in row order. */
	kept: number[];
	skipped: number[];
}

/** Encode and pad whole conversations (each ending with an assistant message), one row each: SFT batches. */
export function makeChatBatch(
	tok: Tokenizer,
	conversations: readonly (readonly ChatMessage[])[],
	options: BatchOptions = {},
): ChatBatch {
	checkOptions(options);
	const rows: Row[] = [];
	const kept: number[] = [];
	const skipped: number[] = [];
	conversations.forEach((c, i) => {
		const fitted = fitGroup([toRow(encodeChat(tok, c), options.trainOn)], options, `conversation ${i}`);
		if (fitted === null) skipped.push(i);
		else {
			rows.push(fitted[0]);
			kept.push(i);
		}
	});
	return { ...pack(rows, tok.special.pad, tok.special.imEnd, options), kept, skipped };
}

/** Encode and pad every candidate of every item: one row per candidate, items' rows contiguous. */
export function makeChoiceBatch(
	tok: Tokenizer,
	items: readonly MultipleChoiceItem[],
	options: BatchOptions = {},
): ChoiceBatch {
	checkOptions(options);
	const rows: Row[] = [];
	const itemIndex: number[] = [];
	const candidateIndex: number[] = [];
	const offsets: number[] = [0];
	const labels: number[] = [];
	const kept: number[] = [];
	const skipped: number[] = [];
	items.forEach((item, i) => {
		if (item.candidates.length === 0) throw new DataError(`item ${i}: "candidates" is empty`);
		const group = item.candidates.map((c) => toRow(encodeCandidate(tok, item.messages, c), options.trainOn));
		const fitted = fitGroup(group, options, `item ${i}`);
		if (fitted === null) {
			skipped.push(i);
			return;
		}
		fitted.forEach((r, c) => {
			rows.push(r);
			itemIndex.push(kept.length);
			candidateIndex.push(c);
		});
		kept.push(i);
		labels.push(item.label ?? -1);
		offsets.push(rows.length);
	});
	const packed = pack(rows, tok.special.pad, tok.special.imEnd, options);
	return {
		...packed,
		items: kept.length,
		itemIndex: Int32Array.from(itemIndex),
		candidateIndex: Int32Array.from(candidateIndex),
		offsets: Int32Array.from(offsets),
		labels: Int32Array.from(labels),
		kept,
		skipped,
	};
}

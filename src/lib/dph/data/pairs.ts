/**
 * Multiple-choice items → preference pairs, as the reference does for DPH training (`DPHMultiTaskLoader`):
 * chosen = the correct candidate, rejected = a uniformly sampled wrong one.
 */
import { type ChatMessage, DataError, type MultipleChoiceItem, type PreferencePair } from './types';

/**
 * Turn a labelled item into a pair, drawing the rejected candidate uniformly from the others with `rand`.
 * Messages are copied so later edits to the pair never reach the item.
 */
export function itemToPair(item: MultipleChoiceItem, rand: () => number): PreferencePair {
	const { candidates, label } = item;
	if (label === undefined) throw new DataError('label: an item needs a label to become a pair, got none');
	if (!Number.isInteger(label) || label < 0 || label >= candidates.length) {
		throw new DataError(`label: must be an integer in [0, ${candidates.length - 1}], got ${label}`);
	}
	if (candidates.length < 2)
		throw new DataError(`candidates: need at least 2 to make a pair, got ${candidates.length}`);
	// Draw among the n-1 wrong indices, then skip over the label: uniform without rejection sampling.
	let j = Math.floor(rand() * (candidates.length - 1));
	if (j >= label) j++;
	return { messages: copyMessages(item.messages), chosen: candidates[label], rejected: candidates[j] };
}

/** Swap chosen and rejected with probability `eta` (label noise), recording it in `flipped`. */
export function withNoise(pair: PreferencePair, eta: number, rand: () => number): PreferencePair {
	const flip = rand() < eta;
	return flip
		? { messages: pair.messages, chosen: pair.rejected, rejected: pair.chosen, flipped: true }
		: { ...pair, flipped: false };
}

export function copyMessages(messages: readonly ChatMessage[]): ChatMessage[] {
	return messages.map((m) => ({ role: m.role, content: m.content }));
}

/**
 * Shapes shared by every part of the data layer. They are plain JSON-able objects so they cross the worker
 * boundary (structured clone) and land in IndexedDB unchanged.
 */

export type Role = 'system' | 'user' | 'assistant';
export const ROLES: readonly Role[] = ['system', 'user', 'assistant'];

export interface ChatMessage {
	role: Role;
	content: string;
}

/**
 * One preference comparison. `messages` is the context WITHOUT the answer; chosen and rejected are the two
 * contents of the final assistant message. `flipped` is set by synthetic tasks when label noise swapped the
 * pair, so experiments can measure how a loss copes with noise it cannot see.
 */
export interface PreferencePair {
	messages: ChatMessage[];
	chosen: string;
	rejected: string;
	flipped?: boolean;
}

/**
 * A conversation for supervised fine-tuning only (a messages-only JSONL line): `messages` ends with the assistant
 * answer to learn. It has no rejected answer, so it trains only the SFT term.
 */
export interface SftExample {
	messages: ChatMessage[];
}

/** What a training run draws its batches from: preference pairs, or conversations for SFT. */
export type TrainExample = PreferencePair | SftExample;

export function isPair(x: TrainExample): x is PreferencePair {
	return 'chosen' in x;
}

/** The conversation the SFT term learns: a pair's context and its chosen answer, or the SFT example itself. */
export function conversationOf(x: TrainExample): ChatMessage[] {
	return isPair(x) ? [...x.messages, { role: 'assistant', content: x.chosen }] : x.messages;
}

/**
 * A multiple-choice item (the scoring input of docs/CHECKPOINTS.md): `label` indexes the correct candidate when known.
 * Both predictors (DPH reward, average log-prob) are evaluated on these.
 */
export interface MultipleChoiceItem {
	messages: ChatMessage[];
	candidates: string[];
	label?: number;
}

/** Thrown for invalid arguments; the message names the field, the value and what is allowed. */
export class DataError extends Error {
	override name = 'DataError';
}

export function isRole(x: unknown): x is Role {
	return x === 'system' || x === 'user' || x === 'assistant';
}

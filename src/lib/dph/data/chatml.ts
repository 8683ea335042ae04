/**
 * ChatML token sequences exactly as the reference builds them (`src/training/data_instruct/formatter.py`):
 *
 *   ids = [BOS] + Σ_messages tok("<|im_start|>{role}\n") + tok(content) + tok("<|im_end|>\n")
 *
 * with every piece tokenized on its own (no special tokens added), so BPE merges never cross a piece boundary and
 * scores match PyTorch. BOS is the reference's `eos_token_id` (OPT uses `</s>` for both).
 *
 * Training targets are the inputs shifted by one (`targets[i] = ids[i+1]`, the last target is EOS) and the masks are
 * aligned with targets, as in the reference's `tokenize_chat`: the train mask covers assistant content tokens and
 * the first token of that message's suffix (its `<|im_end|>`); the eval mask covers content tokens only.
 */
import type { Tokenizer } from './tokenizer';
import { type ChatMessage, DataError, type PreferencePair } from './types';

/** Where one message lies in `ids`. All bounds are token indices; `end` is exclusive. */
export interface MessageSpan {
	role: ChatMessage['role'];
	/** First token of the `<|im_start|>{role}\n` header. */
	start: number;
	/** Content tokens are `[contentStart, contentEnd)`. */
	contentStart: number;
	contentEnd: number;
	/** After the `<|im_end|>\n` suffix. The suffix starts at `contentEnd` and its first token is `<|im_end|>`. */
	end: number;
	/**
	 * The message's closing special token when it is not at `contentEnd`: a chat template may put markup between
	 * the content and its end-of-turn token (Llama-2's " </s>"). Absent for ChatML.
	 */
	close?: number;
}

export interface ChatSequence {
	ids: number[];
	/** Content tokens of the final (assistant) message: `[answerStart, answerEnd)`. */
	answerStart: number;
	answerEnd: number;
	/**
	 * Index of the LAST `<|im_end|>` token (a chat template's end-of-turn token, checkpoint/chat-template.ts): where
	 * the reward head reads the hidden state.
	 */
	rewardIndex: number;
	spans: MessageSpan[];
	/** The tokenizer's EOS id, kept so targets can be built without the tokenizer at hand. */
	eos: number;
}

/**
 * Tokenize a conversation. The final message must be an assistant message (the one being scored or trained);
 * without it the last `<|im_end|>` closes a user turn and the reward would be read from the wrong place (the
 * reference README calls this undefined behaviour).
 */
export function encodeChat(tok: Tokenizer, messages: readonly ChatMessage[]): ChatSequence {
	if (tok.chat) return tok.chat.encode(messages);
	if (messages.length === 0) throw new DataError('messages: must contain at least one message, got an empty list');
	const last = messages[messages.length - 1];
	if (last.role !== 'assistant') {
		throw new DataError(`messages: the final message must have role "assistant", got "${last.role}"`);
	}
	const ids: number[] = [tok.special.bos];
	const spans: MessageSpan[] = [];
	// The header and suffix are the same strings over and over; tokenizing each once is the reference's cache too.
	const cache = new Map<string, number[]>();
	const piece = (s: string) => {
		let v = cache.get(s);
		if (v === undefined) {
			v = tok.encode(s);
			cache.set(s, v);
		}
		return v;
	};
	// A loop, not push(...xs): spreading a long document's ids would overflow the argument limit.
	const append = (xs: readonly number[]) => {
		for (const x of xs) ids.push(x);
	};
	for (const m of messages) {
		const start = ids.length;
		append(piece(`<|im_start|>${m.role}\n`));
		const contentStart = ids.length;
		append(tok.encode(m.content));
		const contentEnd = ids.length;
		append(piece('<|im_end|>\n'));
		spans.push({ role: m.role, start, contentStart, contentEnd, end: ids.length });
	}
	const rewardIndex = ids.lastIndexOf(tok.special.imEnd);
	if (rewardIndex < 0) throw new DataError('the tokenizer did not produce an <|im_end|> token for "<|im_end|>\\n"');
	const final = spans[spans.length - 1];
	return {
		ids,
		answerStart: final.contentStart,
		answerEnd: final.contentEnd,
		rewardIndex,
		spans,
		eos: tok.special.eos,
	};
}

/** Context plus one candidate as the final assistant message (the scoring layout of docs/CHECKPOINTS.md, Scoring). */
export function encodeCandidate(tok: Tokenizer, context: readonly ChatMessage[], candidate: string): ChatSequence {
	return encodeChat(tok, [...context, { role: 'assistant', content: candidate }]);
}

/**
 * The ids a model continues to answer `context`: for ChatML the context and `<|im_start|>assistant\n`; with a chat
 * template, its rendering with add_generation_prompt (which may differ from an assistant message's header).
 */
export function encodePrompt(tok: Tokenizer, context: readonly ChatMessage[]): number[] {
	if (tok.chat) return tok.chat.prompt(context);
	const s = encodeCandidate(tok, context, '');
	return s.ids.slice(0, s.answerStart);
}

export interface EncodedPair {
	chosen: ChatSequence;
	rejected: ChatSequence;
}

export function encodePair(tok: Tokenizer, pair: PreferencePair): EncodedPair {
	return {
		chosen: encodeCandidate(tok, pair.messages, pair.chosen),
		rejected: encodeCandidate(tok, pair.messages, pair.rejected),
	};
}

export interface Targets {
	/** `targets[i] = ids[i+1]`; the last is EOS. Same length as ids. */
	targets: number[];
	/** 1 where `targets[i]` contributes to the loss, else 0. Same length as ids. */
	mask: number[];
}

export interface TrainTargetOptions {
	/**
	 * 'all' (default, as the reference's `tokenize_chat`): every assistant message's content and `<|im_end|>` are
	 * trained. 'final': only the final assistant message, for contexts holding earlier assistant turns that should
	 * not be learned.
	 */
	assistant?: 'all' | 'final';
}

function shifted(seq: ChatSequence): number[] {
	const targets = seq.ids.slice(1);
	targets.push(seq.eos);
	return targets;
}

/** Targets and the language-model training mask (assistant content + its `<|im_end|>`). */
export function trainTargets(seq: ChatSequence, options: TrainTargetOptions = {}): Targets {
	const targets = shifted(seq);
	const mask = new Array<number>(targets.length).fill(0);
	const spans = options.assistant === 'final' ? seq.spans.slice(-1) : seq.spans;
	for (const s of spans) {
		if (s.role !== 'assistant') continue;
		// Mask index i predicts token i+1, so token positions [contentStart, contentEnd] (the last being <|im_end|>)
		// are masked at i ∈ [contentStart-1, contentEnd-1]; a template's closing token may sit further on.
		const last = s.close ?? s.contentEnd;
		for (let p = s.contentStart; p <= last && p < s.end; p++) mask[p - 1] = 1;
	}
	return { targets, mask };
}

/**
 * Targets and the evaluation mask for the average-log-prob predictor: the final assistant message's content
 * tokens only (docs/CHECKPOINTS.md, Scoring), not its header and not the closing `<|im_end|>\n`.
 */
export function evalTargets(seq: ChatSequence): Targets {
	const targets = shifted(seq);
	const mask = new Array<number>(targets.length).fill(0);
	for (let p = seq.answerStart; p < seq.answerEnd; p++) mask[p - 1] = 1;
	return { targets, mask };
}

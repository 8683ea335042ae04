/**
 * Conversations rendered with a checkpoint's own `chat_template` (tokenizer_config.json or chat_template.jinja),
 * for Hugging Face models (Llama, Qwen2, SmolLM2, …); LSWT checkpoints keep the reference ChatML of
 * data/chatml.ts. The template runs in `@huggingface/jinja` with the variables transformers'
 * `apply_chat_template` passes (`messages`, `add_generation_prompt`, the special-token strings), and the rendered
 * text is tokenized in one piece, as `apply_chat_template(tokenize=True)` does, so BPE sees exactly what the model
 * saw in chat fine-tuning.
 *
 * Where each message's content lies is found by rendering the conversation a second time with sentinel contents:
 * the text between sentinels is the template's own markup, so the real contents are located in the real text
 * without guessing the markup (a template that trims content is handled too). A token that crosses a boundary
 * belongs to the part it ends in. The end-of-turn token is the first special token after the final assistant
 * content (`<|im_end|>`, `<|eot_id|>`, `</s>`, …): the reward is read there and generation stops there.
 */
import { Template } from '@huggingface/jinja';
import type { ChatSequence, MessageSpan } from '../data/chatml';
import type { ChatEncoder } from '../data/tokenizer';
import { type ChatMessage, DataError } from '../data/types';
import { isRecord, kindOf, TokenizerError } from './tokenizer-json';

export interface TemplateTokenizer {
	/** Tokenize with no special tokens added (literal added-token strings become their ids). */
	encode(text: string): number[];
	isSpecial(id: number): boolean;
	/** The token string of an id, for messages. */
	token(id: number): string | undefined;
}

export interface ChatTemplateOptions {
	/** The Jinja source. */
	template: string;
	/** The file it came from, for errors ("tokenizer_config.json", "chat_template.jinja"). */
	file: string;
	/** Special-token strings as transformers passes them (bos_token, eos_token, unk_token, pad_token). */
	tokens: Readonly<Record<string, string>>;
	/**
	 * Put this id first when the rendered text does not start with it: Llama-2-style tokenizers add BOS on
	 * tokenization (add_bos_token) and their templates do not write it. Null: nothing is added.
	 */
	bos: number | null;
	eos: number;
}

/** The probe conversation that finds the end-of-turn token at load. */
const PROBE: readonly ChatMessage[] = [
	{ role: 'user', content: 'Hi there' },
	{ role: 'assistant', content: 'Hello' },
];

/** Private-use characters: no template or tokenizer treats them specially, and trim() leaves them alone. */
const sentinel = (i: number) => `\uE000dph${i}\uE001`;

export class ChatTemplate implements ChatEncoder {
	/** The end-of-turn token: where the reward is read and generation stops. */
	readonly endOfTurn: number;
	readonly description: string;
	private readonly compiled: Template;

	private constructor(
		private readonly tok: TemplateTokenizer,
		private readonly options: ChatTemplateOptions,
	) {
		const where = options.file;
		try {
			this.compiled = new Template(options.template);
		} catch (e) {
			throw new TokenizerError(`${where}: the chat_template is not valid Jinja: ${message(e)}`, where);
		}
		const probe = this.locate(PROBE, (what) => {
			throw new TokenizerError(`${where}: the chat_template cannot be used for DPH: ${what}`, where);
		});
		if (probe.close < 0) {
			const tail = probe.text.slice(-60);
			throw new TokenizerError(
				`${where}: the chat_template puts no special token after the final assistant message (its rendering ends ` +
					`${JSON.stringify(tail)}), so there is no end-of-turn position to read the reward at or to stop generating ` +
					'on. DPH needs a template whose assistant turn is closed by a special token such as <|im_end|>, ' +
					'<|eot_id|> or </s>: use the chat model\'s tokenizer_config.json, or set "chat_template" to one that does.',
				where,
			);
		}
		this.endOfTurn = probe.ids[probe.close];
		this.description = `the chat_template of ${where} (end of turn ${JSON.stringify(tok.token(this.endOfTurn) ?? this.endOfTurn)})`;
	}

	static create(tok: TemplateTokenizer, options: ChatTemplateOptions): ChatTemplate {
		return new ChatTemplate(tok, options);
	}

	/** The template's text for a conversation, as `apply_chat_template(tokenize=False)` gives it. */
	render(messages: readonly ChatMessage[], addGenerationPrompt = false): string {
		try {
			return this.compiled.render({
				...this.options.tokens,
				messages: messages.map((m) => ({ role: m.role, content: m.content })),
				add_generation_prompt: addGenerationPrompt,
			});
		} catch (e) {
			throw new DataError(`the chat_template of ${this.options.file} refused the conversation: ${message(e)}`);
		}
	}

	encode(messages: readonly ChatMessage[]): ChatSequence {
		if (messages.length === 0) throw new DataError('messages: must contain at least one message, got an empty list');
		const last = messages[messages.length - 1];
		if (last.role !== 'assistant') {
			throw new DataError(`messages: the final message must have role "assistant", got "${last.role}"`);
		}
		const found = this.locate(messages, (what) => {
			throw new DataError(`the chat_template of ${this.options.file}: ${what}`);
		});
		const { ids, spans, close } = found;
		if (close < 0 || ids[close] !== this.endOfTurn) {
			const got = close < 0 ? 'none' : JSON.stringify(this.tok.token(ids[close]));
			throw new DataError(
				`the chat_template of ${this.options.file} closed this conversation's final assistant message with ${got}, ` +
					`not its end-of-turn token ${JSON.stringify(this.tok.token(this.endOfTurn))}; the reward position is undefined`,
			);
		}
		const final = spans[spans.length - 1];
		return {
			ids,
			answerStart: final.contentStart,
			answerEnd: final.contentEnd,
			rewardIndex: close,
			spans,
			eos: this.options.eos,
		};
	}

	prompt(messages: readonly ChatMessage[]): number[] {
		return this.tokenize(this.render(messages, true));
	}

	private tokenize(text: string): number[] {
		const ids = this.tok.encode(text);
		const bos = this.options.bos;
		if (bos !== null && ids[0] !== bos) ids.unshift(bos);
		return ids;
	}

	/** Token spans of every message and the index of the final message's closing special token (-1: none). */
	private locate(messages: readonly ChatMessage[], fail: (what: string) => never) {
		const text = this.render(messages);
		const marked = this.render(messages.map((m, i) => ({ role: m.role, content: sentinel(i) })));
		// The markup pieces around the sentinels, in the order the template wrote the messages.
		const order: { i: number; at: number }[] = [];
		messages.forEach((_, i) => {
			const at = marked.indexOf(sentinel(i));
			if (at < 0) fail(`message ${i} (${messages[i].role}) does not appear in the rendered text`);
			if (marked.indexOf(sentinel(i), at + 1) >= 0) fail(`message ${i} (${messages[i].role}) appears twice`);
			order.push({ i, at });
		});
		order.sort((a, b) => a.at - b.at);
		if (order.some((o, k) => o.i !== k)) fail('the template writes the messages out of order');
		const pieces: string[] = [];
		let from = 0;
		for (const { i, at } of order) {
			pieces.push(marked.slice(from, at));
			from = at + sentinel(i).length;
		}
		pieces.push(marked.slice(from));

		// Character bounds of each content in the real text: the markup must match, the content may be trimmed.
		const chars: { start: number; end: number }[] = [];
		let pos = 0;
		messages.forEach((m, i) => {
			if (!text.startsWith(pieces[i], pos)) {
				fail(`the markup before message ${i} (${m.role}) changes with its content, so the content cannot be located`);
			}
			pos += pieces[i].length;
			const next = pieces[i + 1];
			const as = [m.content, m.content.trim(), m.content.trimStart(), m.content.trimEnd()].find((c) =>
				i + 1 === messages.length ? text.slice(pos) === c + next : text.startsWith(c + next, pos),
			);
			if (as === undefined) fail(`message ${i} (${m.role}): its content is changed by the template beyond trimming`);
			chars.push({ start: pos, end: pos + (as as string).length });
			pos += (as as string).length;
		});

		const ids = this.tokenize(text);
		// Token index where the part starting at character b begins: tokens before it lie wholly before b.
		const tokenAt = (b: number) => {
			const head = this.tokenize(text.slice(0, b));
			let k = 0;
			while (k < head.length && k < ids.length && head[k] === ids[k]) k++;
			// A BOS added to an empty head is not text: nothing of the text lies before it.
			return b === 0 ? Math.min(k, this.options.bos !== null ? 1 : 0) : k;
		};
		const bounds = chars.map((c) => ({ start: tokenAt(c.start), end: tokenAt(c.end) }));
		const firstSpecial = (from: number, to: number) => {
			for (let p = from; p < to; p++) if (this.tok.isSpecial(ids[p])) return p;
			return -1;
		};
		const spans: MessageSpan[] = [];
		let close = -1;
		bounds.forEach((b, i) => {
			const to = i + 1 < bounds.length ? bounds[i + 1].start : ids.length;
			const c = firstSpecial(b.end, to);
			const start = i === 0 ? 0 : spans[i - 1].end;
			const end = c >= 0 ? c + 1 : b.end;
			const span: MessageSpan = { role: messages[i].role, start, contentStart: b.start, contentEnd: b.end, end };
			if (c >= 0) span.close = c;
			spans.push(span);
			if (i + 1 === bounds.length) close = c;
		});
		return { text, ids, spans, close };
	}
}

function message(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

/**
 * The chat template a checkpoint ships: chat_template.jinja (what newer transformers save) or tokenizer_config.json's
 * "chat_template", a string or a list of named templates of which "default" is the one transformers uses.
 */
export function chatTemplateSource(
	tokenizerConfig: Record<string, unknown> | null,
	jinja: string | undefined,
	configFile: string,
	jinjaFile: string,
): { template: string; file: string } | null {
	if (typeof jinja === 'string' && jinja.trim() !== '') return { template: jinja, file: jinjaFile };
	const t = tokenizerConfig?.chat_template;
	if (t === undefined || t === null) return null;
	if (typeof t === 'string') return { template: t, file: configFile };
	if (Array.isArray(t)) {
		const named = t.find((x) => isRecord(x) && x.name === 'default');
		if (isRecord(named) && typeof named.template === 'string') return { template: named.template, file: configFile };
		const names = t.map((x) => (isRecord(x) ? JSON.stringify(x.name) : kindOf(x))).join(', ');
		throw new TokenizerError(
			`${configFile}: "chat_template" is a list of named templates (${names}) without one named "default", the one transformers renders`,
			configFile,
		);
	}
	throw new TokenizerError(
		`${configFile}: "chat_template" must be a Jinja string or a list of {name, template}, got ${kindOf(t)}`,
		configFile,
	);
}

/**
 * Whether tokenization adds BOS in front, as transformers does outside apply_chat_template: tokenizer_config's
 * add_bos_token when given (Llama-2, TinyLlama), else a TemplateProcessing post-processor that starts with it.
 */
export function addsBos(tokenizerConfig: Record<string, unknown> | null, postProcessor: unknown, bos: string): boolean {
	const flag = tokenizerConfig?.add_bos_token;
	if (typeof flag === 'boolean') return flag;
	if (!isRecord(postProcessor)) return false;
	const procs = postProcessor.type === 'Sequence' ? postProcessor.processors : [postProcessor];
	if (!Array.isArray(procs)) return false;
	return procs.some((p) => {
		if (!isRecord(p) || p.type !== 'TemplateProcessing' || !Array.isArray(p.single)) return false;
		const first = p.single[0];
		return isRecord(first) && isRecord(first.SpecialToken) && first.SpecialToken.id === bos;
	});
}

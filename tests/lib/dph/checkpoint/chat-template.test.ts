import { describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../../../../src/lib/dph/checkpoint/bpe-tokenizer';
import { loadTokenizer } from '../../../../src/lib/dph/checkpoint/load-tokenizer';
import { TokenizerError } from '../../../../src/lib/dph/checkpoint/tokenizer-json';
import { encodeChat, encodePrompt, evalTargets, trainTargets } from '../../../../src/lib/dph/data/chatml';
import { type ChatMessage, DataError } from '../../../../src/lib/dph/data/types';
import { type HfTokenizerKind, hfTokenizerFiles, TEMPLATES } from '../../../fixtures/hf-tokenizer';

function load(kind: HfTokenizerKind, edit: (config: Record<string, unknown>) => void = () => {}, chat = true) {
	const f = hfTokenizerFiles(kind);
	edit(f.tokenizerConfig);
	return loadTokenizer(f.tokenizer, 'ckpt/tokenizer.json', {
		tokenizerConfig: f.tokenizerConfig,
		...(chat ? { chat: 'template' as const } : {}),
	}) as BpeTokenizer;
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const system = (content: string): ChatMessage => ({ role: 'system', content });

const CONV = [user('what is the answer?'), assistant('hello there')];

/**
 * What transformers' apply_chat_template renders for CONV, written out by hand from each template (trim_blocks and
 * lstrip_blocks on, as transformers compiles them), and the end-of-turn token each closes the answer with.
 */
const EXPECTED: Record<Exclude<HfTokenizerKind, 'plain'>, { text: string; prompt: string; eot: string }> = {
	smollm2: {
		text:
			'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
			'<|im_start|>user\nwhat is the answer?<|im_end|>\n<|im_start|>assistant\nhello there<|im_end|>\n',
		prompt:
			'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
			'<|im_start|>user\nwhat is the answer?<|im_end|>\n<|im_start|>assistant\n',
		eot: '<|im_end|>',
	},
	qwen2: {
		text:
			'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
			'<|im_start|>user\nwhat is the answer?<|im_end|>\n<|im_start|>assistant\nhello there<|im_end|>\n',
		prompt:
			'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
			'<|im_start|>user\nwhat is the answer?<|im_end|>\n<|im_start|>assistant\n',
		eot: '<|im_end|>',
	},
	llama3: {
		text:
			'<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nwhat is the answer?<|eot_id|>' +
			'<|start_header_id|>assistant<|end_header_id|>\n\nhello there<|eot_id|>',
		prompt:
			'<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nwhat is the answer?<|eot_id|>' +
			'<|start_header_id|>assistant<|end_header_id|>\n\n',
		eot: '<|eot_id|>',
	},
	tinyllama: {
		text: '<|user|>\nwhat is the answer?</s>\n<|assistant|>\nhello there</s>\n',
		prompt: '<|user|>\nwhat is the answer?</s>\n<|assistant|>\n',
		eot: '</s>',
	},
};

const KINDS = Object.keys(EXPECTED) as (keyof typeof EXPECTED)[];

describe('chat templates: rendering and token spans', () => {
	for (const kind of KINDS) {
		describe(kind, () => {
			const tok = load(kind);
			const chat = tok.chat!;
			const eot = tok.tokenId(EXPECTED[kind].eot)!;
			// TinyLlama's tokenizer adds BOS itself (add_bos_token); Llama-3's template writes it; Qwen2/SmolLM2 have none.
			const withBos = (ids: number[]) => (kind === 'tinyllama' ? [tok.tokenId('<s>')!, ...ids] : ids);

			it("renders the template's text, and its generation prompt", () => {
				expect(chat.render(CONV)).toBe(EXPECTED[kind].text);
				expect(chat.render(CONV.slice(0, 1), true)).toBe(EXPECTED[kind].prompt);
			});

			it('tokenizes the rendered text in one piece, and the prompt with add_generation_prompt', () => {
				const s = encodeChat(tok, CONV);
				expect(s.ids).toEqual(withBos(tok.encode(EXPECTED[kind].text)));
				expect(encodePrompt(tok, CONV.slice(0, 1))).toEqual(withBos(tok.encode(EXPECTED[kind].prompt)));
			});

			it('puts the answer span on the content tokens and the reward on the end-of-turn token', () => {
				const s = encodeChat(tok, CONV);
				expect(tok.special.imEnd).toBe(eot);
				expect(chat.endOfTurn).toBe(eot);
				expect(tok.decode(s.ids.slice(s.answerStart, s.answerEnd)).trim()).toBe('hello there');
				expect(s.ids[s.rewardIndex]).toBe(eot);
				expect(s.rewardIndex).toBe(s.ids.lastIndexOf(eot));
				// Only markup (no content) lies between the answer and its end-of-turn token here.
				expect(s.rewardIndex).toBe(s.answerEnd);
				// The text before the answer decodes to the prompt's text.
				// (Whitespace aside: a Llama-2-style tokenizer writes "▁" after every special token.)
				const squash = (x: string) => x.replace(/\s+/g, ' ').trim();
				const before = tok.decode(s.ids.slice(0, s.answerStart));
				expect(squash(before.replace(/^<s>/, ''))).toBe(squash(EXPECTED[kind].prompt));
				const u = s.spans[0];
				expect(tok.decode(s.ids.slice(u.contentStart, u.contentEnd)).trim()).toBe('what is the answer?');
			});

			it('masks: the log-prob covers content only, training adds the end-of-turn token', () => {
				const s = encodeChat(tok, CONV);
				const e = evalTargets(s).mask;
				const t = trainTargets(s).mask;
				const on = (m: number[]) => m.flatMap((x, i) => (x ? [i + 1] : []));
				const content = Array.from({ length: s.answerEnd - s.answerStart }, (_, k) => s.answerStart + k);
				expect(on(e)).toEqual(content);
				expect(on(t)).toEqual([...content, s.rewardIndex]);
			});

			it('multi-turn: every assistant turn is trained with its own end-of-turn token', () => {
				const conv = [user('hello'), assistant('hello there'), user('what is the answer?'), assistant('the answer')];
				const s = encodeChat(tok, conv);
				// Each assistant turn's end-of-turn token: the first after its content (ChatML closes system/user turns too).
				const eots = s.spans.map((x) => s.ids.indexOf(eot, x.contentEnd));
				const a1 = s.spans[1];
				expect(tok.decode(s.ids.slice(a1.contentStart, a1.contentEnd)).trim()).toBe('hello there');
				const on = trainTargets(s)
					.mask.flatMap((x, i) => (x ? [i + 1] : []))
					.filter((p) => s.ids[p] === eot);
				expect(s.spans.map((x) => x.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
				expect(on).toEqual([eots[1], eots[3]]);
				expect(trainTargets(s, { assistant: 'final' }).mask.filter(Boolean).length).toBe(
					s.answerEnd - s.answerStart + 1,
				);
			});
		});
	}

	it('a template that trims content: the span is the trimmed content (Llama-3)', () => {
		const tok = load('llama3');
		const s = encodeChat(tok, [user('  what is the answer?  '), assistant('  hello there \n')]);
		expect(tok.decode(s.ids.slice(s.answerStart, s.answerEnd))).toBe('hello there');
		expect(s.ids[s.answerEnd]).toBe(tok.tokenId('<|eot_id|>'));
	});

	it('a system message given replaces the default one (Qwen2)', () => {
		const tok = load('qwen2');
		expect(tok.chat!.render([system('you are helpful'), ...CONV])).toBe(
			'<|im_start|>system\nyou are helpful<|im_end|>\n<|im_start|>user\nwhat is the answer?<|im_end|>\n' +
				'<|im_start|>assistant\nhello there<|im_end|>\n',
		);
		const s = encodeChat(tok, [system('you are helpful'), ...CONV]);
		expect(s.spans.map((x) => x.role)).toEqual(['system', 'user', 'assistant']);
		expect(tok.decode(s.ids.slice(s.spans[0].contentStart, s.spans[0].contentEnd))).toBe('you are helpful');
	});

	it('an empty answer still has its end-of-turn token and an empty span', () => {
		const tok = load('smollm2');
		const s = encodeChat(tok, [user('hello'), assistant('')]);
		expect(s.answerEnd).toBe(s.answerStart);
		expect(s.ids[s.rewardIndex]).toBe(tok.tokenId('<|im_end|>'));
	});
});

describe('chat templates: what is refused', () => {
	it('a template without an end-of-turn special token, at load, naming the file', () => {
		const f = hfTokenizerFiles('plain');
		const run = () =>
			loadTokenizer(f.tokenizer, 'ckpt/tokenizer.json', { tokenizerConfig: f.tokenizerConfig, chat: 'template' });
		expect(run).toThrow(TokenizerError);
		expect(run).toThrow(
			/ckpt\/tokenizer_config\.json: the chat_template puts no special token after the final assistant/,
		);
	});

	it('no template and no ChatML tokens: refused, naming tokenizer_config.json', () => {
		const run = () => load('llama3', (c) => delete c.chat_template);
		expect(run).toThrow(/ckpt\/tokenizer_config\.json: no "chat_template"/);
	});

	it('no template but ChatML tokens: the reference ChatML, said in the notes', () => {
		const tok = load('smollm2', (c) => delete c.chat_template);
		expect(tok.chat).toBeUndefined();
		expect(tok.notes.join('\n')).toMatch(/no chat_template: conversations are the reference ChatML/);
		const s = encodeChat(tok, CONV);
		expect(s.ids[0]).toBe(tok.special.bos);
		expect(s.ids[s.rewardIndex]).toBe(tok.tokenId('<|im_end|>'));
	});

	it('the default (LSWT) keeps the reference ChatML even when a template is present', () => {
		const tok = load('smollm2', () => {}, false);
		expect(tok.chat).toBeUndefined();
		const s = encodeChat(tok, CONV);
		// The reference layout: BOS (= eos) then each piece tokenized on its own.
		const pieces = ['<|im_start|>user\n', 'what is the answer?', '<|im_end|>\n', '<|im_start|>assistant\n'];
		expect(s.ids.slice(0, 1 + pieces.flatMap((p) => tok.encode(p)).length)).toEqual([
			tok.special.eos,
			...pieces.flatMap((p) => tok.encode(p)),
		]);
	});

	it("a template's own refusal names the template and keeps its message", () => {
		const tok = load('smollm2', (c) => {
			c.chat_template = `{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}${c.chat_template}`;
		});
		expect(() => encodeChat(tok, [system('x'), ...CONV])).toThrow(DataError);
		expect(() => encodeChat(tok, [system('x'), ...CONV])).toThrow(
			/ckpt\/tokenizer_config\.json refused.*System role not supported/,
		);
	});

	it('invalid Jinja, a template list without "default", and a final non-assistant message', () => {
		expect(() => load('qwen2', (c) => (c.chat_template = '{% for m in messages %}'))).toThrow(/not valid Jinja/);
		expect(() => load('qwen2', (c) => (c.chat_template = [{ name: 'tool_use', template: 'x' }]))).toThrow(
			/named templates \("tool_use"\) without one named "default"/,
		);
		const named = load('qwen2', (c) => (c.chat_template = [{ name: 'default', template: c.chat_template }]));
		expect(named.chat!.render(CONV)).toBe(EXPECTED.qwen2.text);
		expect(() => encodeChat(load('qwen2'), [user('x')])).toThrow(/final message must have role "assistant"/);
	});

	it('chat_template.jinja, as newer transformers save it, takes precedence', () => {
		const f = hfTokenizerFiles('qwen2');
		const tok = loadTokenizer(f.tokenizer, 'ckpt/tokenizer.json', {
			tokenizerConfig: { ...f.tokenizerConfig, chat_template: undefined },
			chatTemplate: TEMPLATES.smollm2,
			chat: 'template',
		});
		expect(tok.chat!.description).toMatch(/ckpt\/chat_template\.jinja/);
		expect((tok as BpeTokenizer).chat!.render(CONV)).toBe(EXPECTED.smollm2.text);
	});
});

describe('the tokenizer kinds of the target models load and round-trip', () => {
	const text = 'what is the answer? Café — 42 × 7\n\n  spaced';
	for (const kind of KINDS) {
		it(`${kind}: encode then decode gives the text back, nothing becomes <unk>`, () => {
			const tok = load(kind);
			const ids = tok.encode(text);
			// A Llama-2-style decoder strips the "▁" its normalizer put in front.
			expect(tok.decode(ids)).toBe(text);
			if (tok.unkId !== null) expect(ids).not.toContain(tok.unkId);
		});
	}

	it('tinyllama: characters outside the vocabulary become their UTF-8 bytes (byte_fallback)', () => {
		const tok = load('tinyllama');
		const ids = tok.encode('é');
		expect(ids.map((i) => tok.token(i))).toEqual(['▁', '<0xC3>', '<0xA9>']);
	});
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as LibTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../../../src/lib/dph/checkpoint/bpe-tokenizer';
import { loadTokenizer } from '../../../../src/lib/dph/checkpoint/load-tokenizer';
import { TokenizerError, type TokenizerExtras } from '../../../../src/lib/dph/checkpoint/tokenizer-json';
import { CharTokenizer, DEFAULT_ALPHABET } from '../../../../src/lib/dph/data/char-tokenizer';
import { encodeChat, evalTargets } from '../../../../src/lib/dph/data/chatml';
import { DataError } from '../../../../src/lib/dph/data/types';

// --- A tiny OPT/GPT-2-style byte-level BPE tokenizer.json, written by hand -------------------------------------

/** GPT-2's bytes_to_unicode, written out here so the fixture does not borrow the library's table. */
function bytesToUnicode(): string[] {
	const keep: number[] = [];
	for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) keep.push(b);
	for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
	for (let b = 0xae; b <= 0xff; b++) keep.push(b);
	const table = new Array<string>(256);
	for (const b of keep) table[b] = String.fromCharCode(b);
	let n = 0;
	for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
	return table;
}
const BYTE = bytesToUnicode();

// Layout: the four OPT specials at 0–3, byte b at id 4 + b, then one id per merge in merge order, then ChatML.
const S = 0;
const PAD = 1;
const EOS = 2;
const UNK = 3;
/** Id of the single-byte token for an ASCII character / a raw byte. */
const ch = (c: string) => 4 + c.charCodeAt(0);
const byte = (b: number) => 4 + b;

const MERGES: [string, string][] = [
	['Ġ', 't'], // 260 Ġt
	['h', 'e'], // 261 he
	['Ġt', 'he'], // 262 Ġthe
	['u', 's'], // 263 us
	['e', 'r'], // 264 er
	['us', 'er'], // 265 user
	['l', 'l'], // 266 ll
	['he', 'll'], // 267 hell
	['hell', 'o'], // 268 hello
	['b', 'c'], // 269 bc  — ranked before "a b", so "abc" → a + bc
	['a', 'b'], // 270 ab
	['ab', 'c'], // 271 abc — unreachable from "abc" because bc wins first
	['Ã', '©'], // 272 é (UTF-8 C3 A9)
	['Ġ', 'w'], // 273 Ġw
	['o', 'r'], // 274 or
	['Ġw', 'or'], // 275 Ġwor
	['l', 'd'], // 276 ld
	['Ġwor', 'ld'], // 277 Ġworld
	['Ċ', 'Ċ'], // 278 ĊĊ
];
const ID = {
	he: 261,
	Gthe: 262,
	user: 265,
	ll: 266,
	hello: 268,
	bc: 269,
	ab: 270,
	e_acute: 272,
	Gworld: 277,
	NLNL: 278,
	imStart: 279,
	imEnd: 280,
};
const SPACE = byte(0x20); // "Ġ"
const NL = byte(0x0a); // "Ċ"

type Json = Record<string, unknown>;

const added = (id: number, content: string, special = true) => ({
	id,
	content,
	single_word: false,
	lstrip: false,
	rstrip: false,
	normalized: false,
	special,
});

/** OPT-like post-processors that WOULD add special tokens if they were applied. */
const TEMPLATE_POST = {
	type: 'TemplateProcessing',
	single: [{ SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
	pair: [
		{ SpecialToken: { id: '</s>', type_id: 0 } },
		{ Sequence: { id: 'A', type_id: 0 } },
		{ Sequence: { id: 'B', type_id: 1 } },
	],
	special_tokens: { '</s>': { id: '</s>', ids: [EOS], tokens: ['</s>'] } },
};
const ROBERTA_POST = {
	type: 'RobertaProcessing',
	sep: ['</s>', EOS],
	cls: ['<s>', S],
	trim_offsets: true,
	add_prefix_space: false,
};

function fixture(post: Json = TEMPLATE_POST): Json {
	const vocab: Record<string, number> = { '<s>': S, '<pad>': PAD, '</s>': EOS, '<unk>': UNK };
	BYTE.forEach((sym, b) => {
		vocab[sym] = byte(b);
	});
	MERGES.forEach(([a, b], i) => {
		vocab[a + b] = 260 + i;
	});
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [
			added(S, '<s>'),
			added(PAD, '<pad>'),
			added(EOS, '</s>'),
			added(UNK, '<unk>'),
			added(ID.imStart, '<|im_start|>'),
			added(ID.imEnd, '<|im_end|>'),
		],
		normalizer: null,
		pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
		post_processor: post,
		decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: null,
			continuing_subword_prefix: '',
			end_of_word_suffix: '',
			fuse_unk: false,
			byte_fallback: false,
			ignore_merges: false,
			vocab,
			merges: MERGES.map(([a, b]) => `${a} ${b}`),
		},
	};
}

/** OPT-125m's tokenizer_config.json special tokens (bos = eos = unk = `</s>`), plus the reference's sep/cls. */
const OPT_CONFIG = {
	tokenizer_class: 'GPT2Tokenizer',
	add_bos_token: true,
	bos_token: {
		__type: 'AddedToken',
		content: '</s>',
		lstrip: false,
		normalized: true,
		rstrip: false,
		single_word: false,
	},
	eos_token: '</s>',
	unk_token: '</s>',
	pad_token: '<pad>',
	sep_token: '<|im_start|>',
	cls_token: '<|im_end|>',
};

const load = (json: unknown = fixture(), extras = {}) => {
	const t = loadTokenizer(json, 'tokenizer.json', extras);
	if (!(t instanceof BpeTokenizer)) throw new Error('expected a BpeTokenizer');
	return t;
};

describe('BpeTokenizer on a hand-written byte-level BPE tokenizer.json', () => {
	const tok = load();

	it('builds an BpeTokenizer with the added tokens counted in vocabSize', () => {
		expect(tok.vocabSize).toBe(281);
		expect(tok.special).toEqual({ pad: PAD, bos: EOS, eos: EOS, imStart: ID.imStart, imEnd: ID.imEnd });
		expect(tok.tokenId('Ġ')).toBe(SPACE);
		expect(tok.token(ID.Gthe)).toBe('Ġthe');
	});

	it('encodes to the ids the merges give by hand', () => {
		expect(tok.encode('hello the user')).toEqual([ID.hello, ID.Gthe, SPACE, ID.user]);
		// "Hello": no "H e" merge, so only "l l" applies.
		expect(tok.encode('Hello world')).toEqual([ch('H'), ch('e'), ID.ll, ch('o'), ID.Gworld]);
		// Lower merge rank first: "b c" (rank 9) beats "a b" (rank 10), and "a bc" is no merge.
		expect(tok.encode('abc')).toEqual([ch('a'), ID.bc]);
		expect(tok.encode('ab')).toEqual([ID.ab]);
		// GPT-2's split: "'s" and "?" are their own pieces; trailing "\n\n" is one whitespace piece, but before a word
		// `\s+(?!\S)` leaves the last whitespace character to its own piece, so "\n\nhello" is Ċ Ċ hello.
		expect(tok.encode("user's?\n\n")).toEqual([ID.user, ch("'"), ch('s'), ch('?'), ID.NLNL]);
		expect(tok.encode('\n\nhello')).toEqual([NL, NL, ID.hello]);
		expect(tok.encode('café')).toEqual([ch('c'), ch('a'), ch('f'), ID.e_acute]);
		expect(tok.encode('日本')).toEqual([0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac].map(byte));
		expect(tok.encode('😀')).toEqual([0xf0, 0x9f, 0x98, 0x80].map(byte));
		expect(tok.encode('')).toEqual([]);
	});

	it('adds no BOS/EOS even though the file has an OPT-like post-processor that would', () => {
		for (const post of [TEMPLATE_POST, ROBERTA_POST]) {
			const json = fixture(post);
			// The fixture's post-processor is live: the library on its own adds the specials by default.
			const lib = new LibTokenizer(json, {});
			const withSpecials = lib.encode('hello').ids;
			expect(withSpecials).toContain(EOS);
			expect(withSpecials.length).toBeGreaterThan(1);
			const t = load(json);
			expect(t.encode('hello')).toEqual([ID.hello]);
			expect(t.encode('hello the')).toEqual([ID.hello, ID.Gthe]);
		}
	});

	it('turns literal added-token strings into their ids', () => {
		expect(tok.encode('<|im_start|>user\n')).toEqual([ID.imStart, ID.user, NL]);
		expect(tok.encode('<|im_end|>\n')).toEqual([ID.imEnd, NL]);
		expect(tok.encode('hello</s><s><pad>')).toEqual([ID.hello, EOS, S, PAD]);
		// A partial marker is ordinary text.
		expect(tok.encode('<|im_')).not.toContain(ID.imStart);
	});

	it('decodes back exactly, ASCII and multi-byte UTF-8 alike (no tokenization-space clean-up)', () => {
		for (const text of [
			'hello the user',
			'Hello , world . It is n\'t "quoted" !',
			'  leading and trailing spaces  \n\n\ttabs',
			'café',
			'日本',
			'😀 emoji 👩‍👩‍👧',
			'mixé 日本語 and 😀!',
		]) {
			expect(tok.decode(tok.encode(text))).toBe(text);
		}
		expect(tok.decode([ID.imStart, ID.user, NL, ID.hello, ID.imEnd])).toBe('<|im_start|>user\nhello<|im_end|>');
	});

	it('skips special tokens on request, and decodes an empty list to ""', () => {
		const ids = [EOS, ID.imStart, ID.user, NL, ID.hello, ID.imEnd, PAD, S];
		expect(tok.decode(ids, { skipSpecial: true })).toBe('user\nhello');
		expect(tok.decode([])).toBe('');
		expect(tok.decode([EOS], { skipSpecial: true })).toBe('');
		expect(tok.isSpecial(ID.imEnd)).toBe(true);
		expect(tok.isSpecial(ID.hello)).toBe(false);
	});

	it('rejects ids outside the tokenizer in decode', () => {
		expect(() => tok.decode([ID.hello, 281])).toThrow(DataError);
		expect(() => tok.decode([ID.hello, 281])).toThrow(/id 281 at position 1/);
		expect(() => tok.decode([-1])).toThrow(DataError);
		expect(() => tok.decode([1.5])).toThrow(DataError);
	});

	it('returns the original JSON, unchanged, from toJSON()', () => {
		const json = fixture();
		const before = structuredClone(json);
		const t = load(json);
		t.encode('<|im_start|>hello the user<|im_end|>');
		expect(t.toJSON()).toBe(json);
		expect(json).toEqual(before);
	});

	it('accepts the file text as well as the parsed object', () => {
		const t = load(JSON.stringify(fixture()));
		expect(t.encode('hello')).toEqual([ID.hello]);
	});
});

describe('ChatML with the BPE tokenizer', () => {
	const tok = load(fixture(), { tokenizerConfig: OPT_CONFIG });

	it('builds the reference layout and reads the reward at the last <|im_end|>', () => {
		const seq = encodeChat(tok, [
			{ role: 'user', content: 'hello' },
			{ role: 'assistant', content: 'the user' },
		]);
		const assistant = [...'assistant'].map(ch);
		const header = (role: number[]) => [ID.imStart, ...role, NL];
		const suffix = [ID.imEnd, NL];
		expect(seq.ids).toEqual([
			EOS,
			...header([ID.user]),
			ID.hello,
			...suffix,
			...header(assistant),
			ch('t'),
			ID.he,
			SPACE,
			ID.user,
			...suffix,
		]);
		// "the" at the start of its piece has no leading space, so it is t + he, not Ġthe: pieces are tokenized alone.
		expect(seq.rewardIndex).toBe(seq.ids.length - 2);
		expect(seq.ids[seq.rewardIndex]).toBe(ID.imEnd);
		expect(seq.ids.lastIndexOf(ID.imEnd)).toBe(seq.rewardIndex);
		expect(tok.decode(seq.ids.slice(seq.answerStart, seq.answerEnd))).toBe('the user');
		expect(seq.ids.slice(seq.answerStart, seq.answerEnd)).toEqual([ch('t'), ID.he, SPACE, ID.user]);
		expect(seq.answerEnd).toBe(seq.rewardIndex);
		const { mask } = evalTargets(seq);
		expect(mask.reduce((a, b) => a + b, 0)).toBe(seq.answerEnd - seq.answerStart);
	});

	it('keeps literal markers in message content as the reference does (they become marker ids)', () => {
		const seq = encodeChat(tok, [
			{ role: 'user', content: 'hello<|im_end|>' },
			{ role: 'assistant', content: 'hello' },
		]);
		expect(seq.ids.filter((id) => id === ID.imEnd)).toHaveLength(3);
		expect(seq.rewardIndex).toBe(seq.ids.length - 2);
	});
});

describe('special tokens from tokenizer_config.json / special_tokens_map.json', () => {
	it('uses OPT-125m\'s names: bos = eos = "</s>", pad "<pad>"', () => {
		const t = load(fixture(), { tokenizerConfig: OPT_CONFIG });
		expect(t.special).toEqual({ pad: PAD, bos: EOS, eos: EOS, imStart: ID.imStart, imEnd: ID.imEnd });
		expect(t.declaredBos).toBeNull();
		expect(t.named.bos).toEqual({ content: '</s>', id: EOS, source: 'tokenizer_config.json' });
		expect(t.named.unk).toEqual({ content: '</s>', id: EOS, source: 'tokenizer_config.json' });
		expect(t.notes).toEqual([]);
	});

	it('without config files falls back to the literals, and starts sequences with eos even when <s> exists', () => {
		const t = load();
		expect(t.special.bos).toBe(EOS);
		expect(t.declaredBos).toBe(S);
		expect(t.named.eos?.source).toBe('default');
		expect(t.notes.join('\n')).toMatch(/bos_token "<s>" \(0.*differs from eos_token "<\/s>" \(2\)/);
	});

	it('lets special_tokens_map.json override tokenizer_config.json, as transformers does', () => {
		const t = load(fixture(), {
			tokenizerConfig: { ...OPT_CONFIG, pad_token: '</s>' },
			specialTokensMap: { pad_token: { content: '<pad>', lstrip: false } },
		});
		expect(t.special.pad).toBe(PAD);
		expect(t.named.pad?.source).toBe('special_tokens_map.json');
	});

	it('uses eos for padding when there is no pad token (GPT-2), and says so', () => {
		const json = fixture();
		const model = json.model as Json;
		const vocab = { ...(model.vocab as Record<string, number>) };
		delete vocab['<pad>'];
		json.model = { ...model, vocab };
		json.added_tokens = (json.added_tokens as Json[]).filter((t) => t.content !== '<pad>');
		const t = load(json);
		expect(t.special.pad).toBe(EOS);
		expect(t.notes.join('\n')).toMatch(/no pad token/);
	});
});

describe("loading the workbench's own CharTokenizer tokenizer.json", () => {
	it('round-trips the default and a custom alphabet', () => {
		for (const original of [new CharTokenizer(), new CharTokenizer({ alphabet: 'ab c\n' })]) {
			const json = JSON.parse(JSON.stringify(original.toJSON()));
			const t = loadTokenizer(json);
			expect(t).toBeInstanceOf(CharTokenizer);
			expect(t.vocabSize).toBe(original.vocabSize);
			expect(t.special).toEqual(original.special);
			expect(t.toJSON()).toEqual(original.toJSON());
			const text = '<|im_start|>ab\nab c<|im_end|>\n';
			expect(t.encode(text)).toEqual(original.encode(text));
			expect(t.decode(t.encode(text))).toBe(text);
		}
		expect(loadTokenizer(JSON.stringify(new CharTokenizer().toJSON())).vocabSize).toBe(6 + DEFAULT_ALPHABET.length);
	});

	it('refuses a WordLevel file that is not ours, naming the file', () => {
		const json = { ...new CharTokenizer().toJSON(), pre_tokenizer: { type: 'Whitespace' } };
		expect(() => loadTokenizer(json, 'ckpt/tokenizer.json')).toThrow(TokenizerError);
		expect(() => loadTokenizer(json, 'ckpt/tokenizer.json')).toThrow(
			/^ckpt\/tokenizer\.json: a WordLevel tokenizer is only read as the workbench's own character tokenizer.*"pre_tokenizer" must be a Split/,
		);
	});
});

describe('malformed tokenizer files give specific errors', () => {
	const edit = (f: (j: Json, model: Json) => void): Json => {
		const j = structuredClone(fixture());
		f(j, j.model as Json);
		return j;
	};
	const cases: [string, unknown, RegExp, TokenizerExtras?][] = [
		['not JSON text', '{"model": ', /^tokenizer\.json: not valid JSON/],
		['an array', [], /^tokenizer\.json: expected a JSON object \(the contents of tokenizer\.json\), got an array/],
		['null', null, /expected a JSON object.*got null/],
		['a number', 42, /expected a JSON object.*got number 42/],
		['no model', edit((j) => delete j.model), /"model" must be an object/],
		[
			'an unsupported model type',
			edit((_, m) => {
				m.type = 'Unigram';
			}),
			/model type "Unigram" is not supported: this workbench reads BPE tokenizers/,
		],
		[
			'a vocab that is not an object',
			edit((_, m) => {
				m.vocab = ['a'];
			}),
			/"model\.vocab" must be an object mapping tokens to ids, got an array/,
		],
		[
			'a non-integer vocab id',
			edit((_, m) => {
				(m.vocab as Json).hello = 'x';
			}),
			/"model\.vocab" id of "hello" must be a non-negative integer, got string "x"/,
		],
		[
			'two tokens with one id',
			edit((_, m) => {
				(m.vocab as Json).zz = ID.hello;
			}),
			/"model\.vocab" gives id 268 to both "hello" and "zz"/,
		],
		['no merges', edit((_, m) => delete m.merges), /"model\.merges" must be an array, got undefined/],
		[
			'a merge without a space',
			edit((_, m) => {
				(m.merges as unknown[])[3] = 'us';
			}),
			/"model\.merges" entry 3 must be "a b" or \["a", "b"\], got "us"/,
		],
		[
			'a merge of an unknown token',
			edit((_, m) => {
				(m.merges as unknown[]).push(['zz', 'e']);
			}),
			/"model\.merges" entry 19 \(\["zz","e"\]\) uses "zz", which is not in "model\.vocab"/,
		],
		[
			'a merge whose result is not in the vocab',
			edit((_, m) => {
				(m.merges as unknown[]).push('x y');
			}),
			/"model\.merges" entry 19 \("x y"\) makes "xy", which is not in "model\.vocab"/,
		],
		[
			'added_tokens that is not an array',
			edit((j) => {
				j.added_tokens = {};
			}),
			/"added_tokens" must be an array, got an object/,
		],
		[
			'an added token without content',
			edit((j) => {
				(j.added_tokens as Json[])[4] = { id: 279 };
			}),
			/"added_tokens" entry 4 must have a non-empty string "content"/,
		],
		[
			'an added token with a bad id',
			edit((j) => {
				(j.added_tokens as Json[])[4].id = -1;
			}),
			/"added_tokens" entry 4 \("<\|im_start\|>"\) must have a non-negative integer "id", got number -1/,
		],
		[
			'an added token on a vocab id',
			edit((j) => {
				(j.added_tokens as Json[])[4].id = ID.hello;
			}),
			/"added_tokens" gives id 268 to "<\|im_start\|>", but "model\.vocab" already gives it to "hello"/,
		],
		[
			'two added tokens with one id',
			edit((j) => {
				(j.added_tokens as Json[])[5].id = ID.imStart;
			}),
			/"added_tokens" gives id 279 to both "<\|im_start\|>" and "<\|im_end\|>"/,
		],
		[
			'a missing <|im_start|>',
			edit((j) => {
				j.added_tokens = (j.added_tokens as Json[]).filter((t) => t.content !== '<|im_start|>');
			}),
			/the ChatML token "<\|im_start\|>" is missing from "added_tokens"\. .*ids 50265 and 50266.*save_pretrained/,
		],
		[
			'an <|im_end|> in the vocab but not added',
			edit((j, m) => {
				j.added_tokens = (j.added_tokens as Json[]).filter((t) => t.content !== '<|im_end|>');
				(m.vocab as Json)['<|im_end|>'] = ID.imEnd;
			}),
			/"<\|im_end\|>" is missing from "added_tokens" \(it is in "model\.vocab" but not among "added_tokens"\)/,
		],
		[
			'a byte-level vocab without a byte symbol',
			edit((_, m) => {
				delete (m.vocab as Json).Ā; // byte 0x00
			}),
			/the pre-tokenizer is ByteLevel but "model\.vocab" lacks 1 of the 256 byte symbols \(first: "Ā"\)/,
		],
		[
			'no end-of-sequence token',
			edit((j, m) => {
				delete (m.vocab as Json)['</s>'];
				j.added_tokens = (j.added_tokens as Json[]).filter((t) => t.content !== '</s>');
			}),
			/no end-of-sequence token: it has neither "<\/s>" nor "<\|endoftext\|>"/,
		],
		[
			'an unknown pre-tokenizer type (from the library)',
			edit((j) => {
				j.pre_tokenizer = { type: 'Nonsense' };
			}),
			/the tokenizer library \(@huggingface\/tokenizers\) could not read it: .*Nonsense/,
		],
	];
	for (const [name, json, re] of cases) {
		it(name, () => {
			let err: unknown;
			try {
				loadTokenizer(json);
			} catch (e) {
				err = e;
			}
			expect(err).toBeInstanceOf(TokenizerError);
			expect((err as TokenizerError).message).toMatch(re);
			expect((err as TokenizerError).message.startsWith('tokenizer.json: ')).toBe(true);
			expect((err as TokenizerError).file).toBe('tokenizer.json');
		});
	}

	const configCases: [string, TokenizerExtras, RegExp, string][] = [
		[
			'a config eos_token not in the tokenizer',
			{ tokenizerConfig: { eos_token: '<eos>' } },
			/^ckpt\/tokenizer_config\.json: "eos_token" is "<eos>", which is neither in ckpt\/tokenizer\.json's "model\.vocab" nor its "added_tokens"/,
			'ckpt/tokenizer_config.json',
		],
		[
			'a config token of the wrong type',
			{ specialTokensMap: { pad_token: 5 } },
			/^ckpt\/special_tokens_map\.json: "pad_token" must be a token string or an object with a "content" string, got number 5/,
			'ckpt/special_tokens_map.json',
		],
		[
			'a config that is not JSON',
			{ tokenizerConfig: '{nope' },
			/^ckpt\/tokenizer_config\.json: not valid JSON/,
			'ckpt/tokenizer_config.json',
		],
		[
			'a config that is not an object',
			{ tokenizerConfig: ['</s>'] },
			/^ckpt\/tokenizer_config\.json: expected a JSON object \(the contents of tokenizer_config\.json\)/,
			'ckpt/tokenizer_config.json',
		],
	];
	for (const [name, extras, re, file] of configCases) {
		it(name, () => {
			let err: unknown;
			try {
				loadTokenizer(fixture(), 'ckpt/tokenizer.json', extras);
			} catch (e) {
				err = e;
			}
			expect(err).toBeInstanceOf(TokenizerError);
			expect((err as TokenizerError).message).toMatch(re);
			expect((err as TokenizerError).file).toBe(file);
		});
	}
});

// A real OPT tokenizer is never downloaded by tests; point DPH_OPT_TOKENIZER_DIR at a local folder holding OPT-125m's
// tokenizer.json (+ tokenizer_config.json), with the two ChatML tokens added, to check against known ids.
const REAL_DIR = process.env.DPH_OPT_TOKENIZER_DIR;
const real = REAL_DIR !== undefined && existsSync(join(REAL_DIR, 'tokenizer.json')) ? REAL_DIR : null;
// Registered only when the folder is given, so a normal run has no skipped test (the runner counts skips as failures).
if (real !== null)
	describe('a real OPT-125m tokenizer.json (DPH_OPT_TOKENIZER_DIR)', () => {
		it('gives the ids transformers gives', () => {
			const dir = real;
			const read = (name: string) =>
				existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : undefined;
			const t = loadTokenizer(read('tokenizer.json'), join(dir, 'tokenizer.json'), {
				tokenizerConfig: read('tokenizer_config.json'),
				specialTokensMap: read('special_tokens_map.json'),
			});
			// transformers: AutoTokenizer("facebook/opt-125m")("Hello, my dog is cute") = [2, 31414, 6, 127, 2335, 16, 11962].
			expect(t.encode('Hello, my dog is cute')).toEqual([31414, 6, 127, 2335, 16, 11962]);
			expect(t.special).toEqual({ pad: 1, bos: 2, eos: 2, imStart: 50265, imEnd: 50266 });
			expect(t.vocabSize).toBe(50267);
		});
	});

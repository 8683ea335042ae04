import { describe, expect, it } from 'vitest';
import { CharTokenizer, DataError, DEFAULT_ALPHABET, SPECIAL_TOKENS } from '../../../../src/lib/dph/data/index';

describe('CharTokenizer', () => {
	const tok = new CharTokenizer();

	it('uses the reference special ids: pad 1, bos = eos 2, OPT-style <s> 0 and <unk> 3', () => {
		expect(tok.special).toEqual({ pad: 1, bos: 2, eos: 2, unk: 3, imStart: 4, imEnd: 5 });
		expect(tok.tokens.slice(0, 6)).toEqual(['<s>', '<pad>', '</s>', '<unk>', '<|im_start|>', '<|im_end|>']);
		expect(tok.vocabSize).toBe(6 + DEFAULT_ALPHABET.length);
		expect(tok.vocabSize).toBe(103);
	});

	it('lays out tab, newline, then printable ASCII in code-point order', () => {
		expect(tok.encode('\t\n ')).toEqual([6, 7, 8]);
		expect(tok.encode('0')).toEqual([24]);
		expect(tok.encode('A')).toEqual([41]);
		expect(tok.encode('a')).toEqual([73]);
		expect(tok.encode('~')).toEqual([102]);
		for (const c of 'aZ09+-*/=?.,:;!()\'"\n') expect(tok.isSpecial(tok.encode(c)[0])).toBe(false);
	});

	it('round-trips text over its alphabet', () => {
		const text = 'What is 17+25?\nAnswer: "42" (it\'s easy); a/b = c*d - e!';
		expect(tok.decode(tok.encode(text))).toBe(text);
		expect(tok.encode(text)).toHaveLength(text.length);
	});

	it('maps unknown characters (by code point) to <unk>', () => {
		expect(tok.encode('é😀x')).toEqual([3, 3, 73 + 23]);
		expect(tok.decode(tok.encode('é'))).toBe('<unk>');
	});

	it('matches Hugging Face tokenizers on its own tokenizer.json', () => {
		// Ids produced by the `tokenizers` 0.23.2 Node binding loading `toJSON()` output (encode, no special tokens added).
		expect(tok.encode('<|im_start|>user\nHi!<|im_end|>\n')).toEqual([4, 93, 91, 77, 90, 7, 48, 81, 9, 5, 7]);
		expect(tok.encode('a\n\nb\té😀')).toEqual([73, 7, 7, 74, 6, 3, 3]);
	});

	it('recognizes ChatML and other special literals in text as single ids', () => {
		expect(tok.encode('<|im_start|>user\nHi!<|im_end|>\n')).toEqual([4, 93, 91, 77, 90, 7, 48, 81, 9, 5, 7]);
		expect(tok.encode('<|im_end|><|im_start|></s><pad><unk><s>')).toEqual([5, 4, 2, 1, 3, 0]);
		// A partial literal is just characters.
		expect(tok.encode('<|im_end')).toHaveLength(8);
		expect(tok.decode([2, 4, 73, 5, 1])).toBe('</s><|im_start|>a<|im_end|><pad>');
		expect(tok.decode([2, 4, 73, 5, 1], { skipSpecial: true })).toBe('a');
	});

	it('rejects ids outside the vocabulary when decoding', () => {
		expect(() => tok.decode([103])).toThrow(/token id 103 at position 0 is outside the vocabulary \[0, 103\)/);
		expect(() => tok.decode([-1])).toThrow(DataError);
	});

	it('supports a custom alphabet and validates it', () => {
		const small = new CharTokenizer({ alphabet: '0123456789+=?' });
		expect(small.vocabSize).toBe(19);
		expect(small.encode('1+1=?')).toEqual([7, 16, 7, 17, 18]);
		expect(small.encode('x')).toEqual([small.special.unk]);
		expect(() => new CharTokenizer({ alphabet: 'aba' })).toThrow(/"a" appears more than once/);
		expect(() => new CharTokenizer({ alphabet: ['ab'] })).toThrow(/exactly one character/);
		expect(() => new CharTokenizer({ alphabet: '' })).toThrow(/at least one character/);
	});
});

describe('tokenizer.json', () => {
	const tok = new CharTokenizer();
	const json = tok.toJSON();

	it('has the Hugging Face tokenizers shape', () => {
		expect(json.version).toBe('1.0');
		expect(json.model.type).toBe('WordLevel');
		expect(json.model.unk_token).toBe('<unk>');
		expect(Object.keys(json.model.vocab)).toHaveLength(103);
		expect(json.model.vocab['<pad>']).toBe(1);
		expect(json.model.vocab['\n']).toBe(7);
		expect(json.pre_tokenizer).toEqual({
			type: 'Split',
			pattern: { Regex: '[\\s\\S]' },
			behavior: 'Isolated',
			invert: false,
		});
		expect(json.decoder).toEqual({ type: 'Fuse' });
		expect(json.normalizer).toBeNull();
		expect(json.post_processor).toBeNull();
		expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
			[0, '<s>', true],
			[1, '<pad>', true],
			[2, '</s>', true],
			[3, '<unk>', true],
			[4, '<|im_start|>', true],
			[5, '<|im_end|>', true],
		]);
		for (const t of json.added_tokens) {
			expect(t).toEqual({
				id: t.id,
				content: t.content,
				single_word: false,
				lstrip: false,
				rstrip: false,
				normalized: false,
				special: true,
			});
		}
	});

	it('survives JSON text and round-trips through fromJSON', () => {
		const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(json)));
		expect(back.tokens).toEqual(tok.tokens);
		expect(back.special).toEqual(tok.special);
		const text = '<|im_start|>assistant\n42<|im_end|>\n';
		expect(back.encode(text)).toEqual(tok.encode(text));
		expect(back.toJSON()).toEqual(json);
	});

	it('keeps the ids of a reordered vocabulary', () => {
		const vocab = [
			'x',
			'y',
			SPECIAL_TOKENS.imEnd,
			SPECIAL_TOKENS.pad,
			SPECIAL_TOKENS.eos,
			SPECIAL_TOKENS.unk,
			SPECIAL_TOKENS.imStart,
		];
		const custom = new CharTokenizer({ vocab });
		const back = CharTokenizer.fromJSON(custom.toJSON());
		expect(back.special).toEqual({ pad: 3, bos: 4, eos: 4, unk: 5, imStart: 6, imEnd: 2 });
		expect(back.encode('xy<|im_end|>z')).toEqual([0, 1, 2, 5]);
	});

	it('explains what is wrong with a bad file', () => {
		expect(() => CharTokenizer.fromJSON(null)).toThrow(/expected a JSON object/);
		expect(() => CharTokenizer.fromJSON({ ...json, model: { ...json.model, type: 'BPE' } })).toThrow(
			/"model.type" must be "WordLevel".*"BPE"/,
		);
		const noPad = { ...json.model.vocab };
		delete noPad['<pad>'];
		// Re-number so ids stay contiguous; the missing special is what should be reported.
		const renumbered = Object.fromEntries(Object.keys(noPad).map((k, i) => [k, i]));
		expect(() => CharTokenizer.fromJSON({ ...json, model: { ...json.model, vocab: renumbered } })).toThrow(
			/special token "<pad>" is missing/,
		);
		expect(() =>
			CharTokenizer.fromJSON({ ...json, model: { ...json.model, vocab: { ...json.model.vocab, ab: 103 } } }),
		).toThrow(/"ab" is neither one character nor a known special token/);
		expect(() =>
			CharTokenizer.fromJSON({ ...json, model: { ...json.model, vocab: { ...json.model.vocab, z: 7 } } }),
		).toThrow(/id 7 is used twice|id of "z"/);
		expect(() => CharTokenizer.fromJSON({ ...json, pre_tokenizer: { type: 'Whitespace' } })).toThrow(/"pre_tokenizer"/);
	});

	it('writes a tokenizer_config naming the specials like the reference (cls = <|im_end|>)', () => {
		const cfg = tok.toTokenizerConfig(512);
		expect(cfg).toMatchObject({
			bos_token: '</s>',
			eos_token: '</s>',
			pad_token: '<pad>',
			unk_token: '<unk>',
			sep_token: '<|im_start|>',
			cls_token: '<|im_end|>',
			model_max_length: 512,
		});
	});
});

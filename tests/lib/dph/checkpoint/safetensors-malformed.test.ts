/**
 * Malformed safetensors files: every one must be refused with a SafetensorsError whose message says what is wrong,
 * quickly, without crashing and without reading (let alone allocating) anything large.
 */
import { describe, expect, it } from 'vitest';
import {
	type ByteSource,
	openSafetensors,
	readSafetensors,
	SafetensorsError,
	writeSafetensors,
} from '../../../../src/lib/dph/checkpoint/safetensors';
import { mulberry32 } from '../../../../src/lib/dph/random';

const enc = new TextEncoder();
const MiB = 2 ** 20;

/** A file from header text (or bytes) and a data section; `n` overrides the length prefix. */
function file(header: string | Uint8Array, data: number | Uint8Array = 0, n?: bigint): Uint8Array {
	const h = typeof header === 'string' ? enc.encode(header) : header;
	const d = typeof data === 'number' ? new Uint8Array(data) : data;
	const out = new Uint8Array(8 + h.byteLength + d.byteLength);
	new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.byteLength), true);
	out.set(h, 8);
	out.set(d, 8 + h.byteLength);
	return out;
}

/** One tensor entry's JSON. */
const t = (dtype: string, shape: string, offsets: string) =>
	`{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;
const one = (entry: string, data = 16) => file(`{"w":${entry}}`, data);
const W = t('"F32"', '[2,2]', '[0,16]');

/**
 * Serves `bytes` as a file of `size` bytes (zeros past the real bytes, so a huge file can be claimed without
 * existing) and records every read; a read over 1 MiB fails the test.
 */
function guarded(bytes: Uint8Array, size = bytes.byteLength) {
	const reads: number[] = [];
	const source: ByteSource = {
		name: 'bad.safetensors',
		size,
		async read(offset, length) {
			reads.push(length);
			if (length > MiB) throw new Error(`test guard: read of ${length} bytes`);
			const out = new Uint8Array(length);
			out.set(bytes.subarray(offset, offset + length));
			return out;
		},
	};
	return { source, reads };
}

interface Case {
	what: string;
	bytes: Uint8Array;
	/** Claimed file size when larger than the bytes. */
	size?: number;
	error: RegExp;
}

const deep = `{"__metadata__":${'['.repeat(100)}${']'.repeat(100)}}`;

const cases: Case[] = [
	// The 8-byte prefix.
	{ what: 'empty file', bytes: new Uint8Array(0), error: /file is 0 bytes, shorter than the 8-byte header length/ },
	{ what: '7-byte file', bytes: new Uint8Array(7), error: /file is 7 bytes, shorter than the 8-byte/ },
	{ what: 'header length 0', bytes: file('', 16), error: /header length is 0/ },
	{
		what: 'header length 2^64 − 1',
		bytes: file('{}', 0, 2n ** 64n - 1n),
		error: /header length 18446744073709551615 is over the 100000000-byte limit/,
	},
	{
		what: 'header length just over the limit, in a file big enough to hold it',
		bytes: file('{}', 0, 100_000_001n),
		size: 2 ** 40,
		error: /header length 100000001 is over the 100000000-byte limit/,
	},
	{
		what: 'header length past the end of the file',
		bytes: file('{}', 0, 1000n),
		error: /header length 1000 runs past the end of the file \(10 bytes\)/,
	},
	{
		what: 'header length one byte past the end',
		bytes: file(`{"w":${W}}`, 16, BigInt(`{"w":${W}}`.length + 17)),
		error: /header length \d+ runs past the end of the file/,
	},
	{ what: 'length prefix of ASCII text', bytes: enc.encode('hello world, not a model'), error: /over the 100000000/ },
	// Header text.
	{ what: 'invalid UTF-8', bytes: file(new Uint8Array([0x7b, 0xff, 0x7d])), error: /header is not valid UTF-8/ },
	{
		what: 'truncated UTF-8 sequence',
		bytes: file(new Uint8Array([0x7b, 0x22, 0xe2, 0x82, 0x22, 0x7d])),
		error: /not valid UTF-8/,
	},
	{
		what: 'UTF-8 byte-order mark',
		bytes: file('\uFEFF{}'),
		error: /not valid JSON: unexpected "\uFEFF" at character 0/,
	},
	{ what: 'only spaces', bytes: file('        '), error: /not valid JSON: the header ended early/ },
	{ what: 'unterminated object', bytes: file('{'), error: /not valid JSON: the header ended early/ },
	{ what: 'unterminated string', bytes: file('{"w'), error: /not valid JSON: the header ended early/ },
	{ what: 'trailing comma', bytes: file('{"a":"b",}'), error: /not valid JSON: unexpected "}" at character 9/ },
	{ what: 'single quotes', bytes: file("{'w':1}"), error: /not valid JSON: unexpected "'" at character 1/ },
	{ what: 'unquoted key', bytes: file('{w:1}'), error: /not valid JSON: unexpected "w" at character 1/ },
	{ what: 'garbage after the object', bytes: file('{} x'), error: /not valid JSON: unexpected "x" at character 3/ },
	{ what: 'NUL padding', bytes: file('{}\0\0\0\0\0\0'), error: /not valid JSON: unexpected "\\u0000" at character 2/ },
	{ what: 'raw newline in a string', bytes: file('{"a\nb":1}'), error: /control character in a string at character 3/ },
	{ what: 'bad escape', bytes: file('{"a\\x":1}'), error: /not valid JSON: unexpected "x" at character 4/ },
	{
		what: 'bad \\u escape',
		bytes: file('{"\\u12G4":1}'),
		error: /not valid JSON: bad \\u escape "12G4" at character 2/,
	},
	{ what: 'lone surrogate escape', bytes: file('{"\\ud800":1}'), error: /unpaired surrogate \\ud800/ },
	{ what: 'nesting bomb', bytes: file(deep), error: /nested more than 32 levels deep/ },
	{ what: 'JSON array', bytes: file('[]'), error: /header is JSON but an array, not an object of tensors/ },
	{ what: 'JSON string', bytes: file('"model"'), error: /header is JSON but the string "model", not an object/ },
	{ what: 'JSON number', bytes: file('42'), error: /header is JSON but the number 42, not an object/ },
	{ what: 'JSON null', bytes: file('null'), error: /header is JSON but null, not an object/ },
	{
		what: 'NaN in a shape',
		bytes: one(t('"F32"', '[NaN]', '[0,16]')),
		error: /NaN at character 29 is not a JSON number/,
	},
	{
		what: 'Infinity in offsets',
		bytes: one(t('"F32"', '[4]', '[0,Infinity]')),
		error: /Infinity at character 50 is not a JSON number/,
	},
	{
		what: '-Infinity in a shape',
		bytes: one(t('"F32"', '[-Infinity]', '[0,16]')),
		error: /-Infinity at character 29 is not a JSON number/,
	},
	{ what: 'hexadecimal number', bytes: one(t('"F32"', '[0x4]', '[0,16]')), error: /unexpected "x" at character 30/ },
	{ what: 'leading zero', bytes: one(t('"F32"', '[04]', '[0,16]')), error: /unexpected "4" at character 30/ },
	// Keys and metadata.
	{ what: 'duplicate tensor name', bytes: file(`{"w":${W},"w":${W}}`, 16), error: /header has the key "w" twice/ },
	{
		what: 'duplicate metadata key',
		bytes: file('{"__metadata__":{"a":"1","a":"2"}}'),
		error: /header has the key "a" twice/,
	},
	{
		what: 'duplicate entry key',
		bytes: one(`{"dtype":"F32","dtype":"F16"}`),
		error: /header has the key "dtype" twice/,
	},
	{
		what: '__metadata__ as an array',
		bytes: file('{"__metadata__":["pt"]}'),
		error: /__metadata__ must be an object of strings, got an array/,
	},
	{
		what: '__metadata__ as a string',
		bytes: file('{"__metadata__":"pt"}'),
		error: /__metadata__ must be an object of strings, got the string "pt"/,
	},
	{
		what: '__metadata__ with a number value',
		bytes: file('{"__metadata__":{"step":1}}'),
		error: /__metadata__\["step"\] must be a string, got the number 1/,
	},
	{
		what: '__metadata__ with a nested object',
		bytes: file('{"__metadata__":{"a":{}}}'),
		error: /__metadata__\["a"\] must be a string, got an object/,
	},
	// Entries.
	{ what: 'entry is a number', bytes: one('7'), error: /tensor "w": entry must be an object .* got the number 7/ },
	{
		what: 'entry is an array',
		bytes: one('["F32",[4],[0,16]]'),
		error: /tensor "w": entry must be an object .* an array/,
	},
	{ what: 'entry is null', bytes: one('null'), error: /tensor "w": entry must be an object .* got null/ },
	{
		what: 'missing dtype',
		bytes: one('{"shape":[4],"data_offsets":[0,16]}'),
		error: /tensor "w": entry has no "dtype"/,
	},
	{
		what: 'missing shape',
		bytes: one('{"dtype":"F32","data_offsets":[0,16]}'),
		error: /tensor "w": entry has no "shape"/,
	},
	{
		what: 'missing data_offsets',
		bytes: one('{"dtype":"F32","shape":[4]}'),
		error: /tensor "w": entry has no "data_offsets"/,
	},
	{
		what: 'extra key',
		bytes: one('{"dtype":"F32","shape":[4],"data_offsets":[0,16],"offsets":[0,16]}'),
		error: /tensor "w": entry has an unexpected key "offsets"/,
	},
	// Dtypes.
	{
		what: 'dtype as a number',
		bytes: one(t('3', '[4]', '[0,16]')),
		error: /tensor "w": dtype must be a string, got the number 3/,
	},
	{ what: 'dtype null', bytes: one(t('null', '[4]', '[0,16]')), error: /dtype must be a string, got null/ },
	{
		what: 'dtype F64',
		bytes: one(t('"F64"', '[2]', '[0,16]')),
		error: /tensor "w": dtype F64 is not supported \(F32, F16, BF16\)/,
	},
	{ what: 'dtype I8', bytes: one(t('"I8"', '[16]', '[0,16]')), error: /dtype I8 is not supported \(F32, F16, BF16\)/ },
	{
		what: 'dtype BOOL',
		bytes: one(t('"BOOL"', '[16]', '[0,16]')),
		error: /dtype BOOL is not supported \(F32, F16, BF16\)/,
	},
	{ what: 'dtype I64', bytes: one(t('"I64"', '[2]', '[0,16]')), error: /dtype I64 is not supported/ },
	{ what: 'dtype F8_E4M3', bytes: one(t('"F8_E4M3"', '[16]', '[0,16]')), error: /dtype F8_E4M3 is not supported/ },
	{
		what: 'dtype "float16"',
		bytes: one(t('"float16"', '[8]', '[0,16]')),
		error: /unknown dtype "float16" \(F32, F16, BF16 are supported\)/,
	},
	{ what: 'dtype in lower case', bytes: one(t('"f32"', '[4]', '[0,16]')), error: /unknown dtype "f32"/ },
	// Shapes.
	{
		what: 'shape as a string',
		bytes: one(t('"F32"', '"2,2"', '[0,16]')),
		error: /shape must be an array of non-negative integers, got the string "2,2"/,
	},
	{
		what: 'shape null',
		bytes: one(t('"F32"', 'null', '[0,16]')),
		error: /shape must be an array of non-negative integers, got null/,
	},
	{
		what: 'shape as an object',
		bytes: one(t('"F32"', '{"0":4}', '[0,16]')),
		error: /shape must be an array .* got an object/,
	},
	{
		what: 'negative dimension',
		bytes: one(t('"F32"', '[-4]', '[0,16]')),
		error: /shape\[0\] must not be negative, got -4/,
	},
	{
		what: 'fractional dimension',
		bytes: one(t('"F32"', '[2,1.5]', '[0,16]')),
		error: /shape\[1\] must be written as an integer, got 1.5/,
	},
	{
		what: 'dimension written 2.0',
		bytes: one(t('"F32"', '[2.0,2]', '[0,16]')),
		error: /shape\[0\] must be written as an integer, got 2.0/,
	},
	{
		what: 'dimension written 4e0',
		bytes: one(t('"F32"', '[4e0]', '[0,16]')),
		error: /shape\[0\] must be written as an integer, got 4e0/,
	},
	{
		what: 'dimension as a string',
		bytes: one(t('"F32"', '["4"]', '[0,16]')),
		error: /shape\[0\] must be a non-negative integer, got the string "4"/,
	},
	{
		what: 'dimension true',
		bytes: one(t('"F32"', '[true]', '[0,16]')),
		error: /shape\[0\] must be a non-negative integer, got true/,
	},
	{
		what: 'nested shape',
		bytes: one(t('"F32"', '[[4]]', '[0,16]')),
		error: /shape\[0\] must be a non-negative integer, got an array/,
	},
	{
		what: 'dimension 2^53',
		bytes: one(t('"F32"', '[9007199254740992]', '[0,16]')),
		error: /shape\[0\] 9007199254740992 is larger than 2\^53 − 1/,
	},
	{
		what: 'dimension 2^64 − 2 (the crate’s overflow test)',
		bytes: one(t('"I32"', '[2,18446744073709551614]', '[0,16]')),
		error: /dtype I32 is not supported/,
	},
	{
		what: 'dimension 2^64 − 2 in F32',
		bytes: one(t('"F32"', '[2,18446744073709551614]', '[0,16]')),
		error: /shape\[1\] 18446744073709551614 is larger than 2\^53 − 1/,
	},
	{
		what: 'shape [2^40, 2^40] (2^80 elements)',
		bytes: one(t('"F32"', '[1099511627776,1099511627776]', '[0,16]')),
		error: /shape \[1099511627776, 1099511627776\] overflows 64 bits/,
	},
	{
		what: 'shape [2^30, 2^30] (2^60 elements)',
		bytes: one(t('"F16"', '[1073741824,1073741824]', '[0,16]')),
		error: /shape \[1073741824, 1073741824\] has 1152921504606846976 elements, more than any file can hold/,
	},
	{
		what: 'many dimensions overflowing',
		bytes: one(t('"F32"', `[${Array(70).fill(2).join(',')}]`, '[0,16]')),
		error: /overflows 64 bits/,
	},
	{
		what: 'huge shape claiming a huge matching byte range in a huge file',
		bytes: one(t('"F32"', '[1048576,1048576]', '[0,4398046511104]'), 0),
		size: 2 ** 43 + 200,
		error: /trailing bytes after the last tensor \(the data section is \d+ bytes, tensors cover 4398046511104\)/,
	},
	// Offsets.
	{
		what: 'data_offsets as a string',
		bytes: one(t('"F32"', '[4]', '"0-16"')),
		error: /data_offsets must be \[begin, end\], got the string "0-16"/,
	},
	{
		what: 'data_offsets with one number',
		bytes: one(t('"F32"', '[4]', '[16]')),
		error: /data_offsets must be \[begin, end\], got \[16\]/,
	},
	{
		what: 'data_offsets with three numbers',
		bytes: one(t('"F32"', '[4]', '[0,8,16]')),
		error: /data_offsets must be \[begin, end\], got \[0, 8, 16\]/,
	},
	{
		what: 'data_offsets null',
		bytes: one(t('"F32"', '[4]', 'null')),
		error: /data_offsets must be \[begin, end\], got null/,
	},
	{
		what: 'negative begin',
		bytes: one(t('"F32"', '[4]', '[-16,0]')),
		error: /data_offsets\[0\] must not be negative, got -16/,
	},
	{
		what: 'fractional end',
		bytes: one(t('"F32"', '[4]', '[0,16.5]')),
		error: /data_offsets\[1\] must be written as an integer, got 16.5/,
	},
	{
		what: 'end as a string',
		bytes: one(t('"F32"', '[4]', '[0,"16"]')),
		error: /data_offsets\[1\] must be a non-negative integer, got the string "16"/,
	},
	{
		what: 'end 2^64',
		bytes: one(t('"F32"', '[4]', '[0,18446744073709551616]')),
		error: /data_offsets\[1\] 18446744073709551616 is larger than 2\^53/,
	},
	{
		what: 'end before begin',
		bytes: one(t('"F32"', '[4]', '[16,0]'), 16),
		error: /data_offsets \[16, 0\] end before they begin/,
	},
	{
		what: 'end past the data section',
		bytes: one(t('"F32"', '[8]', '[0,32]'), 16),
		error:
			/tensor "w": data_offsets \[0, 32\] run past the end of the data section \(16 bytes\); the file is truncated/,
	},
	{
		what: 'end far past the file',
		bytes: one(t('"F32"', '[1048576,1048576]', '[0,4398046511104]'), 16),
		error: /data_offsets \[0, 4398046511104\] run past the end of the data section \(16 bytes\)/,
	},
	{
		what: 'byte length smaller than the shape needs',
		bytes: one(t('"F32"', '[2,2]', '[0,12]'), 12),
		error: /shape \[2, 2\] × F32 \(4 bytes\) = 16 bytes, but data_offsets \[0, 12\] span 12/,
	},
	{
		what: 'byte length larger than the shape needs (F16)',
		bytes: one(t('"F16"', '[4]', '[0,16]'), 16),
		error: /shape \[4\] × F16 \(2 bytes\) = 8 bytes, but data_offsets \[0, 16\] span 16/,
	},
	{
		what: 'scalar with two elements of bytes',
		bytes: one(t('"BF16"', '[]', '[0,4]'), 4),
		error: /shape \[\] × BF16 \(2 bytes\) = 2 bytes, but data_offsets \[0, 4\] span 4/,
	},
	{
		what: 'overlapping tensors',
		bytes: file(`{"a":${t('"F32"', '[2]', '[0,8]')},"b":${t('"F32"', '[2]', '[4,12]')}}`, 12),
		error: /tensor "b": bytes \[4, 12\) overlap tensor "a" \[0, 8\)/,
	},
	{
		what: 'two tensors on the same bytes (the crate’s JSON attack)',
		bytes: file(`{"a":${W},"b":${W}}`, 16),
		error: /bytes \[0, 16\) overlap tensor "[ab]" \[0, 16\)/,
	},
	{
		what: 'gap between tensors',
		bytes: file(`{"a":${t('"F32"', '[2]', '[0,8]')},"b":${t('"F32"', '[2]', '[12,20]')}}`, 20),
		error:
			/tensor "b": 4 unused bytes before this tensor \(it begins at 12, tensor "a" ends at 8\); safetensors requires/,
	},
	{
		what: 'first tensor not at 0',
		bytes: one(t('"F32"', '[2]', '[8,16]'), 16),
		error: /tensor "w": 8 unused bytes before this tensor \(it begins at 8, the data section starts at 0\)/,
	},
	{
		what: 'trailing bytes after the last tensor',
		bytes: one(W, 20),
		error: /4 trailing bytes after the last tensor \(the data section is 20 bytes, tensors cover 16\)/,
	},
	{ what: 'no tensors but data', bytes: file('{}', 8), error: /8 trailing bytes after the last tensor/ },
	{
		what: 'zip file appended (polyglot)',
		bytes: (() => {
			const ok = writeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }]);
			const out = new Uint8Array(ok.byteLength + 4);
			out.set(ok);
			out.set([0x50, 0x4b, 3, 4], ok.byteLength);
			return out;
		})(),
		error: /4 trailing bytes after the last tensor/,
	},
];

describe('malformed safetensors files are refused with a specific SafetensorsError', () => {
	it('has at least 50 distinct cases', () => {
		expect(cases.length).toBeGreaterThanOrEqual(50);
		expect(new Set(cases.map((c) => c.what)).size).toBe(cases.length);
	});

	for (const c of cases) {
		it(c.what, { timeout: 2000 }, async () => {
			const { source, reads } = guarded(c.bytes, c.size);
			const err = await openSafetensors(source).then(
				() => null,
				(e: unknown) => e,
			);
			expect(err, 'should have been refused').toBeInstanceOf(SafetensorsError);
			expect((err as SafetensorsError).message).toMatch(c.error);
			expect((err as SafetensorsError).message.startsWith('bad.safetensors: ')).toBe(true);
			expect(Math.max(0, ...reads)).toBeLessThanOrEqual(MiB);
			if (c.size === undefined) {
				// The in-memory reader applies the same rules.
				expect(() => readSafetensors(c.bytes, 'bad.safetensors')).toThrow(c.error);
			}
		});
	}

	it('a consistent header for a 4 TB tensor opens, but reading it is refused before any read', async () => {
		const header = `{"w":${t('"F32"', '[1048576,1048576]', '[0,4398046511104]')}}`;
		const { source, reads } = guarded(file(header), 8 + header.length + 2 ** 42);
		const f = await openSafetensors(source);
		expect(f.tensor('w')?.byteLength).toBe(2 ** 42);
		reads.length = 0;
		await expect(f.read('w')).rejects.toThrow(
			/tensor "w": has 1099511627776 elements; at most 1073741824 \(4 GiB as float32\) are loaded as one array/,
		);
		expect(reads).toEqual([]);
	});

	it('a truncated file is refused at every cut point, with the message for where it was cut', {
		timeout: 5000,
	}, async () => {
		const good = writeSafetensors(
			[
				{ name: 'a', shape: [3], dtype: 'F16', data: Float32Array.from([1, 2, 3]) },
				{ name: 'b', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
			],
			{ format: 'pt' },
		);
		const n = Number(new DataView(good.buffer).getBigUint64(0, true));
		const wrong: string[] = [];
		for (let cut = 0; cut < good.byteLength; cut++) {
			const want =
				cut < 8
					? /shorter than the 8-byte header length/
					: cut < 8 + n
						? /runs past the end of the file/
						: /run past the end of the data section .* the file is truncated/;
			const err = await openSafetensors(guarded(good.subarray(0, cut)).source).catch((e: unknown) => e);
			if (!(err instanceof SafetensorsError) || !want.test(err.message)) wrong.push(`${cut}: ${String(err)}`);
		}
		expect(wrong).toEqual([]);
		await expect(openSafetensors(guarded(good).source)).resolves.toBeTruthy();
	});

	it('random corruption of a valid header never escapes as anything but a SafetensorsError', {
		timeout: 10000,
	}, async () => {
		const good = writeSafetensors(
			[
				{ name: 'model.a', shape: [3, 2], dtype: 'BF16', data: new Float32Array(6) },
				{ name: 'model.b', shape: [2], data: new Float32Array(2) },
			],
			{ format: 'pt' },
		);
		const n = Number(new DataView(good.buffer).getBigUint64(0, true));
		const rand = mulberry32(5);
		const alphabet = enc.encode('{}[]",:0123456789-.eE ntfa\\u\u00ff');
		let refused = 0;
		for (let k = 0; k < 400; k++) {
			const bad = good.slice();
			for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) {
				const at = Math.floor(rand() * (n + 8));
				bad[at] = rand() < 0.5 ? alphabet[Math.floor(rand() * alphabet.length)] : Math.floor(rand() * 256);
			}
			const { source, reads } = guarded(bad);
			const err = await openSafetensors(source).then(
				() => null,
				(e: unknown) => e,
			);
			if (err !== null) {
				expect(err).toBeInstanceOf(SafetensorsError);
				refused++;
			}
			expect(Math.max(0, ...reads)).toBeLessThanOrEqual(MiB);
		}
		expect(refused).toBeGreaterThan(300);
	});
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startServer } from './http';

// Issue 13, defect 4: only a document Notebook Kit reads as a notebook, and reads back the same after saving,
// is written; invalid UTF-8 is refused rather than silently replaced.

let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
	s = await startServer();
});
afterAll(() => s.close());

const cell = '<script id="1" type="module">document.title = "planted"</script>';
const refused: [string, string | Buffer, RegExp][] = [
	['plain text mentioning <notebook >', 'just some text <notebook > and more', /text outside the notebook/],
	['a commented-out notebook', `<!-- <notebook>${cell}</notebook> -->`, /not a notebook/],
	[
		'a whole page with a top-level script',
		`<!doctype html><html><head><script>alert(1)</script></head><body><notebook><title>x</title>${cell}</notebook></body></html>`,
		/<script> inside <head>/,
	],
	[
		'a script after the notebook',
		`<notebook><title>x</title>${cell}</notebook><script>alert(1)</script>`,
		/<script> inside <body>/,
	],
	[
		'a cell loading a remote script',
		'<notebook><script id="1" type="module" src="https://evil.example/x.js"></script></notebook>',
		/attribute "src"/,
	],
	['an event handler on the notebook', `<notebook onclick="alert(1)">${cell}</notebook>`, /attribute "onclick"/],
	[
		'other markup inside the notebook',
		`<notebook><title>x</title><img src=x>${cell}</notebook>`,
		/<img> inside <notebook>/,
	],
	['two notebooks', `<notebook>${cell}</notebook><notebook>${cell}</notebook>`, /2 <notebook> elements/],
	[
		'a cell that does not survive a save (a "<!--<script>" in its source)',
		'<notebook><title>x</title><script id="1" type="module">a = "<!--<script>"; b = 1</script> c\n</script></notebook>',
		/changes when saved and reopened/,
	],
	[
		'invalid UTF-8',
		Buffer.concat([
			Buffer.from('<notebook><title>caf'),
			Buffer.from([0xe9]),
			Buffer.from(`</title>${cell}</notebook>`),
		]),
		/not valid UTF-8 \(first bad byte at offset 20\)/,
	],
	[
		'an overlong UTF-8 encoding',
		Buffer.concat([Buffer.from('<notebook>'), Buffer.from([0xc0, 0xbc]), Buffer.from('</notebook>')]),
		/not valid UTF-8/,
	],
];

describe('the save endpoint writes only notebooks', () => {
	it.each(refused)('refuses %s, naming what is wrong, and writes nothing', async (_name, body, why) => {
		const r = await send(s.port, 'PUT', '/api/notebooks/refused', body);
		expect(r.status).toBe(400);
		expect(JSON.parse(r.text).error).toMatch(why);
		expect(readdirSync(s.dir)).not.toContain('refused.html');
	});

	it('saves every shipped notebook and test fixture byte for byte', async () => {
		const files = [
			...readdirSync('notebooks').map((f) => join('notebooks', f)),
			...readdirSync('tests/fixtures/notebooks').map((f) => join('tests/fixtures/notebooks', f)),
		].filter((f) => f.endsWith('.html'));
		expect(files.length).toBeGreaterThanOrEqual(7);
		for (const f of files) {
			const bytes = readFileSync(f);
			const r = await send(s.port, 'PUT', '/api/notebooks/shipped-copy', bytes);
			expect(r.status, `${f}: ${r.text}`).toBe(200);
			expect(readFileSync(join(s.dir, 'shipped-copy.html')).equals(bytes), f).toBe(true);
		}
	});

	it('150 concurrent PUTs to one notebook all succeed and the file is always one of them, never torn', async () => {
		const a = readFileSync('notebooks/welcome.html', 'utf8');
		const b = readFileSync('tests/fixtures/notebooks/cells-under-test.html', 'utf8');
		const replies = await Promise.all(
			Array.from({ length: 150 }, (_, i) => send(s.port, 'PUT', '/api/notebooks/contended', i % 2 ? a : b)),
		);
		expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
		expect([a, b]).toContain(readFileSync(join(s.dir, 'contended.html'), 'utf8'));
		expect(readdirSync(s.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
	});
});

/**
 * Issue 15.11 / 15.12: `dph train --data FILE.jsonl` and `--preset NAME`. Errors and warnings name the file and
 * the line; an SFT run on chat lines reports the held-out next-token loss; the paper presets are listed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'dph-train-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dph = (args: string[]) => spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8' });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');

const chatLine = (i: number) =>
	JSON.stringify({
		messages: [
			{ role: 'user', content: `say ${'ab'[i % 2]}` },
			{ role: 'assistant', content: `${'ab'[i % 2]}é` },
		],
	});
const chats = join(root, 'chats.jsonl');
writeFileSync(chats, `${Array.from({ length: 20 }, (_, i) => chatLine(i)).join('\n')}\n{"messages": 3}\n`);

describe('dph train --data', () => {
	it('chat lines with the default (DPH + cDPO) objective: exit 2 naming the file and the first line', () => {
		const r = dph(['train', '--data', chats, '--steps', '2', '--backend', 'cpu', '--out', join(root, 'x')]);
		expect(r.status).toBe(2);
		expect(r.stderr).toContain(`--data ${chats}: line 1 and 19 more are messages-only (SFT) lines`);
	});

	it('a file with no usable line, and a missing file, are usage errors naming it', () => {
		const bad = join(root, 'bad.jsonl');
		writeFileSync(bad, '{"prompt": "p", "chosen": "a"}\n');
		const r = dph(['train', '--data', bad, '--out', join(root, 'x')]);
		expect(r.status).toBe(2);
		expect(r.stderr).toContain(
			`--data ${bad}: no usable line: ${bad} line 1: a TRL line needs both "chosen" and "rejected"`,
		);
		expect(dph(['train', '--data', join(root, 'none.jsonl')]).stderr).toMatch(/--data .*none\.jsonl: cannot read it/);
	});

	it('SFT alone on chat lines: warnings name the bad line and the unencodable characters; the closing JSON has the next-token loss', () => {
		const cfg = join(root, 'sft.json');
		writeFileSync(cfg, JSON.stringify({ objective: { dpoWeight: 0, dphWeight: 0, sftWeight: 1 }, batchSize: 4 }));
		const out = join(root, 'sft');
		const r = dph(['train', cfg, '--data', chats, '--steps', '2', '--backend', 'cpu', '--out', out, '--json']);
		expect(r.status, r.stderr).toBe(0);
		expect(r.stderr).toContain(`warning: ${chats} line 21: "messages" must be an array`);
		expect(r.stderr).toMatch(/warning: 20 of 20 examples hold 20 characters the tokenizer cannot encode .*'é'/);
		const j = lastJson(r.stdout);
		expect(j.next_token_loss).toBeGreaterThan(0);
		expect(j.perplexity).toBeCloseTo(Math.exp(j.next_token_loss), 4);
		expect([j.dph_accuracy, j.skipped_steps, j.dropped_overlong]).toEqual([null, 0, 0]);
	}, 120_000);
});

describe('dph train --preset', () => {
	it('an unknown name lists the paper presets; the help describes them', () => {
		const r = dph(['train', '--preset', 'paper']);
		expect(r.status).toBe(2);
		expect(r.stderr).toContain('sepdph-demo, condph-demo, paper-alignment, paper-frozen-heads');
		const h = dph(['train', '--help']);
		expect(h.stdout + h.stderr).toMatch(/--data FILE[\s\S]*paper-frozen-heads/);
	});
});

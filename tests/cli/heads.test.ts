/**
 * Issue 15.3 headless: `dph train --head` adds a task head to a checkpoint dph train wrote, and `dph score --head`
 * scores with either head; unknown names are usage errors listing the checkpoint's heads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'dph-heads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dph = (args: string[]) => spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8' });
const A = join(root, 'A');
const B = join(root, 'B');
const items = join(root, 'items.jsonl');
const small = { data: { trainPairs: 32, validationPairs: 8 }, batchSize: 4, evalEvery: 100, optim: { warmupSteps: 0 } };

beforeAll(() => {
	const a = join(root, 'a.json');
	writeFileSync(a, JSON.stringify(small));
	const r = dph(['train', a, '--steps', '2', '--backend', 'cpu', '--out', A, '--json']);
	expect(r.status, r.stderr).toBe(0);
	writeFileSync(items, `${JSON.stringify({ prompt: 'abc', chosen: 'abc', rejected: 'cba' })}\n`);
}, 120_000);

describe('dph train --head / dph score --head', () => {
	it('adds a head on a frozen backbone (cached) and scores with each head by name', () => {
		const b = join(root, 'b.json');
		writeFileSync(
			b,
			JSON.stringify({ ...small, trainable: 'heads', objective: { dpoWeight: 0 }, heads: { reinit: 'head' } }),
		);
		const r = dph([
			'train',
			b,
			'--from',
			A,
			'--head',
			'task',
			'--steps',
			'2',
			'--backend',
			'cpu',
			'--out',
			B,
			'--json',
		]);
		expect(r.status, r.stderr).toBe(0);
		expect(r.stderr).toMatch(/head task, backbone cached/);
		expect(r.stderr).toMatch(/note: added reward head task/);
		expect(JSON.parse(readFileSync(join(B, 'config.json'), 'utf8')).reward_heads).toEqual(['reward', 'task']);
		const closing = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
		expect([closing.head, closing.backbone_cached]).toEqual(['task', true]);
		const { provenance } = JSON.parse(readFileSync(join(B, 'training_config.json'), 'utf8'));
		expect([provenance.head, provenance.backbone_cached]).toEqual(['task', true]);
		// Two spawns (each loads tfjs for seconds): the default head, then --head task; the library test checks more.
		const score = (...extra: string[]) => {
			const s = dph(['score', B, '--input', items, '--backend', 'cpu', ...extra]);
			expect(s.status, s.stderr).toBe(0);
			return s;
		};
		const byDefault = score();
		const task = score('--head', 'task');
		expect(byDefault.stderr).toMatch(/head reward\)/);
		expect(task.stderr).toMatch(/head task\)/);
		expect(JSON.parse(task.stdout).rewards).not.toEqual(JSON.parse(byDefault.stdout).rewards);
	}, 120_000);

	it('an unknown head is a usage error that lists the heads', () => {
		const s = dph(['score', A, '--input', items, '--backend', 'cpu', '--head', 'nope']);
		expect(s.status).toBe(2);
		expect(s.stderr).toMatch(/--head: reward head "nope" does not exist; the checkpoint has one head: "reward"/);
		const t = dph([
			'train',
			'--from',
			A,
			'--head',
			'nope',
			'--steps',
			'2',
			'--backend',
			'cpu',
			'--out',
			join(root, 'C'),
		]);
		expect(t.status).toBe(2);
		expect(t.stderr).toMatch(/heads\.name: reward head "nope" does not exist.*Set heads\.reinit to "head"/);
	}, 120_000);
});

/**
 * Issue 15.10: sweeps from a checkpoint. `dph train` writes a tiny checkpoint A; a sweep spec next to it names it by
 * a relative `base.from` and varies `trainable`, and its result rows say where each run started and what it froze.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { readSafetensors } from '../../src/lib/dph/checkpoint/safetensors';
import { loadSweep, SweepSpecError } from '../../src/lib/dph/sweep/spec';
import { capture } from './capture';

const root = mkdtempSync(join(tmpdir(), 'dph-sweep-from-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const A = join(root, 'ckpt', 'A');
const small = {
	steps: 2,
	batchSize: 2,
	evalEvery: 2,
	optim: { warmupSteps: 0 },
	data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
};

beforeAll(() => {
	const cfg = join(root, 'a.json');
	writeFileSync(cfg, JSON.stringify(small));
	const r = spawnSync(process.execPath, ['bin/dph.mjs', 'train', cfg, '--backend', 'cpu', '--out', A, '--json'], {
		encoding: 'utf8',
	});
	expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('dph sweep with base.from (issue 15.10)', () => {
	it('runs from a checkpoint named relative to the spec file; rows record from, trainable and frozen tensors', async () => {
		const dir = join(root, 'specs');
		mkdirSync(dir);
		const file = join(dir, 'from.json');
		writeFileSync(
			file,
			JSON.stringify({
				name: 'from-test',
				base: { ...small, from: '../ckpt/A', data: { ...small.data, task: 'arithmetic' } },
				grid: { trainable: ['heads', 'all'] },
			}),
		);
		const io = capture();
		expect(await main(['sweep', file, '--out', join(root, 'out'), '--backend', 'cpu', '--json'], io), io.err).toBe(0);
		expect(io.err).toContain(`starting from ${A} (base.from)`);
		const { runs } = JSON.parse(io.out);
		expect(runs.map((r: { id: string }) => r.id)).toEqual(['trainable=heads', 'trainable=all']);
		// The tensors of A's model outside the pooler and reward heads: what "heads" leaves untouched.
		const names = readSafetensors(readFileSync(join(A, 'model.safetensors'))).tensors.map((t) => t.name);
		const backbone = names.filter((n) => !n.startsWith('pooler_pipeline.') && !n.startsWith('reward_heads.'));
		expect(backbone.length).toBeGreaterThan(0);
		expect(runs[0]).toMatchObject({ from: '../ckpt/A', trainable: 'heads', frozen_tensors: backbone.length });
		expect(runs[1]).toMatchObject({ from: '../ckpt/A', trainable: 'all', frozen_tensors: 0 });
		for (const r of runs) expect(r.metrics.dph_accuracy).toBeGreaterThanOrEqual(0);
		// The stored rows are the printed ones.
		const stored = readFileSync(join(root, 'out', 'results.jsonl'), 'utf8')
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l));
		expect(stored.map((r: { trainable: string }) => r.trainable)).toEqual(['heads', 'all']);
	}, 120_000);

	it('a base.from that does not load stops the sweep with exit 2 naming it; nothing is stored', async () => {
		const file = join(root, 'bad.json');
		writeFileSync(file, JSON.stringify({ name: 'bad', base: { ...small, from: 'nope' }, grid: { seed: [1] } }));
		const io = capture();
		expect(await main(['sweep', file, '--out', join(root, 'bad-out'), '--backend', 'cpu'], io)).toBe(2);
		expect(io.err).toMatch(/from "nope": the checkpoint could not be loaded/);
		expect(() => readFileSync(join(root, 'bad-out', 'results.jsonl'), 'utf8')).toThrow();
	}, 60_000);

	it('spec checks: base.from must name a folder, a pooler axis over a checkpoint is refused, trainable is validated', () => {
		const spec = (base: object, grid: object) => () => loadSweep({ base, grid });
		expect(spec({ from: '' }, { seed: [1] })).toThrow(/base\.from must name a checkpoint folder/);
		expect(spec({ refFrom: 'B' }, { seed: [1] })).toThrow(/base\.refFrom needs from/);
		expect(spec({ from: 'A' }, { pooler: ['bert'] })).toThrow(SweepSpecError);
		expect(spec({ from: 'A' }, { pooler: ['bert'] })).toThrow(
			/grid\.pooler with base\.from trains a new pooler and head per value: set base\.heads\.reinit to "pooler\+head"/,
		);
		expect(spec({}, { trainable: ['frozen'] })).toThrow(/grid\.trainable\[0\]/);
		expect(spec({}, { trainable: ['heads', 'heads'] })).toThrow(/listed twice/);
		// from stays as written: the config hash does not depend on where the spec file lies.
		const s = loadSweep({ base: { from: 'rel/A', refFrom: 'rel/B' }, grid: { trainable: ['all', 'no-backbone'] } });
		expect(s.runs.map((r) => [r.id, r.config.from, r.config.refFrom, r.config.trainable])).toEqual([
			['trainable=all', 'rel/A', 'rel/B', 'all'],
			['trainable=no-backbone', 'rel/A', 'rel/B', 'no-backbone'],
		]);
	});

	it("a head axis lands in the training config as heads.name, keeping the base's other heads options", () => {
		const s = loadSweep({ base: { heads: { reinit: 'head' } }, grid: { head: ['task', 'other'] } });
		expect(s.runs.map((r) => r.config.heads)).toEqual([
			{ reinit: 'head', name: 'task' },
			{ reinit: 'head', name: 'other' },
		]);
		expect(() => loadSweep({ base: {}, grid: { head: [''] } })).toThrow(/grid\.head\[0\] = "" is invalid/);
		expect(() => loadSweep({ base: {}, grid: { head: ['a.b'] } })).toThrow(/heads\.name/);
	});
});

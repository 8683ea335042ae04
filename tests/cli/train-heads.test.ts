/**
 * Issue 18.4: `dph train --from <llama-dir> --trainable heads` trains DPH heads on the frozen backbone (cached) and
 * writes the heads format beside the base, which `loadCheckpointTensors(..., { heads })` reads back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hfTokenizerFolder, hfTokenizerVocab } from '../fixtures/hf-tokenizer';
import { writeLlamaCheckpoint } from '../fixtures/llama-checkpoint';

const root = mkdtempSync(join(tmpdir(), 'dph-train-heads-'));
const base = writeLlamaCheckpoint({
	vocabSize: hfTokenizerVocab('llama3'),
	tokenizer: (dir) => {
		for (const [n, v] of Object.entries(hfTokenizerFolder('llama3'))) writeFileSync(join(dir, n), v);
	},
});
afterAll(() => {
	rmSync(root, { recursive: true, force: true });
	rmSync(base.dir, { recursive: true, force: true });
});

const dph = (args: string[]) => spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8' });
const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));

const config = join(root, 'heads.json');
writeFileSync(
	config,
	JSON.stringify({
		data: { trainPairs: 16, validationPairs: 4 },
		batchSize: 4,
		evalEvery: 100,
		objective: { dpoWeight: 0 },
		heads: { reinit: 'pooler+head', pooler: 'bert', name: 'task' },
	}),
);

describe('dph train on a Llama-family base, heads only', () => {
	it('writes dph_heads.safetensors + dph_config.json, leaves the base untouched, and caches the backbone', () => {
		const before = snapshot(base.dir);
		const out = join(root, 'heads');
		const r = dph([
			'train',
			config,
			'--from',
			base.dir,
			'--trainable',
			'heads',
			'--steps',
			'2',
			'--backend',
			'cpu',
			'--out',
			out,
		]);
		expect(r.status, r.stderr).toBe(0);
		const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
		expect(summary.backbone_cached).toBe(true);
		expect(summary.head).toBe('task');
		expect(readdirSync(out).sort()).toEqual([
			'dph_config.json',
			'dph_heads.safetensors',
			'metrics.jsonl',
			'training_config.json',
		]);
		const cfg = JSON.parse(readFileSync(join(out, 'dph_config.json'), 'utf8'));
		expect(cfg.reward_heads).toEqual(['task']);
		expect(cfg.reward_pooler).toBe('bert');
		expect(cfg.reward_position).toEqual({ kind: 'end_of_turn', token: '<|eot_id|>' });
		expect(cfg.base.path).toBe(base.dir);
		const after = snapshot(base.dir);
		expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
		for (const [n, v] of Object.entries(after)) expect(v.equals(before[n]), n).toBe(true);
	}, 120_000);

	it('refuses --out naming the base folder, before training', () => {
		const before = snapshot(base.dir);
		const r = dph(['train', config, '--from', base.dir, '--trainable', 'heads', '--steps', '1', '--out', base.dir]);
		expect(r.status).toBe(2);
		expect(r.stderr).toMatch(/is the folder of the starting checkpoint \(--from\); give another --out/);
		expect(Object.keys(snapshot(base.dir)).sort()).toEqual(Object.keys(before).sort());
	});
});

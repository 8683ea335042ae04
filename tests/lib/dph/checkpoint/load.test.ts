import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCheckpoint, loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { countParameters } from '../../../../src/lib/dph/model/lswt';
import { dirFolder } from '../../../../src/node/checkpoint-folder';
import { type Fixture, writeFixture } from './fixtures';

const dirs: string[] = [];
async function fixture(opts: Parameters<typeof writeFixture>[0] = {}): Promise<Fixture> {
	const f = await writeFixture(opts);
	dirs.push(f.dir);
	return f;
}

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});
afterAll(() => {
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('loadCheckpointTensors', () => {
	it('loads every tensor with its values, and describes the model', async () => {
		const f = await fixture();
		const before = tf.memory().numTensors;
		const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir));
		expect(Object.keys(ck.params).sort()).toEqual(f.tensors.map((t) => t.name).sort());
		for (const t of f.tensors) {
			expect(ck.params[t.name].shape).toEqual(t.shape);
			expect(Array.from(await ck.params[t.name].data())).toEqual(Array.from(t.data));
		}
		expect(ck.card).toMatchObject({
			parameters: countParameters(f.config),
			dtypes: ['F32'],
			layers: f.config.n_layers,
			heads: f.config.n_heads,
			dModel: f.config.d_model,
			pooler: 'swiglu_bert',
			rewardHead: 'reward',
		});
		expect(ck.defaulted).toEqual([]);
		ck.dispose();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('two loads of one folder at once each get their own variables (tfjs variable names are global)', async () => {
		const f = await fixture();
		const before = tf.memory().numTensors;
		const [a, b] = await Promise.all([0, 1].map(async () => loadCheckpointTensors(tf, await dirFolder(f.dir))));
		for (const t of f.tensors) expect(a.params[t.name]).not.toBe(b.params[t.name]);
		a.dispose();
		b.dispose();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('upcasts F16 and BF16 weights to float32 (the values the 16-bit file holds)', async () => {
		for (const dtype of ['F16', 'BF16'] as const) {
			const f = await fixture({ dtype });
			const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir));
			expect(ck.card.dtypes).toEqual([dtype]);
			const name = 'model.blocks.0.att.proj_q.weight';
			const want = f.tensors.find((t) => t.name === name)?.data ?? new Float32Array();
			const got = await ck.params[name].data();
			// Half precision keeps 11 (F16) or 8 (BF16) significant bits.
			const tol = dtype === 'F16' ? 2 ** -11 : 2 ** -8;
			for (let i = 0; i < want.length; i++)
				expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * tol + 1e-7);
			ck.dispose();
		}
	});

	it('fills fields config.json omits with the reference defaults and says which', async () => {
		const f = await fixture({
			edit: (c) => {
				const { rope_base_freq: _a, rope_reversed: _b, enable_bias: _c, ...rest } = c;
				return rest;
			},
		});
		const info = await inspectCheckpoint(await dirFolder(f.dir));
		expect(info.defaulted.sort()).toEqual(['enable_bias', 'rope_base_freq', 'rope_reversed']);
		expect(info.config.rope_base_freq).toBe(500000);
		expect(info.notes.join(' ')).toMatch(/omits .*rope_base_freq.*reference defaults/);
	});

	it('names missing tensors, shape mismatches and unexpected tensors', async () => {
		const missing = await fixture({ tensors: (ts) => ts.filter((t) => t.name !== 'model.blocks.1.ffn.fc2.bias') });
		await expect(inspectCheckpoint(await dirFolder(missing.dir))).rejects.toThrow(
			/lacks 1 tensor\(s\) the config needs: model\.blocks\.1\.ffn\.fc2\.bias/,
		);
		const wrong = await fixture({
			tensors: (ts) => ts.map((t) => (t.name === 'head_proj.weight' ? { ...t, shape: [t.shape[1], t.shape[0]] } : t)),
		});
		await expect(inspectCheckpoint(await dirFolder(wrong.dir))).rejects.toThrow(
			/head_proj\.weight is \[64,32\] but the config implies \[32,64\]/,
		);
		const extra = await fixture({
			tensors: (ts) => [...ts, { name: 'lm_head.weight', shape: [2, 2], data: new Float32Array(4) }],
		});
		const info = await inspectCheckpoint(await dirFolder(extra.dir));
		expect(info.report.unexpected).toEqual(['lm_head.weight']);
		expect(info.notes.join(' ')).toMatch(/does not use \(skipped\): lm_head\.weight/);
		const ck = await loadCheckpointTensors(tf, await dirFolder(extra.dir));
		expect(ck.params['lm_head.weight']).toBeUndefined();
		ck.dispose();
	});

	it('gives clear errors for bad config.json and missing files', async () => {
		const f = await fixture();
		const good = readFileSync(join(f.dir, 'config.json'), 'utf8');
		writeFileSync(join(f.dir, 'config.json'), '{\n  "d_model": 64,\n  "n_heads": 4,\n}');
		await expect(inspectCheckpoint(await dirFolder(f.dir))).rejects.toThrow(
			/config\.json is not valid JSON at line 4, column 1/,
		);
		writeFileSync(join(f.dir, 'config.json'), JSON.stringify({ d_model: 65, n_heads: 4 }));
		await expect(inspectCheckpoint(await dirFolder(f.dir))).rejects.toThrow(
			/config\.json: d_model \(65\) must be divisible by n_heads \(4\)/,
		);
		writeFileSync(join(f.dir, 'config.json'), JSON.stringify({ n_layers: 'two' }));
		await expect(inspectCheckpoint(await dirFolder(f.dir))).rejects.toThrow(
			/n_layers must be a whole number, got "two"/,
		);
		writeFileSync(join(f.dir, 'config.json'), good);
		rmSync(join(f.dir, 'tokenizer.json'));
		await expect(inspectCheckpoint(await dirFolder(f.dir))).rejects.toThrow(/tokenizer\.json is missing/);
		await expect(dirFolder(join(f.dir, 'nope'))).rejects.toThrow(/no such checkpoint folder/);
		const g = await fixture({ edit: (c) => ({ ...c, vocab_size: 50 }) });
		await expect(inspectCheckpoint(await dirFolder(g.dir))).rejects.toThrow(
			/tokenizer\.json has 103 tokens but config\.json's vocab_size is 50/,
		);
		const h = await fixture({ edit: (c) => ({ ...c, qk_norm: true }) });
		await expect(inspectCheckpoint(await dirFolder(h.dir))).rejects.toThrow(/qk_norm is true/);
	});

	it('refuses weights holding NaN/Inf, naming the first such tensor, the count and the first index', async () => {
		const poison = (name: string, at: number[], v: number) => (ts: Fixture['tensors']) =>
			ts.map((t) => {
				if (t.name !== name) return t;
				const data = Float32Array.from(t.data);
				for (const i of at) data[i] = v;
				return { ...t, data };
			});
		const q = 'model.blocks.0.att.proj_q.weight';
		for (const [dtype, v] of [
			['F32', Number.NaN],
			['F16', Number.POSITIVE_INFINITY],
			['BF16', Number.NEGATIVE_INFINITY],
		] as const) {
			const f = await fixture({ dtype, tensors: poison(q, [37, 40, 41], v) });
			const before = tf.memory().numTensors;
			await expect(loadCheckpointTensors(tf, await dirFolder(f.dir))).rejects.toThrow(
				`model.safetensors: tensor ${q} has 3 NaN/Inf values (first at element 37); the checkpoint is unusable`,
			);
			// The tensors loaded before the bad one are released.
			expect(tf.memory().numTensors).toBe(before);
		}
		const f = await fixture({ tensors: poison('head_proj.weight', [0], Number.NaN) });
		const ck = await loadCheckpointTensors(tf, await dirFolder(f.dir), { allowNonfinite: true });
		expect(Number.isNaN((await ck.params['head_proj.weight'].data())[0])).toBe(true);
		expect(ck.notes.join(' ')).toMatch(
			/loaded anyway, but 1 tensor\(s\) hold NaN\/Inf: tensor head_proj\.weight has 1 NaN\/Inf value \(first at element 0\)/,
		);
		ck.dispose();
	});

	it('states the context length: from max_position_embeddings / n_positions / rope_positions, else 1024', async () => {
		const f = await fixture();
		expect((await inspectCheckpoint(await dirFolder(f.dir))).card.context).toEqual({
			tokens: 1024,
			from: 'the default',
		});
		const g = await fixture({ edit: (c) => ({ ...c, max_position_embeddings: 512, rope_positions: 4096 }) });
		expect((await inspectCheckpoint(await dirFolder(g.dir))).card.context).toEqual({
			tokens: 512,
			from: 'config.json max_position_embeddings',
		});
		const h = await fixture({ edit: (c) => ({ ...c, rope_positions: 256 }) });
		expect((await inspectCheckpoint(await dirFolder(h.dir))).card.context.tokens).toBe(256);
		const bad = await fixture({ edit: (c) => ({ ...c, n_positions: 'long' }) });
		await expect(inspectCheckpoint(await dirFolder(bad.dir))).rejects.toThrow(
			/config\.json: n_positions must be a whole number of tokens ≥ 2, got "long"/,
		);
	});
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/lib/dph/checkpoint/safetensors';
import { CharTokenizer } from '../../src/lib/dph/data';
import { preset } from '../../src/lib/dph/model/config';
import { disposeParams, initParams } from '../../src/lib/dph/model/lswt';
import { deriveSeed } from '../../src/lib/dph/random';
import { DEFAULT_TRAIN_CONFIG } from '../../src/lib/dph/train/config';

const root = mkdtempSync(join(tmpdir(), 'dph-train-freeze-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const dph = (args: string[]) => spawnSync(process.execPath, ['bin/dph.mjs', ...args], { encoding: 'utf8' });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

describe('dph train --trainable (issue 15.2)', () => {
	it('--trainable heads: closing JSON names the mode and the 39 frozen tensors, all bit-identical to the initial weights', () => {
		const out = join(root, 'heads');
		const r = dph([
			'train',
			'--steps',
			'3',
			'--trainable',
			'heads',
			'--backend',
			'wasm',
			'--seed',
			'7',
			'--out',
			out,
			'--json',
		]);
		expect(r.status).toBe(0);
		const j = lastJson(r.stdout);
		expect(j.trainable).toBe('heads');
		// The nano model has 44 tensors; the SwiGLU pooler (2 linears with biases) and the reward head are 5.
		expect(j.frozen_tensors).toBe(39);
		expect(JSON.parse(readFileSync(join(out, 'training_config.json'), 'utf8'))).toMatchObject({
			trainable: 'heads',
			frozen: [],
			trainableEmbeddings: true,
		});
		// The weights the run started from, made as the trainer makes them (a seeded JS generator: same on any backend).
		const c = DEFAULT_TRAIN_CONFIG.model;
		const init = initParams(
			tf,
			preset('nano', new CharTokenizer().vocabSize, c.pooler),
			deriveSeed(7, 'init'),
			c.initStd,
		);
		const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
		const changed = st.tensors
			.filter((x) => !bytes(x.data as Float32Array).equals(bytes(init[x.name].dataSync() as Float32Array)))
			.map((x) => x.name)
			.sort();
		disposeParams(init);
		expect(changed).toEqual([
			'pooler_pipeline.0.bias',
			'pooler_pipeline.0.weight',
			'pooler_pipeline.2.bias',
			'pooler_pipeline.2.weight',
			'reward_heads.reward.weight',
		]);
	}, 120_000);

	it('the default trains everything (frozen_tensors 0); a bad mode or a frozen pattern matching nothing is a usage error', () => {
		const r = dph(['train', '--steps', '1', '--backend', 'wasm', '--out', join(root, 'all'), '--json']);
		expect(r.status).toBe(0);
		expect(lastJson(r.stdout)).toMatchObject({ trainable: 'all', frozen_tensors: 0 });
		const bad = dph(['train', '--steps', '1', '--trainable', 'backbone', '--out', join(root, 'bad')]);
		expect(bad.status).toBe(2);
		expect(bad.stderr).toMatch(/--trainable must be one of all, no-backbone, heads, got "backbone"/);
		const cfg = join(root, 'typo.json');
		writeFileSync(cfg, JSON.stringify({ frozen: ['atn.'] }));
		const typo = dph(['train', cfg, '--steps', '1', '--backend', 'wasm', '--out', join(root, 'typo')]);
		expect(typo.status).toBe(2);
		expect(typo.stderr).toMatch(/frozen\[0\] = "atn\." matches no parameter name of this model/);
	}, 120_000);
});

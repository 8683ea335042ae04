/** A small LSWT/DPH checkpoint folder written to disk the way `dph train` writes one, for loader and scorer tests. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type Dtype, writeSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { CharTokenizer } from '../../../../src/lib/dph/data';
import { type LSWTConfig, preset, toConfigJson } from '../../../../src/lib/dph/model/config';
import { initParams } from '../../../../src/lib/dph/model/lswt';

export interface Fixture {
	dir: string;
	config: LSWTConfig;
	tensors: { name: string; shape: number[]; data: Float32Array<ArrayBuffer> }[];
}

export async function writeFixture(
	opts: {
		pooler?: LSWTConfig['reward_pooler'];
		dtype?: Dtype;
		edit?: (c: Record<string, unknown>) => Record<string, unknown>;
		tensors?: (t: Fixture['tensors']) => Fixture['tensors'];
		seed?: number;
	} = {},
): Promise<Fixture> {
	const tok = new CharTokenizer();
	const config: LSWTConfig = { ...preset('nano', tok.vocabSize, opts.pooler ?? 'swiglu_bert'), reward_dropout: 0 };
	const params = initParams(tf, config, opts.seed ?? 7, 0.1);
	let tensors: Fixture['tensors'] = await Promise.all(
		Object.entries(params).map(async ([name, v]) => ({
			name,
			shape: v.shape,
			data: Float32Array.from(await v.data()),
		})),
	);
	for (const v of Object.values(params)) v.dispose();
	if (opts.tensors) tensors = opts.tensors(tensors);
	const dir = mkdtempSync(join(tmpdir(), 'dph-ckpt-'));
	const cfgJson = toConfigJson(config);
	writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.edit ? opts.edit(cfgJson) : cfgJson, null, 2));
	writeFileSync(
		join(dir, 'model.safetensors'),
		writeSafetensors(
			tensors.map((t) => ({ ...t, dtype: opts.dtype ?? 'F32' })),
			{ format: 'pt' },
		),
	);
	writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
	return { dir, config, tensors };
}

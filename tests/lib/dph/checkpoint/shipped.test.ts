/** The checkpoints shipped in static/checkpoints/ load, are listed in the manifest, and do what their README says. */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { parseJsonl } from '../../../../src/lib/dph/data/jsonl';
import { accuracy, scoreItems } from '../../../../src/lib/dph/score';
import { dirFolder } from '../../../../src/node/checkpoint-folder';

const root = join(process.cwd(), 'static/checkpoints');

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

describe('shipped checkpoints', () => {
	it('the manifest lists exactly the folders, each small', () => {
		const manifest = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as { name: string }[];
		const folders = readdirSync(root).filter((f) => statSync(join(root, f)).isDirectory());
		expect(manifest.map((m) => m.name).sort()).toEqual(folders.sort());
		for (const f of folders) {
			const bytes = readdirSync(join(root, f)).reduce((a, n) => a + statSync(join(root, f, n)).size, 0);
			expect(bytes).toBeLessThan(5e6);
		}
	});

	it('nano-echo-sepdph: DPH accuracy 1 on its held-out examples, beating the log-prob predictor', async () => {
		const dir = join(root, 'nano-echo-sepdph');
		const ck = await loadCheckpointTensors(tf, await dirFolder(dir));
		const { items, errors } = parseJsonl(readFileSync(join(dir, 'examples.jsonl'), 'utf8'));
		expect(errors).toEqual([]);
		const scores = await scoreItems(tf, ck, items);
		ck.dispose();
		const acc = accuracy(scores, items);
		expect(acc?.n).toBe(40);
		expect(acc?.dph).toBe(1);
		expect(acc?.logprob).toBeLessThan(1);
		// The chosen candidate's reward sits near Theorem 1's optimum log 9.
		const chosen = scores.map((s, i) => s.rewards?.[items[i].label ?? 0] ?? Number.NaN);
		const mean = chosen.reduce((a, b) => a + b, 0) / chosen.length;
		expect(Math.abs(mean - Math.log(9))).toBeLessThan(0.25);
	});
});

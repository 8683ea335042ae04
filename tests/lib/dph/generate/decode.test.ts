import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedDecoder, decode } from '../../../../src/lib/dph/generate/decode';
import { argmax } from '../../../../src/lib/dph/generate/sample';
import { type LSWTConfig, preset } from '../../../../src/lib/dph/model/config';
import { transposedWeights } from '../../../../src/lib/dph/model/kv-cache';
import { disposeParams, hiddenStates, initParams, logits, type Params } from '../../../../src/lib/dph/model/lswt';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

// A small base frequency makes every position's rotation large, so a key cached at a wrong position would show.
const config = (reversed: boolean): LSWTConfig => ({
	...preset('nano', 23),
	reward_dropout: 0,
	rope_base_freq: 10,
	rope_reversed: reversed,
});
const models = new Map<boolean, { c: LSWTConfig; p: Params }>();
const model = (reversed: boolean) => {
	let m = models.get(reversed);
	if (!m) {
		const c = config(reversed);
		const p = initParams(tf, c, reversed ? 3 : 4, 0.3);
		// Renamed: two models with the same variable names cannot both be registered.
		const q: Params = {};
		for (const [k, v] of Object.entries(p)) {
			q[k] = tf.variable(v, false, `${reversed}/${k}`);
			v.dispose();
		}
		m = { c, p: q };
		models.set(reversed, m);
	}
	return m;
};
afterAll(() => {
	for (const m of models.values()) disposeParams(m.p);
});

/** Next-token logits at every position of `ids` from one full (uncached) forward: [S][vocab]. */
function fullLogits(c: LSWTConfig, p: Params, ids: number[]): Float32Array[] {
	const out = tf.tidy(() => {
		const h = hiddenStates(tf, c, p, tf.tensor2d([ids], [1, ids.length], 'int32'));
		return logits(tf, p, h);
	});
	const d = out.dataSync() as Float32Array;
	out.dispose();
	return ids.map((_, i) => d.subarray(i * c.vocab_size, (i + 1) * c.vocab_size));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
	let m = 0;
	for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
	return m;
};

describe('CachedDecoder', () => {
	for (const reversed of [true, false]) {
		it(`gives the full forward's logits at every step, each row of a batch on its own (rope_reversed ${reversed})`, async () => {
			const { c, p } = model(reversed);
			const before = tf.memory().numTensors;
			const prompt = [2, 5, 7, 1, 9];
			// Three rows share the prompt and then diverge; row 1 leaves the batch after two steps.
			const tails = [
				[3, 4, 8, 11, 6, 2],
				[10, 12, 0],
				[4, 4, 4, 15, 16, 17],
			];
			const dec = new CachedDecoder(tf, c, p);
			const first = await dec.prefill(prompt, 3);
			const full = tails.map((t) => fullLogits(c, p, [...prompt, ...t]));
			for (const f of full) expect(maxDiff(first, f[prompt.length - 1])).toBeLessThanOrEqual(1e-4);
			let active = [0, 1, 2];
			let worst = 0;
			for (let s = 0; s < 6; s++) {
				const keep = s === 3 ? [0, 2] : undefined;
				if (keep) active = keep.map((r) => active[r]);
				const rows = await dec.step(
					active.map((k) => tails[k][s]),
					keep,
				);
				active.forEach((k, r) => {
					worst = Math.max(worst, maxDiff(rows[r], full[k][prompt.length + s]));
				});
				expect(dec.length).toBe(prompt.length + s + 1);
			}
			dec.dispose();
			expect(worst).toBeLessThanOrEqual(1e-4);
			expect(tf.memory().numTensors).toBe(before);
		});
	}

	it('on wasm, with the pre-transposed weights it keeps while it lives, the logits are the same', async () => {
		const { c, p } = model(true);
		await tf.setBackend('wasm');
		try {
			const ids = [2, 5, 7, 1, 9, 3, 4, 8];
			const full = fullLogits(c, p, ids);
			const dec = new CachedDecoder(tf, c, p);
			expect(transposedWeights.has(p['model.blocks.0.ffn.fc1.weight'])).toBe(true);
			let worst = maxDiff(await dec.prefill(ids.slice(0, 4)), full[3]);
			for (let i = 4; i < ids.length; i++) worst = Math.max(worst, maxDiff((await dec.step([ids[i]]))[0], full[i]));
			dec.dispose();
			expect(transposedWeights.has(p['model.blocks.0.ffn.fc1.weight'])).toBe(false);
			expect(worst).toBeLessThanOrEqual(1e-4);
		} finally {
			await tf.setBackend('cpu');
		}
	});

	it('the positions matter: a cache built with the prompt shifted by one token disagrees', async () => {
		// Guards the test above against a model whose logits ignore position (then any position would pass).
		const { c, p } = model(true);
		const a = fullLogits(c, p, [2, 5, 7, 1, 9]);
		const b = fullLogits(c, p, [3, 2, 5, 7, 1, 9]);
		expect(maxDiff(a[4], b[5])).toBeGreaterThan(1e-2);
	});
});

describe('decode', () => {
	it('greedy is deterministic and equals the argmax of the full forward at every step', async () => {
		const { c, p } = model(true);
		const prompt = [2, 5, 7, 1, 9, 3];
		const before = tf.memory().numTensors;
		const opts = { temperature: 0, maxNewTokens: 10, stopId: 22, n: 2 };
		const [a, b] = await decode(tf, c, p, prompt, opts);
		const [again] = await decode(tf, c, p, prompt, { ...opts, n: 1 });
		expect(tf.memory().numTensors).toBe(before);
		expect(a).toEqual(b);
		expect(again).toEqual(a);
		const seq = [...prompt];
		for (const id of a.ids) {
			const f = fullLogits(c, p, seq);
			expect(id).toBe(argmax(f[seq.length - 1]));
			seq.push(id);
		}
		expect(a.finish).toBe(a.ids.at(-1) === 22 ? 'im_end' : 'length');
		if (a.finish === 'length') expect(a.ids).toHaveLength(10);
	});

	it('stops a sample at the stop id with finish "im_end", others run to the length', async () => {
		const { c, p } = model(true);
		const prompt = [2, 5, 7];
		// Greedy's first token, made the stop id: every sample ends after one token.
		const first = argmax(fullLogits(c, p, prompt)[2]);
		const out = await decode(tf, c, p, prompt, { temperature: 0, maxNewTokens: 5, stopId: first, n: 3 });
		for (const s of out) expect(s).toEqual({ ids: [first], finish: 'im_end' });
		const none = await decode(tf, c, p, prompt, { temperature: 0, maxNewTokens: 0, stopId: first });
		expect(none).toEqual([{ ids: [], finish: 'length' }]);
	});

	it('seeded sampling is reproducible, and the seed and the sample index change it', async () => {
		const { c, p } = model(false);
		const prompt = [2, 5, 7, 1];
		const before = tf.memory().numTensors;
		const opts = { temperature: 1.5, topK: 10, topP: 0.95, maxNewTokens: 8, stopId: 22, n: 4, seed: 11 };
		const a = await decode(tf, c, p, prompt, opts);
		const b = await decode(tf, c, p, prompt, opts);
		const other = await decode(tf, c, p, prompt, { ...opts, seed: 12 });
		expect(tf.memory().numTensors).toBe(before);
		expect(b).toEqual(a);
		expect(other).not.toEqual(a);
		expect(new Set(a.map((s) => s.ids.join(','))).size).toBeGreaterThan(1);
		// Sample k draws from its own stream: alone in a batch of one it is the same.
		const solo = await decode(tf, c, p, prompt, { ...opts, n: 1 });
		expect(solo[0]).toEqual(a[0]);
	});

	it('refuses invalid sampling options, naming the field', async () => {
		const { c, p } = model(false);
		await expect(decode(tf, c, p, [1, 2], { temperature: -1, maxNewTokens: 2, stopId: 0 })).rejects.toThrow(
			/temperature/,
		);
	});
});

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LSWTConfig, preset, REFERENCE_DEFAULTS, resolveConfig } from '../../../../src/lib/dph/model/config';
import {
	countParameters,
	disposeParams,
	hiddenStates,
	initParams,
	logits,
	type Params,
	rewards,
} from '../../../../src/lib/dph/model/lswt';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const micro: LSWTConfig = {
	...REFERENCE_DEFAULTS,
	vocab_size: 7,
	d_vocab: 3,
	d_model: 4,
	d_ffn: 3,
	n_heads: 2,
	n_layers: 2,
	rope_base_freq: 10,
	reward_heads: ['reward'],
	reward_pooler: 'swiglu_bert',
};

// ---- An independent float64 forward pass in plain arrays, written from the reference PyTorch code. ----
type M = number[][];
const get = (p: Params, k: string) => Array.from(p[k].dataSync());
const mat = (flat: number[], rows: number, cols: number): M =>
	Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
const lin = (x: M, w: M, b?: number[]) =>
	x.map((row) => w.map((wr, o) => wr.reduce((a, wv, i) => a + wv * row[i], b ? b[o] : 0)));
const ln = (x: M, w: number[], b: number[]) =>
	x.map((row) => {
		const m = row.reduce((a, v) => a + v, 0) / row.length;
		const v = row.reduce((a, x2) => a + (x2 - m) ** 2, 0) / row.length;
		return row.map((x2, i) => ((x2 - m) / Math.sqrt(v + 1e-5)) * w[i] + b[i]);
	});
const silu = (g: number) => g / (1 + Math.exp(-g));

function reference(c: LSWTConfig, p: Params, ids: number[]) {
	const S = ids.length;
	const d = c.d_model;
	const H = c.n_heads;
	const dh = d / H;
	const E = mat(get(p, 'model.input_embedding.embedding.weight'), c.vocab_size, c.d_vocab);
	const W = (k: string, o: number, i: number) => mat(get(p, k), o, i);
	let x = ln(
		lin(
			ids.map((t) => E[t]),
			W('model.input_proj.weight', d, c.d_vocab),
		),
		get(p, 'model.input_norm.weight'),
		get(p, 'model.input_norm.bias'),
	);
	const rope = (v: number[], pos: number) => {
		const half = dh / 2;
		const out = new Array(dh);
		for (let i = 0; i < dh; i++) {
			const f = pos / c.rope_base_freq ** ((2 * (i % half)) / dh);
			const rot = i < half ? -v[i + half] : v[i - half];
			out[i] = v[i] * Math.cos(f) + rot * Math.sin(f);
		}
		return out;
	};
	for (let l = 0; l < c.n_layers; l++) {
		const b = `model.blocks.${l}`;
		const h = ln(x, get(p, `${b}.att_norm.weight`), get(p, `${b}.att_norm.bias`));
		const q = lin(h, W(`${b}.att.proj_q.weight`, d, d), get(p, `${b}.att.proj_q.bias`));
		const k = lin(h, W(`${b}.att.proj_k.weight`, d, d), get(p, `${b}.att.proj_k.bias`));
		const v = lin(h, W(`${b}.att.proj_v.weight`, d, d), get(p, `${b}.att.proj_v.bias`));
		const merged: M = Array.from({ length: S }, () => new Array(d).fill(0));
		for (let hd = 0; hd < H; hd++) {
			const sl = (r: number[]) => r.slice(hd * dh, (hd + 1) * dh);
			// Reversed positions: token s sits at S − 1 − s.
			const qh = q.map((r, s) => rope(sl(r), S - 1 - s));
			const kh = k.map((r, s) => rope(sl(r), S - 1 - s));
			for (let i = 0; i < S; i++) {
				const sc = kh.slice(0, i + 1).map((kr) => kr.reduce((a, kv, j) => a + kv * qh[i][j], 0) / Math.sqrt(dh));
				const mx = Math.max(...sc);
				const ex = sc.map((s2) => Math.exp(s2 - mx));
				const z = ex.reduce((a, e) => a + e, 0);
				for (let j = 0; j <= i; j++) for (let t = 0; t < dh; t++) merged[i][hd * dh + t] += (ex[j] / z) * sl(v[j])[t];
			}
		}
		const o = lin(merged, W(`${b}.att.proj_o.weight`, d, d), get(p, `${b}.att.proj_o.bias`));
		x = x.map((r, i) => r.map((val, j) => val + o[i][j]));
		const hf = ln(x, get(p, `${b}.ffn_norm.weight`), get(p, `${b}.ffn_norm.bias`));
		const f1 = lin(hf, W(`${b}.ffn.fc1.weight`, 2 * c.d_ffn, d), get(p, `${b}.ffn.fc1.bias`));
		const act = f1.map((r) => r.slice(0, c.d_ffn).map((a, i) => a * silu(r[c.d_ffn + i])));
		const f2 = lin(act, W(`${b}.ffn.fc2.weight`, d, c.d_ffn), get(p, `${b}.ffn.fc2.bias`));
		x = x.map((r, i) => r.map((val, j) => val + f2[i][j]));
	}
	const hOut = ln(x, get(p, 'model.output_norm.weight'), get(p, 'model.output_norm.bias'));
	const down = lin(hOut, W('head_proj.weight', c.d_vocab, d));
	const lg = lin(down, E);
	return { hidden: hOut, logits: lg };
}

function randomize(p: Params, seed: number) {
	// Non-trivial norms and biases, so the parity test exercises every parameter.
	let s = seed;
	for (const v of Object.values(p)) {
		const vals = Array.from({ length: v.size }, () => {
			s = (s * 16807) % 2147483647;
			return (s / 2147483647 - 0.5) * 0.8;
		});
		v.assign(tf.tensor(vals, v.shape));
	}
}

describe('LSWT model', () => {
	it('presets have the advertised sizes and reference parameter names', () => {
		const nano = preset('nano', 96);
		const tiny = preset('tiny', 96);
		expect(countParameters(nano)).toBeGreaterThan(70_000);
		expect(countParameters(nano)).toBeLessThan(150_000);
		expect(countParameters(tiny)).toBeGreaterThan(1_000_000);
		expect(countParameters(tiny)).toBeLessThan(5_000_000);
		const p = initParams(tf, nano, 1);
		expect(Object.keys(p)).toContain('model.blocks.1.ffn.fc1.bias');
		expect(Object.keys(p)).toContain('pooler_pipeline.2.weight');
		expect(p['model.blocks.0.ffn.fc1.weight'].shape).toEqual([256, 64]);
		expect(p['reward_heads.reward.weight'].shape).toEqual([1, 64]);
		disposeParams(p);
	});

	it('matches an independent float64 forward pass (hidden states and logits)', () => {
		const p = initParams(tf, micro, 3);
		randomize(p, 11);
		const ids = [2, 5, 1, 6, 3];
		const ref = reference(micro, p, ids);
		const idsT = tf.tensor2d([ids], [1, ids.length], 'int32');
		const h = hiddenStates(tf, micro, p, idsT);
		const lg = logits(tf, p, h);
		const hv = h.arraySync() as number[][][];
		const lv = lg.arraySync() as number[][][];
		for (let s = 0; s < ids.length; s++) {
			for (let j = 0; j < micro.d_model; j++) expect(hv[0][s][j]).toBeCloseTo(ref.hidden[s][j], 4);
			for (let t = 0; t < micro.vocab_size; t++) expect(lv[0][s][t]).toBeCloseTo(ref.logits[s][t], 4);
		}
		tf.dispose([idsT, h, lg]);
		disposeParams(p);
	});

	it('is causal: changing a later token leaves earlier hidden states unchanged', () => {
		const p = initParams(tf, micro, 4);
		randomize(p, 5);
		const a = hiddenStates(tf, micro, p, tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32')).arraySync() as number[][][];
		const b = hiddenStates(tf, micro, p, tf.tensor2d([[1, 2, 3, 6]], [1, 4], 'int32')).arraySync() as number[][][];
		for (let s = 0; s < 3; s++) for (let j = 0; j < 4; j++) expect(a[0][s][j]).toBeCloseTo(b[0][s][j], 6);
		expect(a[0][3]).not.toEqual(b[0][3]);
		disposeParams(p);
	});

	it('reads the reward at the given index through the pooler and head', () => {
		for (const pooler of ['identity', 'bert', 't5', 'swiglu_bert', 'swiglu_t5'] as const) {
			const c = { ...micro, reward_pooler: pooler };
			const p = initParams(tf, c, 6);
			randomize(p, 9);
			const ids = tf.tensor2d(
				[
					[1, 2, 3, 4],
					[4, 3, 2, 1],
				],
				[2, 4],
				'int32',
			);
			const h = hiddenStates(tf, c, p, ids);
			const r = rewards(tf, c, p, h, tf.tensor1d([2, 3], 'int32'));
			const hv = h.arraySync() as number[][][];
			const w = get(p, 'reward_heads.reward.weight');
			const pooled = (row: number[]): number[] => {
				const L = (k: string, o: number, i: number, x: number[]) =>
					lin([x], mat(get(p, `${k}.weight`), o, i), get(p, `${k}.bias`))[0];
				const sw = (x: number[]) => x.slice(0, c.d_ffn).map((a2, i) => a2 * silu(x[c.d_ffn + i]));
				if (pooler === 'identity') return row;
				if (pooler === 'bert') return L('pooler_pipeline.0', 4, 4, row).map(Math.tanh);
				if (pooler === 't5') return L('pooler_pipeline.1', 4, 4, row).map(Math.tanh);
				const [a1, a2] =
					pooler === 'swiglu_bert'
						? ['pooler_pipeline.0', 'pooler_pipeline.2']
						: ['pooler_pipeline.1', 'pooler_pipeline.3'];
				return L(a2, 4, c.d_ffn, sw(L(a1, 2 * c.d_ffn, 4, row))).map(Math.tanh);
			};
			const expected = [hv[0][2], hv[1][3]].map((row) => pooled(row).reduce((a2, v, i) => a2 + v * w[i], 0));
			const got = Array.from(r.dataSync());
			expect(got[0]).toBeCloseTo(expected[0], 5);
			expect(got[1]).toBeCloseTo(expected[1], 5);
			tf.dispose([ids, h, r]);
			disposeParams(p);
		}
	});

	// wasm too: there the model's matrix products take explicit transposes with their own gradient (see mm()).
	it.each(['cpu', 'wasm'])(
		'gradients match central finite differences of an independent float64 forward pass (%s)',
		async (backend) => {
			await tf.setBackend(backend);
			// FD on the float64 reference (not on float32 tfjs) so the check is precise to O(h²).
			const c = micro;
			const p = initParams(tf, c, 7);
			randomize(p, 13);
			const ids = [2, 5, 1, 6, 3];
			const S = ids.length;
			const wL = Array.from({ length: S * c.vocab_size }, (_, k) => Math.sin(k + 1));
			const wH = Array.from({ length: S * c.d_model }, (_, k) => Math.cos(2 * k + 1));
			const f64 = () => {
				const r = reference(c, p, ids);
				let acc = 0;
				r.logits.flat().forEach((v, k) => {
					acc += wL[k] * v;
				});
				r.hidden.flat().forEach((v, k) => {
					acc += wH[k] * v;
				});
				return acc;
			};
			const idsT = tf.tensor2d([ids], [1, S], 'int32');
			const wLT = tf.tensor(wL, [1, S, c.vocab_size]);
			const wHT = tf.tensor(wH, [1, S, c.d_model]);
			const names = Object.keys(p).filter((n) => !n.startsWith('pooler') && !n.startsWith('reward'));
			const { grads } = tf.variableGrads(
				() =>
					tf.tidy(() => {
						const h = hiddenStates(tf, c, p, idsT, { training: true });
						return tf.add(tf.sum(tf.mul(logits(tf, p, h), wLT)), tf.sum(tf.mul(h, wHT))) as tf.Scalar;
					}),
				names.map((n) => p[n]),
			);
			const h = 1e-3;
			for (const n of names) {
				const g = grads[n].dataSync();
				const base = p[n].dataSync().slice();
				// Check three entries of every parameter tensor.
				for (const k of [0, Math.floor(base.length / 2), base.length - 1]) {
					const bump = (delta: number) => {
						const v = base.slice();
						v[k] += delta;
						p[n].assign(tf.tensor(v, p[n].shape));
					};
					bump(h);
					const up = f64();
					bump(-h);
					const down = f64();
					bump(0);
					const numeric = (up - down) / (2 * h);
					expect(Math.abs(numeric - g[k]), `${n}[${k}]: fd ${numeric} vs ${g[k]}`).toBeLessThan(
						1e-3 * Math.max(1, Math.abs(numeric)),
					);
				}
			}
			tf.dispose(Object.values(grads));
			tf.dispose([idsT, wLT, wHT]);
			disposeParams(p);
			await tf.setBackend('cpu');
		},
	);

	it('validates configs: defaults reported, wrong types and impossible values named', () => {
		const { config, defaulted } = resolveConfig({ d_model: 128, n_heads: 4, extra_field: 'kept' }, 'config.json');
		expect(config.vocab_size).toBe(50272);
		expect(defaulted).toContain('vocab_size');
		expect(config.extra_field).toBe('kept');
		expect(() => resolveConfig({ d_model: 130, n_heads: 4 }, 'config.json')).toThrow(
			/config.json: d_model \(130\) must be divisible by n_heads \(4\)/,
		);
		expect(() => resolveConfig({ gated_att: true })).toThrow(/gated_att is true/);
		expect(() => resolveConfig({ n_layers: '4' })).toThrow(/n_layers must be a whole number/);
		expect(() => resolveConfig({ reward_pooler: 'mean' })).toThrow(/reward_pooler must be one of/);
	});
});

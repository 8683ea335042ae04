/**
 * An independent float64 forward of the Llama family in plain arrays, written from transformers' modeling_llama.py
 * (repeat_kv, rotate_half RoPE at positions 0 … S−1, RMSNorm, SwiGLU), for tests to check the tfjs forward against.
 */
import type { LlamaConfig } from '../../../../src/lib/dph/model/llama-config';
import type { LlamaFixture } from '../../../fixtures/llama-checkpoint';

export type M = number[][];
const byName = (f: LlamaFixture) => new Map(f.tensors.map((t) => [t.name, Array.from(t.data)]));
const mat = (flat: number[], cols: number): M =>
	Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
const lin = (x: M, w: M, b?: number[]) =>
	x.map((row) => w.map((wr, o) => wr.reduce((a, wv, i) => a + wv * row[i], b ? b[o] : 0)));
const rms = (x: M, w: number[], eps: number) =>
	x.map((row) => {
		const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
		return row.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]);
	});
const silu = (g: number) => g / (1 + Math.exp(-g));

/** Final hidden states [S, D] and logits [S, V] of one sequence. */
export function reference(c: LlamaConfig, f: LlamaFixture, ids: number[]): { hidden: M; logits: M } {
	const P = byName(f);
	const D = c.hidden_size;
	const { num_attention_heads: H, num_key_value_heads: KV, head_dim: Dh } = c;
	const get = (k: string) => P.get(k) as number[];
	const E = mat(get('model.embed_tokens.weight'), D);
	let x: M = ids.map((t) => [...E[t]]);
	const S = ids.length;
	// rotate_half RoPE at positions 0 … S−1
	const rope = (v: number[], pos: number) => {
		const half = Dh / 2;
		return v.map((val, i) => {
			const j = i % half;
			const ang = pos / c.rope_theta ** ((2 * j) / Dh);
			const rot = i < half ? -v[i + half] : v[i - half];
			return val * Math.cos(ang) + rot * Math.sin(ang);
		});
	};
	for (let l = 0; l < c.num_hidden_layers; l++) {
		const b = `model.layers.${l}`;
		const h = rms(x, get(`${b}.input_layernorm.weight`), c.rms_norm_eps);
		const bias = (n: string) => (c.attention_bias ? get(`${b}.self_attn.${n}_proj.bias`) : undefined);
		const q = lin(h, mat(get(`${b}.self_attn.q_proj.weight`), D), bias('q'));
		const k = lin(h, mat(get(`${b}.self_attn.k_proj.weight`), D), bias('k'));
		const v = lin(h, mat(get(`${b}.self_attn.v_proj.weight`), D), bias('v'));
		const out: M = Array.from({ length: S }, () => new Array(H * Dh).fill(0));
		for (let hd = 0; hd < H; hd++) {
			const g = Math.floor(hd / (H / KV)); // repeat_kv
			const qs = q.map((r, s) => rope(r.slice(hd * Dh, (hd + 1) * Dh), s));
			const ks = k.map((r, s) => rope(r.slice(g * Dh, (g + 1) * Dh), s));
			const vs = v.map((r) => r.slice(g * Dh, (g + 1) * Dh));
			for (let i = 0; i < S; i++) {
				const sc = ks.slice(0, i + 1).map((kr) => kr.reduce((a, kv, d) => a + kv * qs[i][d], 0) / Math.sqrt(Dh));
				const m = Math.max(...sc);
				const e = sc.map((s) => Math.exp(s - m));
				const z = e.reduce((a, y) => a + y, 0);
				for (let j = 0; j <= i; j++) for (let d = 0; d < Dh; d++) out[i][hd * Dh + d] += (e[j] / z) * vs[j][d];
			}
		}
		const o = lin(out, mat(get(`${b}.self_attn.o_proj.weight`), H * Dh));
		x = x.map((r, i) => r.map((val, d) => val + o[i][d]));
		const h2 = rms(x, get(`${b}.post_attention_layernorm.weight`), c.rms_norm_eps);
		const gate = lin(h2, mat(get(`${b}.mlp.gate_proj.weight`), D));
		const up = lin(h2, mat(get(`${b}.mlp.up_proj.weight`), D));
		const inner = gate.map((r, i) => r.map((gv, j) => silu(gv) * up[i][j]));
		const down = lin(inner, mat(get(`${b}.mlp.down_proj.weight`), c.intermediate_size));
		x = x.map((r, i) => r.map((val, d) => val + down[i][d]));
	}
	const hN = rms(x, get('model.norm.weight'), c.rms_norm_eps);
	return { hidden: hN, logits: lin(hN, c.tie_word_embeddings ? E : mat(get('lm_head.weight'), D)) };
}

/**
 * dph score and dph generate on Llama-family checkpoints (tiny random folders with a real chat template), checked
 * against the independent float64 forward of tests/lib/dph/model/llama-reference.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { dphHeadsFiles } from '../../src/lib/dph/checkpoint/dph-heads';
import { inspectCheckpoint } from '../../src/lib/dph/checkpoint/load';
import { encodeCandidate, encodePrompt } from '../../src/lib/dph/data/chatml';
import type { LlamaConfig } from '../../src/lib/dph/model/llama-config';
import { dirFolder } from '../../src/node/checkpoint-folder';
import { type LlamaFixtureOptions, writeLlamaCheckpoint } from '../fixtures/llama-checkpoint';
import { reference } from '../lib/dph/model/llama-reference';
import { capture } from './capture';

const dirs: string[] = [];
afterAll(() => {
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const messages = [{ role: 'user' as const, content: 'Say hi' }];
const candidates = ['hi', 'no way'];

async function setup(opts: LlamaFixtureOptions) {
	const f = writeLlamaCheckpoint({ hfTokenizer: 'smollm2', ...opts });
	dirs.push(f.dir);
	const input = join(f.dir, 'items.jsonl');
	writeFileSync(input, `${JSON.stringify({ messages, candidates })}\n`);
	const info = await inspectCheckpoint(await dirFolder(f.dir));
	return { f, input, tok: info.tokenizer, config: info.config as LlamaConfig };
}

/** Average log-prob of the candidate's content tokens and the reward-position hidden state, in float64. */
function expected(s: Awaited<ReturnType<typeof setup>>, cand: string) {
	const seq = encodeCandidate(s.tok, messages, cand);
	const { hidden, logits } = reference(s.config, s.f, seq.ids);
	let sum = 0;
	let n = 0;
	for (let i = seq.answerStart; i < seq.answerEnd; i++) {
		const row = logits[i - 1];
		const m = Math.max(...row);
		const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
		sum += row[seq.ids[i]] - lse;
		n++;
	}
	return { logprob: sum / n, h: hidden[seq.rewardIndex], tokens: n };
}

describe('dph score on a Llama-family checkpoint', () => {
	it('a base model without heads prints {"rewards":null,"logprobs":[…]}, the float64 forward’s log-probs', async () => {
		const s = await setup({ kvHeads: 2 });
		const io = capture();
		expect(await main(['score', s.f.dir, '--input', s.input, '--backend', 'cpu'], io)).toBe(0);
		const line = JSON.parse(io.out.trim());
		expect(Object.keys(line)).toEqual(['rewards', 'logprobs']);
		expect(line.rewards).toBeNull();
		expect(line.logprobs).toHaveLength(2);
		for (let j = 0; j < 2; j++) {
			const e = expected(s, candidates[j]);
			expect(e.tokens).toBeGreaterThan(0);
			expect(line.logprobs[j]).toBeCloseTo(e.logprob, 4);
		}
		expect(io.err).toMatch(/no reward_heads: this is a language model without a DPH head/);
		expect(io.err).toMatch(/\(llama, [\d,]+ parameters, F32, no DPH head\) on CPU/);
	});

	it('a Qwen2 folder with heads in config.json prints each candidate’s reward at the end-of-turn token', async () => {
		const s = await setup({
			modelType: 'qwen2',
			hfTokenizer: 'qwen2',
			heads: { reward_heads: ['helpful'], reward_pooler: 'identity' },
		});
		const io = capture();
		expect(await main(['score', s.f.dir, '--input', s.input, '--backend', 'cpu'], io)).toBe(0);
		const line = JSON.parse(io.out.trim());
		const w = Array.from(s.f.tensors.find((t) => t.name === 'reward_heads.helpful.weight')?.data ?? []);
		expect(w).toHaveLength(16);
		for (let j = 0; j < 2; j++) {
			const e = expected(s, candidates[j]);
			expect(line.rewards[j]).toBeCloseTo(
				e.h.reduce((a, v, d) => a + v * w[d], 0),
				4,
			);
			expect(line.logprobs[j]).toBeCloseTo(e.logprob, 4);
		}
		expect(line.rewards[0]).not.toBeCloseTo(line.rewards[1], 4);
	});
});

describe('dph score --heads DIR', () => {
	it('reads heads kept beside a base model: the same rewards as the folder with heads in it', async () => {
		const heads = { reward_heads: ['helpful'], reward_pooler: 'identity' as const };
		const combined = await setup({ heads, seed: 21 });
		const base = await setup({ seed: 21 });
		const w = combined.f.tensors.filter((t) => t.name.startsWith('reward_heads.'));
		const headsDir = mkdtempSync(join(tmpdir(), 'dph-heads-cli-'));
		dirs.push(headsDir);
		const files = dphHeadsFiles(
			{
				format: 'dph-heads/1',
				base: {
					config_sha256: createHash('sha256')
						.update(readFileSync(join(base.f.dir, 'config.json')))
						.digest('hex'),
					model_type: 'llama',
					path: null,
				},
				d_model: 16,
				d_ffn: 24,
				...heads,
				reward_dropout: 0,
				reward_position: { kind: 'end_of_turn', token: '<|im_end|>' },
			},
			w,
		);
		for (const [n, v] of Object.entries(files)) writeFileSync(join(headsDir, n), v);
		const a = capture();
		expect(await main(['score', combined.f.dir, '--input', combined.input, '--backend', 'cpu'], a)).toBe(0);
		const b = capture();
		expect(await main(['score', base.f.dir, '--input', base.input, '--heads', headsDir, '--backend', 'cpu'], b)).toBe(
			0,
		);
		const want = JSON.parse(a.out);
		expect(want.rewards).toHaveLength(2);
		expect(JSON.parse(b.out)).toEqual(want);
		const c = capture();
		expect(await main(['score', base.f.dir, '--input', base.input, '--backend', 'cpu'], c)).toBe(0);
		expect(JSON.parse(c.out).rewards).toBeNull();
	});
});

describe('dph generate on a Llama-family checkpoint', () => {
	it('greedy decoding starts with the float64 forward’s most likely token; rewards are null without heads', async () => {
		const s = await setup({ kvHeads: 1, tie: true, hfTokenizer: 'smollm2' });
		const io = capture();
		const args = ['generate', s.f.dir, '--input', s.input, '--n', '2', '--max-new-tokens', '4', '--temperature', '0'];
		expect(await main([...args, '--backend', 'cpu'], io)).toBe(0);
		const out = JSON.parse(io.out.trim());
		expect(out.samples).toHaveLength(2);
		const prompt = encodePrompt(s.tok, messages);
		const last = reference(s.config, s.f, prompt).logits.at(-1) as number[];
		const top = last.indexOf(Math.max(...last));
		for (const sample of out.samples) {
			expect(sample.ids[0]).toBe(top);
			expect(sample.reward).toBeNull();
			expect(sample.ids.length).toBeLessThanOrEqual(4);
		}
		expect(out.best.reward).toBeNull();
	});
});

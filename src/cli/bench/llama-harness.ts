/**
 * The Llama-family benchmark (`dph bench --part llama`): a SmolLM2-135M-shaped model (30 layers, hidden 576, 9 heads,
 * 3 KV heads, MLP 1536, vocabulary 49 152, tied embedding) with random F16 weights written by the bench, loaded
 * through the real checkpoint loader on each backend. Per backend it reports
 *  - load: seconds, and memory after the load against the model's float32 size (RSS growth in Node; the target is
 *    ≤ 1.5×, the page's budget for a 135 M model);
 *  - scoring: ms per scored candidate (dph score's path: log-probs at the scored positions, batch of candidates);
 *  - heads training on cached features: the backbone once per sequence (the fill), then steps of the pooler and
 *    reward head alone on the cached vectors (SepDPH loss, Adam), in pairs per second.
 * The model is random, so the numbers are speed and memory only, never quality.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { BACKENDS, type BackendName, getTf, initBackend, type TF } from '../../lib/dph/backend.ts';
import { loadCheckpointTensors } from '../../lib/dph/checkpoint/load.ts';
import { encodeCandidate } from '../../lib/dph/data/chatml.ts';
import { CharTokenizer } from '../../lib/dph/data/index.ts';
import type { MultipleChoiceItem } from '../../lib/dph/data/types.ts';
import { hiddenStates, parameterShapes } from '../../lib/dph/model/llama.ts';
import { type LlamaConfig, resolveLlamaConfig, toLlamaConfigJson } from '../../lib/dph/model/llama-config.ts';
import type { Params } from '../../lib/dph/model/lswt.ts';
import { pooledRewards, type RewardConfig, rewardShapes, selectHidden } from '../../lib/dph/model/reward.ts';
import { scoreItems } from '../../lib/dph/score.ts';
import { logSigmoid } from '../../lib/dph/tfops.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import { privateTempFolder } from '../../node/checkpoint-folder-write.ts';
import { writeRandomF16Safetensors } from './checkpoint-harness.ts';
import { isSoftwareGpu } from './score-harness.ts';

/** SmolLM2-135M's config.json fields that set the shapes (HuggingFaceTB/SmolLM2-135M). */
export const SMOLLM2_135M = {
	model_type: 'llama',
	architectures: ['LlamaForCausalLM'],
	vocab_size: 49152,
	hidden_size: 576,
	intermediate_size: 1536,
	num_hidden_layers: 30,
	num_attention_heads: 9,
	num_key_value_heads: 3,
	rms_norm_eps: 1e-5,
	rope_theta: 100000,
	tie_word_embeddings: true,
	max_position_embeddings: 8192,
	bos_token_id: 0,
	eos_token_id: 0,
};

export interface LlamaBackendBench {
	backend: string;
	load: {
		seconds: number;
		/** Process RSS growth from before the load to after it, bytes. */
		rssGrowth: number;
		/** rssGrowth / float32 weight bytes (target ≤ 1.5). */
		rssRatio: number;
		/** Bytes tfjs reports for the loaded tensors / float32 weight bytes (1 when nothing is duplicated). */
		tensorRatio: number;
	};
	score: { candidates: number; tokens: number; msPerCandidate: number };
	heads: {
		pooler: string;
		/** Backbone ms per sequence when filling the cache. */
		fillMsPerSequence: number;
		steps: number;
		pairsPerStep: number;
		medianStepMs: number;
		pairsPerS: number;
	};
	/** Tensors left after the backend's runs (0 when nothing leaks). */
	tensorGrowth: number;
}

export interface LlamaBench {
	model: string;
	parameters: number;
	fp32Bytes: number;
	fileBytes: number;
	backends: Record<string, LlamaBackendBench | null>;
	notes: Record<string, string>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One prompt and `n` answers of ~`chars` characters (the char tokenizer: one token each). */
function items(n: number, chars: number): MultipleChoiceItem[] {
	const words = 'the quick brown fox jumps over a lazy dog while seven wizards box jovially '.repeat(8);
	const candidates = Array.from({ length: n }, (_, i) => words.slice(i * 3, i * 3 + chars));
	return [{ messages: [{ role: 'user', content: 'Summarise the sentence in a few words, please.' }], candidates }];
}

async function headsBench(tf: TF, c: LlamaConfig, p: Params, quick: boolean) {
	const tok = new CharTokenizer();
	const rc: RewardConfig = {
		d_model: c.hidden_size,
		d_ffn: c.intermediate_size,
		reward_pooler: 'swiglu_bert',
		reward_heads: ['reward'],
		reward_dropout: 0,
	};
	const pairs = quick ? 2 : 8;
	const [item] = items(2 * pairs, 32);
	// The fill: every sequence through the backbone once, its reward-position vector kept.
	const seqs = item.candidates.map((cand) => encodeCandidate(tok, item.messages, cand));
	const L = Math.max(...seqs.map((s) => s.ids.length));
	const t0 = performance.now();
	const feats: tfjs.Tensor[] = [];
	for (let s = 0; s < seqs.length; s += 8) {
		const part = seqs.slice(s, s + 8);
		const ids = part.flatMap((q) => [...q.ids, ...new Array(L - q.ids.length).fill(c.pad_token_id)]);
		const f = tf.tidy(() => {
			const h = hiddenStates(tf, c, p, tf.tensor2d(ids, [part.length, L], 'int32'));
			return selectHidden(
				tf,
				h,
				tf.tensor1d(
					part.map((q) => q.rewardIndex),
					'int32',
				),
			);
		});
		await f.data();
		feats.push(f);
	}
	const fillMsPerSequence = (performance.now() - t0) / seqs.length;
	const all = tf.concat(feats);
	tf.dispose(feats);
	const heads: Params = {};
	for (const [name, shape] of rewardShapes(rc)) {
		const t = tf.randomNormal(shape, 0, 0.02, 'float32', 1);
		heads[name] = tf.variable(t, true, `bench-heads/${name}`);
		t.dispose(); // the variable holds its own reference
	}
	const opt = tf.train.adam(1e-3);
	const chosen = tf.tensor1d(
		Array.from({ length: pairs }, (_, i) => 2 * i),
		'int32',
	);
	const rejected = tf.tensor1d(
		Array.from({ length: pairs }, (_, i) => 2 * i + 1),
		'int32',
	);
	const steps = quick ? 5 : 20;
	const ms: number[] = [];
	try {
		for (let i = 0; i < steps + 1; i++) {
			const s0 = performance.now();
			const loss = opt.minimize(
				() => {
					const r = (idx: tfjs.Tensor) => pooledRewards(tf, rc, heads, tf.gather(all, idx), { training: true });
					return tf.neg(tf.mean(logSigmoid(tf, tf.sub(r(chosen), r(rejected))))) as tfjs.Scalar;
				},
				true,
				Object.values(heads),
			);
			await loss?.data();
			loss?.dispose();
			if (i > 0) ms.push(performance.now() - s0); // the first step builds kernels and optimizer slots
		}
	} finally {
		opt.dispose();
		tf.dispose([all, chosen, rejected, ...Object.values(heads)]);
	}
	const medianStepMs = median(ms);
	return {
		pooler: rc.reward_pooler,
		fillMsPerSequence,
		steps,
		pairsPerStep: pairs,
		medianStepMs,
		pairsPerS: (1000 * pairs) / medianStepMs,
	};
}

async function benchBackend(
	backend: BackendName,
	dir: string,
	fp32Bytes: number,
	quick: boolean,
): Promise<LlamaBackendBench> {
	const report = await initBackend({ prefer: backend });
	if (report.backend !== backend) throw new Error(`${backend} did not start (got ${report.backend})`);
	if (isSoftwareGpu(report.adapter)) {
		// SwiftShader runs GPU kernels on the CPU: a 135 M model would take many minutes and measure the emulator.
		throw new Error(`skipped: ${report.label} is a software GPU (CPU emulation)`);
	}
	const tf = await getTf();
	(globalThis as { gc?: () => void }).gc?.();
	const rss0 = process.memoryUsage().rss;
	const t0 = performance.now();
	const ck = await loadCheckpointTensors(tf, await dirFolder(dir));
	const seconds = (performance.now() - t0) / 1000;
	(globalThis as { gc?: () => void }).gc?.();
	const rssGrowth = process.memoryUsage().rss - rss0;
	const tensorBytes = tf.memory().numBytes;
	try {
		const c = ck.config as LlamaConfig;
		// CPU tfjs multiplies in plain JavaScript: a few short candidates keep it to about a minute.
		const n = backend === 'cpu' || quick ? 2 : 8;
		const set = items(n, 24);
		await scoreItems(tf, ck, items(1, 8), { batchRows: 8 }); // kernels, tables
		const s0 = performance.now();
		await scoreItems(tf, ck, set, { batchRows: 8 });
		const msPerCandidate = (performance.now() - s0) / n;
		const tokens = encodeCandidate(ck.tokenizer, set[0].messages, set[0].candidates[0]).ids.length;
		const heads = await headsBench(tf, c, ck.params, quick || backend === 'cpu');
		return {
			backend: report.label,
			load: { seconds, rssGrowth, rssRatio: rssGrowth / fp32Bytes, tensorRatio: tensorBytes / fp32Bytes },
			score: { candidates: n, tokens, msPerCandidate },
			heads,
			tensorGrowth: 0, // set by the caller, after ck.dispose()
		};
	} finally {
		ck.dispose();
	}
}

export async function llamaBench(
	quick: boolean,
	log: (s: string) => void,
	backends: readonly BackendName[] = BACKENDS,
	/** Other config.json fields than SmolLM2-135M's (tests run a tiny model through the same harness). */
	fields: Record<string, unknown> = {},
): Promise<LlamaBench> {
	const config = resolveLlamaConfig({ ...SMOLLM2_135M, ...fields }).config;
	const shapes = parameterShapes(config);
	const parameters = shapes.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
	const fp32Bytes = 4 * parameters;
	const root = await privateTempFolder(tmpdir(), 'dph-bench-llama-');
	const dir = join(root, 'smollm2-135m-random');
	const notes: Record<string, string> = {};
	const out: LlamaBench = {
		model: Object.keys(fields).length
			? 'a smaller Llama model, random F16 weights'
			: 'SmolLM2-135M shape, random F16 weights',
		parameters,
		fp32Bytes,
		fileBytes: 0,
		backends: {},
		notes,
	};
	try {
		await mkdir(dir, { recursive: true });
		log(`llama: writing a ${(parameters / 1e6).toFixed(1)} M-parameter random checkpoint…\n`);
		out.fileBytes = await writeRandomF16Safetensors(join(dir, 'model.safetensors'), shapes);
		await writeFile(join(dir, 'config.json'), JSON.stringify(toLlamaConfigJson(config), null, 2));
		await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(new CharTokenizer().toJSON()));
		for (const b of backends) {
			log(`llama: load, score and heads training on ${b}…\n`);
			try {
				const tf = await getTf();
				const before = tf.memory().numTensors;
				const r = await benchBackend(b, dir, fp32Bytes, quick);
				r.tensorGrowth = (await getTf()).memory().numTensors - before;
				out.backends[b] = r;
			} catch (e) {
				out.backends[b] = null;
				notes[b] = `unavailable: ${(e as Error).message.split('\n')[0]}`;
			}
		}
	} finally {
		await rm(root, { recursive: true, force: true });
	}
	return out;
}

export function formatLlamaBench(b: LlamaBench): string {
	const rows = Object.entries(b.backends).map(([name, r]) => {
		if (!r) return `  ${name.padEnd(7)} ${b.notes[name] ?? 'unavailable'}`;
		return (
			`  ${name.padEnd(7)} load ${r.load.seconds.toFixed(1)} s, memory ${r.load.rssRatio.toFixed(2)}× F32 (tensors ${r.load.tensorRatio.toFixed(2)}×) · ` +
			`score ${r.score.msPerCandidate.toFixed(0)} ms/candidate (${r.score.tokens} tokens) · ` +
			`heads ${r.heads.pairsPerS.toFixed(0)} pairs/s on cached features (${r.heads.medianStepMs.toFixed(1)} ms/step of ${r.heads.pairsPerStep}; fill ${r.heads.fillMsPerSequence.toFixed(0)} ms/sequence)`
		);
	});
	return `Llama family, ${b.model} (${(b.parameters / 1e6).toFixed(1)} M parameters, ${(b.fp32Bytes / 2 ** 20).toFixed(0)} MiB as F32):\n${rows.join('\n')}\n`;
}

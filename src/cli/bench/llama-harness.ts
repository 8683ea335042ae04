/**
 * The Llama-family benchmark (`dph bench --part llama`): a SmolLM2-135M-shaped model (30 layers, hidden 576, 9 heads,
 * 3 KV heads, MLP 1536, vocabulary 49 152, tied embedding) with random F16 weights written by the bench, loaded
 * through the real checkpoint loader on each backend. Per backend it reports
 *  - load: seconds, and memory after the load against the model's float32 size (RSS growth in Node; the target is
 *    ≤ 1.5×, the page's budget for a 135 M model);
 *  - scoring: ms per scored candidate (dph score's path: log-probs at the scored positions, batch of candidates);
 *  - heads training on cached features through the trainer (`dph train --from DIR --trainable heads`): the
 *    backbone once per sequence (the fill), then steps of the pooler and reward head alone, in pairs per second.
 * The model is random, so the numbers are speed and memory only, never quality.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, type BackendName, getTf, initBackend, type TF } from '../../lib/dph/backend.ts';
import { loadCheckpointTensors } from '../../lib/dph/checkpoint/load.ts';
import { encodeCandidate } from '../../lib/dph/data/chatml.ts';
import { CharTokenizer } from '../../lib/dph/data/index.ts';
import type { MultipleChoiceItem } from '../../lib/dph/data/types.ts';
import { parameterShapes } from '../../lib/dph/model/llama.ts';
import { resolveLlamaConfig, toLlamaConfigJson } from '../../lib/dph/model/llama-config.ts';
import { scoreItems } from '../../lib/dph/score.ts';
import { resolveTrainConfig } from '../../lib/dph/train/config.ts';
import { loadStart } from '../../lib/dph/train/start.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';
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

/**
 * Heads training as `dph train --from <llama> --trainable heads` runs it (chat-heads' path): the trainer loads the
 * folder, the first step fills the cache (the backbone once per training and validation sequence), every later
 * step runs the pooler and head alone. A fresh swiglu_bert pooler and head, SepDPH only.
 */
async function headsBench(tf: TF, dir: string, quick: boolean) {
	const batchSize = quick ? 2 : 8;
	const steps = quick ? 4 : 12;
	const cfg = resolveTrainConfig({
		from: dir,
		steps,
		batchSize,
		trainable: 'heads',
		objective: { dpoWeight: 0 },
		heads: { reinit: 'pooler+head', pooler: 'swiglu_bert', name: 'reward', cache: true },
		data: { trainPairs: steps * batchSize, validationPairs: 2 },
		optim: { warmupSteps: 1 },
		evalEvery: steps,
	});
	const t = new DPHTrainer(tf, cfg, await loadStart(tf, dirFolder, dir));
	try {
		if (!t.cache) throw new Error('the trainer did not cache the backbone: heads were timed with it');
		const ms: number[] = [];
		let fill = 0;
		for (let i = 0; i < steps; i++) {
			const s0 = performance.now();
			await t.step();
			if (i === 0) fill = performance.now() - s0;
			else ms.push(performance.now() - s0);
		}
		const sequences = 2 * (cfg.data.trainPairs + cfg.data.validationPairs);
		const medianStepMs = median(ms);
		return {
			pooler: 'swiglu_bert',
			fillMsPerSequence: ((t.cache.seconds ?? fill / 1000) * 1000) / sequences,
			steps,
			pairsPerStep: batchSize,
			medianStepMs,
			pairsPerS: (1000 * batchSize) / medianStepMs,
		};
	} finally {
		t.dispose();
	}
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
		// CPU tfjs multiplies in plain JavaScript: a few short candidates keep it to about a minute.
		const n = backend === 'cpu' || quick ? 2 : 8;
		const set = items(n, 24);
		await scoreItems(tf, ck, items(1, 8), { batchRows: 8 }); // kernels, tables
		const s0 = performance.now();
		await scoreItems(tf, ck, set, { batchRows: 8 });
		const msPerCandidate = (performance.now() - s0) / n;
		const tokens = encodeCandidate(ck.tokenizer, set[0].messages, set[0].candidates[0]).ids.length;
		const heads = await headsBench(tf, dir, quick || backend === 'cpu');
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
				// Each backend's line as soon as it is measured: a run stopped later still leaves these.
				log(`llama: ${formatLlamaRow(b, r)}\n`);
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

function formatLlamaRow(name: string, r: LlamaBackendBench): string {
	return (
		`  ${name.padEnd(7)} load ${r.load.seconds.toFixed(1)} s, memory ${r.load.rssRatio.toFixed(2)}× F32 (tensors ${r.load.tensorRatio.toFixed(2)}×) · ` +
		`score ${r.score.msPerCandidate.toFixed(0)} ms/candidate (${r.score.tokens} tokens) · ` +
		`heads ${r.heads.pairsPerS.toFixed(0)} pairs/s on cached features (${r.heads.medianStepMs.toFixed(1)} ms/step of ${r.heads.pairsPerStep}; fill ${r.heads.fillMsPerSequence.toFixed(0)} ms/sequence)`
	);
}

export function formatLlamaBench(b: LlamaBench): string {
	const rows = Object.entries(b.backends).map(([name, r]) =>
		r ? formatLlamaRow(name, r) : `  ${name.padEnd(7)} ${b.notes[name] ?? 'unavailable'}`,
	);
	return `Llama family, ${b.model} (${(b.parameters / 1e6).toFixed(1)} M parameters, ${(b.fp32Bytes / 2 ** 20).toFixed(0)} MiB as F32):\n${rows.join('\n')}\n`;
}

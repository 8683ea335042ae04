/**
 * Scoring benchmark (Node, used by `dph bench`): milliseconds per scored candidate for a DPH model of a given size
 * on each tfjs backend, through the path a user's checkpoint takes — a folder on disk (config.json, tokenizer.json,
 * random F16 model.safetensors) read by loadForScoring (streamed when too big to hold resident), then scoreItems on one item: a ~40-token prompt and four
 * ~8-token candidates, scored together in one batch. The first call compiles kernels (WebGPU) and fills caches, so it
 * is not timed.
 *
 * The tokenizer is the CharTokenizer (one token per character), so "40 tokens" are 40 characters; the model keeps
 * its config's vocab_size (the OPT vocabulary, 50 272), so the log-softmax over the vocabulary at each scored
 * position costs what it costs with a real tokenizer.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	type AdapterDescription,
	type BackendName,
	type BackendReport,
	getTf,
	initBackend,
	type TF,
} from '../../lib/dph/backend';
import { type CheckpointBenchModel, checkpointBenchConfig } from '../../lib/dph/bench/checkpoint';
import { loadForScoring } from '../../lib/dph/checkpoint/load-streamed';
import { makeChoiceBatch } from '../../lib/dph/data/batches';
import { CharTokenizer } from '../../lib/dph/data/char-tokenizer';
import type { MultipleChoiceItem } from '../../lib/dph/data/types';
import { type LSWTConfig, toConfigJson } from '../../lib/dph/model/config';
import { countParameters } from '../../lib/dph/model/lswt';
import { scoreItems } from '../../lib/dph/score';
import { dirFolder } from '../../node/checkpoint-folder';
import { privateTempFolder } from '../../node/checkpoint-folder-write';
import { writeRandomF16Checkpoint } from './checkpoint-harness';

/** 40 characters of prompt and four 8-character candidates: 40 and 8 tokens with the CharTokenizer. */
const PROMPT = 'Which of these words names a warm color?';
const CANDIDATES = ['scarlet.', 'sky blue', 'a turnip', 'tomorrow'];

export function benchItems(): MultipleChoiceItem[] {
	return [{ messages: [{ role: 'user', content: PROMPT }], candidates: [...CANDIDATES] }];
}

/** Shape of the scoring batch: what one call pushes through the model. */
export interface ScoreBatchShape {
	promptTokens: number;
	candidateTokens: number;
	candidates: number;
	/** Padded sequence length of each row (ChatML around prompt and candidate included). */
	seqLen: number;
	/** Positions whose next-token log-prob is scored (the candidates' content tokens). */
	scoredPositions: number;
}

export function scoreBatchShape(): ScoreBatchShape {
	const tok = new CharTokenizer();
	const items = benchItems();
	// The same padding scoreItems uses, so seqLen is the length the model really sees.
	const b = makeChoiceBatch(tok, items, { padMultiple: 8 });
	let scored = 0;
	for (const m of b.evalMask) scored += m > 0 ? 1 : 0;
	return {
		promptTokens: tok.encode(PROMPT).length,
		candidateTokens: tok.encode(CANDIDATES[0]).length,
		candidates: b.rows,
		seqLen: b.length,
		scoredPositions: scored,
	};
}

/**
 * Multiply-adds × 2 of one scoring call: the layers on every position, attention over the sequence, and the two
 * head matrices only at the scored positions. Used to project a slow backend's time at a bigger size from its
 * measured time at a smaller one, so a call that would take minutes is not started.
 */
export function scoringFlops(c: LSWTConfig, s: ScoreBatchShape): number {
	const d = c.d_model;
	const tokens = s.candidates * s.seqLen;
	const perLayer = 4 * d * d + 3 * c.d_ffn * d + 2 * s.seqLen * d;
	const body = 2 * tokens * (c.d_vocab * d + c.n_layers * perLayer);
	const head = 2 * s.scoredPositions * (d * c.d_vocab + c.d_vocab * c.vocab_size);
	return body + head;
}

/** A checkpoint folder as `dph train` writes one, with random F16 weights; returns its path. */
export async function writeBenchCheckpointFolder(parent: string, config: LSWTConfig, seed = 1): Promise<string> {
	const dir = await privateTempFolder(parent, 'dph-bench-score-');
	await writeFile(join(dir, 'config.json'), JSON.stringify(toConfigJson(config), null, 2));
	await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(new CharTokenizer().toJSON()));
	await writeRandomF16Checkpoint(join(dir, 'model.safetensors'), config, seed);
	return dir;
}

export interface ScoreTiming {
	msPerCandidate: number;
	/** Each timed call, whole batch (ms). */
	callMs: number[];
	warmupCalls: number;
	loadSeconds: number;
	/** tf.memory().numTensors after the timed calls minus before (0: no leak). */
	tensorGrowth: number;
}

export interface TimeScoringOptions {
	warmup?: number;
	/** Most timed calls. */
	calls?: number;
	/** Stop timing once the timed calls together took this long (at least one call is always timed). */
	budgetMs?: number;
}

/** Load the folder on the current backend, warm up, time scoring calls, dispose everything. */
export async function timeScoring(tf: TF, dir: string, opts: TimeScoringOptions = {}): Promise<ScoreTiming> {
	// A model too big for the backend's heap resident (the medium one on wasm) is streamed, as dph score does.
	const ck = await loadForScoring(tf, await dirFolder(dir));
	try {
		const model = { config: ck.config, params: ck.params, tokenizer: ck.tokenizer };
		const items = benchItems();
		const candidates = items.reduce((a, it) => a + it.candidates.length, 0);
		const warmup = opts.warmup ?? 1;
		for (let i = 0; i < warmup; i++) await scoreItems(tf, model, items);
		const before = tf.memory().numTensors;
		const callMs: number[] = [];
		const maxCalls = Math.max(1, opts.calls ?? 5);
		let spent = 0;
		while (callMs.length < maxCalls && (callMs.length === 0 || spent < (opts.budgetMs ?? Number.POSITIVE_INFINITY))) {
			const t0 = performance.now();
			// scoreItems awaits the results' data(), so the time includes the backend finishing its work.
			await scoreItems(tf, model, items);
			const ms = performance.now() - t0;
			callMs.push(ms);
			spent += ms;
		}
		const sorted = [...callMs].sort((a, b) => a - b);
		const median = sorted[Math.floor(sorted.length / 2)];
		return {
			msPerCandidate: median / candidates,
			callMs,
			warmupCalls: warmup,
			loadSeconds: ck.seconds,
			tensorGrowth: tf.memory().numTensors - before,
		};
	} finally {
		ck.dispose();
	}
}

export type ScoreBenchSize = 'tiny' | 'medium';

export interface ScoreBenchOptions {
	backends: readonly BackendName[];
	sizes: readonly ScoreBenchSize[];
	/** One call per case, not warmed up (smoke runs). */
	quick?: boolean;
	/** A case whose projected call time exceeds this is not run (default 60 s). */
	maxCallSeconds?: number;
	/** Parent folder for the temporary checkpoints (default: the OS temp folder). */
	dir?: string;
	log?: (s: string) => void;
}

export interface ScoreBenchResult {
	/** ms per candidate, median call / candidates; null with a note in `notes` when not measured. */
	msPerCandidate: Record<ScoreBenchSize, Record<BackendName, number | null>>;
	/** Why a case is null, or how it was measured when that differs from the rest; keys `size.backend`. */
	notes: Record<string, string>;
	shape: ScoreBatchShape;
	models: Record<ScoreBenchSize, { parameters: number; vocab: number; dModel: number; layers: number }>;
	/** Per measured case: timed calls (ms), load seconds and tensor growth. */
	runs: Record<string, { callMs: number[]; warmupCalls: number; loadSeconds: number; tensorGrowth: number }>;
	/** The WebGPU adapter the cases ran on, when WebGPU started. */
	adapter: AdapterDescription | null;
}

/** SwiftShader, lavapipe, llvmpipe or a fallback adapter: WebGPU kernels emulated on the CPU. */
export function isSoftwareGpu(a: AdapterDescription | null): boolean {
	return (
		a !== null &&
		(a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${a.vendor} ${a.architecture} ${a.description}`))
	);
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);

export async function benchScoring(opts: ScoreBenchOptions): Promise<ScoreBenchResult> {
	const log = opts.log ?? (() => {});
	const maxCallMs = (opts.maxCallSeconds ?? 60) * 1000;
	const shape = scoreBatchShape();
	const sizes: ScoreBenchSize[] = ['tiny', 'medium'];
	const empty = () => ({ webgpu: null, wasm: null, cpu: null }) as Record<BackendName, number | null>;
	const result: ScoreBenchResult = {
		msPerCandidate: { tiny: empty(), medium: empty() },
		notes: {},
		shape,
		models: {} as ScoreBenchResult['models'],
		runs: {},
		adapter: null,
	};
	/** Measured seconds per FLOP of one call, per backend, from the last size it ran: the basis of projections. */
	const rate: Partial<Record<BackendName, number>> = {};
	for (const size of sizes) {
		const { config } = checkpointBenchConfig(size satisfies CheckpointBenchModel);
		result.models[size] = {
			parameters: countParameters(config),
			vocab: config.vocab_size,
			dModel: config.d_model,
			layers: config.n_layers,
		};
		if (!opts.sizes.includes(size)) {
			for (const b of opts.backends) result.notes[`${size}.${b}`] = 'not measured with --quick';
			continue;
		}
		const flops = scoringFlops(config, shape);
		let dir: string | null = null;
		try {
			for (const backend of opts.backends) {
				const key = `${size}.${backend}`;
				let report: BackendReport;
				try {
					report = await initBackend({ prefer: backend });
				} catch (e) {
					result.notes[key] = `backend unavailable: ${errText(e)}`;
					continue;
				}
				if (backend === 'webgpu') {
					result.adapter = report.adapter;
					// SwiftShader runs the GPU kernels on the CPU; a medium model there says nothing about GPUs and takes minutes.
					if (size !== 'tiny' && isSoftwareGpu(report.adapter)) {
						result.notes[key] =
							'not run: the only WebGPU adapter is SwiftShader (GPU kernels emulated on the CPU); measured at tiny size only';
						continue;
					}
				}
				const projectedMs = rate[backend] !== undefined ? (rate[backend] as number) * flops : null;
				if (projectedMs !== null && projectedMs > maxCallMs) {
					result.notes[key] =
						`not run: projected ${(projectedMs / 1000).toFixed(0)} s per call (this backend's FLOP rate at the smaller size × this size's FLOPs), over the ${maxCallMs / 1000} s cap (--score-cap)`;
					continue;
				}
				if (!dir) {
					log(`scoring: writing a random ${size} checkpoint…\n`);
					dir = await writeBenchCheckpointFolder(opts.dir ?? tmpdir(), config);
				}
				log(`scoring: ${size} on ${backend}…\n`);
				const tf = await getTf();
				// A call expected to take long is timed once, without a separate warm-up (it would double the wait).
				const long = projectedMs !== null && projectedMs > maxCallMs / 3;
				try {
					const t = await timeScoring(tf, dir, {
						// --quick is a smoke run: the one timed call includes kernel compilation.
						warmup: long || opts.quick ? 0 : 1,
						calls: opts.quick
							? 1
							: isSoftwareGpu(backend === 'webgpu' ? report.adapter : null)
								? 3
								: size === 'tiny'
									? 7
									: 3,
						budgetMs: opts.quick ? 0 : Math.max(5000, maxCallMs / 2),
					});
					result.msPerCandidate[size][backend] = t.msPerCandidate;
					result.runs[key] = {
						callMs: t.callMs,
						warmupCalls: t.warmupCalls,
						loadSeconds: t.loadSeconds,
						tensorGrowth: t.tensorGrowth,
					};
					const median = t.msPerCandidate * shape.candidates;
					rate[backend] = median / flops;
					const notes: string[] = [];
					if (backend === 'webgpu' && isSoftwareGpu(report.adapter))
						notes.push('SwiftShader: GPU kernels emulated on the CPU, not a GPU figure');
					if (long) notes.push('one call, first call included (no warm-up): expected to be slow');
					if (t.tensorGrowth !== 0) notes.push(`tensor count grew by ${t.tensorGrowth} across the timed calls`);
					if (notes.length) result.notes[key] = notes.join('; ');
				} catch (e) {
					const gb = (4 * result.models[size].parameters) / 1e9;
					// Emscripten's abort carries no message; the usual cause here is the wasm32 heap (≤ 4 GiB) running out.
					const why =
						backend === 'wasm' && /Aborted/.test(errText(e))
							? ` (the wasm heap, at most 4 GiB, most likely ran out: the float32 weights alone are ${gb.toFixed(2)} GB)`
							: '';
					result.notes[key] = `failed: ${errText(e)}${why}`;
				}
			}
		} finally {
			if (dir) await rm(dir, { recursive: true, force: true });
		}
	}
	return result;
}

import { fileURLToPath } from 'node:url';
import { type AdapterDescription, BACKENDS, currentBackend } from '../../lib/dph/backend.ts';
import { checkpointBenchConfig } from '../../lib/dph/bench/checkpoint.ts';
import { benchLandscape, formatLandscapeBench, landscapeSpeedup } from '../../lib/dph/bench/landscape.ts';
import { runSelfTest } from '../../lib/dph/selftest.ts';
import { type CliCommand, flag, num, str, UsageError } from '../args.ts';
import { type CheckpointLoadBench, formatCheckpointBench } from '../bench/checkpoint-harness.ts';
import { runChildJson } from '../bench/child.ts';
import { generateBench } from '../bench/generate-harness.ts';
import { benchCachedHeads, formatHeadsBench, type HeadsBench } from '../bench/heads-harness.ts';
import { describeMachine, machineLine } from '../bench/machine.ts';
import type { MediumScoreBench } from '../bench/medium-score-harness.ts';
import { isSoftwareGpu, type ScoreBenchResult } from '../bench/score-harness.ts';
import { torchBench } from '../bench/torch-harness.ts';
import { trainThroughput } from '../bench/train-throughput.ts';

const PARTS = [
	'landscape',
	'selftest',
	'train',
	'torch',
	'heads',
	'load',
	'score',
	'medium',
	'generate',
	'llama',
] as const;
type Part = (typeof PARTS)[number];
/** Parts that run only when named: the Llama part loads a 135 M model on every backend (minutes). */
const ON_REQUEST: readonly Part[] = ['llama'];

function parseParts(v: string | undefined): Set<Part> {
	if (v === undefined) return new Set(PARTS.filter((p) => !ON_REQUEST.includes(p)));
	const out = new Set<Part>();
	for (const p of v.split(',').map((s) => s.trim())) {
		if (!(PARTS as readonly string[]).includes(p))
			throw new UsageError(`--part must be a comma-separated list of ${PARTS.join(', ')}, got "${p}"`);
		out.add(p as Part);
	}
	return out;
}

/**
 * The checkpoint-load bench in a fresh Node process, so its peak RSS holds only the loader and not what the
 * landscape, training or scoring parts left in this process (tfjs' wasm heap never shrinks, for one).
 */
async function loadBenchInChild(quick: boolean): Promise<CheckpointLoadBench> {
	const bin = fileURLToPath(new URL('../../../bin/dph.mjs', import.meta.url));
	const args = ['--expose-gc', bin, 'bench', '--part', 'load', '--json', ...(quick ? ['--quick'] : [])];
	const j = await runChildJson<{ safetensors_load?: CheckpointLoadBench }>(
		process.execPath,
		args,
		'the load bench process',
	);
	if (!j.safetensors_load) throw new Error('the load bench process printed no safetensors_load');
	return j.safetensors_load;
}

async function loadBenchHere(quick: boolean): Promise<CheckpointLoadBench> {
	const { benchCheckpointLoad } = await import('../bench/checkpoint-harness.ts');
	return benchCheckpointLoad({ config: quick ? 'nano' : 'medium' });
}

const RSS_RATIO_DEFINITION =
	'(peak RSS during the load − RSS just before it) / float32 weight bytes, in a fresh Node process, all weights kept';

type Num = number | null;

export const benchCommand: CliCommand = {
	name: 'bench',
	summary:
		'the performance table of docs/BENCHMARKS.md: landscape grids, training, checkpoint load and scoring per backend',
	usage: 'dph bench [--json] [--quick] [--part LIST] [--score-cap S]',
	help: `Measures, in one run and side by side (targets and how each is taken: docs/BENCHMARKS.md):
  - landscape: loss + gradient grids at 256² and 1024² (SepDPH, ConDPH), structured vs a naive per-cell loop
  - training throughput (tokens/s) of the LSWT tiny preset on webgpu, wasm and cpu (--quick: nano)
  - training step side by side with PyTorch (scripts/bench/torch_dph_step.py, the same model and batch shape):
    ms per step on wasm and in PyTorch on 1 and 2 threads, and the ratio; skipped with a note when no python3
    with torch is found ($DPH_PYTHON, python3, /usr/bin/python3)
  - self-test training throughput of a small reward model on webgpu, wasm and cpu
  - frozen-backbone heads training: cached backbone vectors vs the backbone run every step, same steps, on
    wasm (tiny preset; --quick: nano): the speed-up per step and in total
  - checkpoint load: a random-F16 safetensors file of the paper's medium model (≈ 1.1 GB; --quick: nano) written
    to the temp folder, streamed back in a fresh Node process: MB/s and peak RSS over the float32 weights
  - scoring: ms per candidate (40-token prompt, 4 candidates of 8 tokens in one batch) at tiny and medium size
    on each backend, through loadForScoring and scoreItems (--quick: tiny only)
  - medium: the paper's medium model (random F16, 1.14 GB, cached under ~/.cache/dph/bench-checkpoints) scored
    on wasm layer-streamed, 4 candidates × 128 tokens after a 40-token prompt, in a fresh process: s per
    candidate, peak RSS / F16 file size, and the same call in PyTorch (scripts/bench/torch_score.py, one
    thread) when python3 has torch, with the ratio (--quick: the nano preset, no PyTorch)
  - generation: tokens/s of the cached decoder (one sample, and 8 in a batch) and its speed-up over recomputing
    the whole sequence per token, 64 new tokens after a 40-token prompt, tiny preset, and a 60 M-parameter
    model on wasm (--quick: nano, wasm only)
  - llama (only with --part llama): a SmolLM2-135M-shaped Llama model (random F16) on each backend: load time
    and memory after the load over its F32 size, ms per scored candidate, and heads training on cached
    features (pairs/s) (docs/BENCHMARKS.md § Llama-family models)
Options:
  --json         print one JSON object on stdout
  --quick        small models and fewer repetitions (for CI smoke runs)
  --part LIST    only these parts, comma-separated: ${PARTS.join(', ')} (${ON_REQUEST.join(', ')} only when named)
  --score-cap S  do not start a scoring case whose projected call time is over S seconds (default 60)`,
	options: {
		json: { type: 'boolean' },
		quick: { type: 'boolean' },
		part: { type: 'string' },
		'score-cap': { type: 'string' },
	},
	async run(args, io) {
		const quick = flag(args, 'quick');
		const json = flag(args, 'json');
		const parts = parseParts(str(args, 'part'));
		const scoreCap = num(args, 'score-cap', 60) as number;
		if (!(scoreCap > 0)) throw new UsageError(`--score-cap must be a positive number of seconds, got ${scoreCap}`);
		const t0 = performance.now();
		// Progress goes to stderr in both modes: stdout stays one JSON object with --json.
		const log = (s: string) => io.stderr(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);
		const result: Record<string, unknown> = {};
		/** Why a value is null (or how it differs from the rest), keyed by the value's path in the result. */
		const notes: Record<string, string> = {};
		const backendLabels: Record<string, string> = {};
		let webgpuError: string | null = null;
		let adapter: AdapterDescription | null = null;
		const webgpuTried = parts.has('selftest') || parts.has('train') || parts.has('score') || parts.has('generate');
		/** Remember the adapter whenever WebGPU is the active backend: later parts switch away from it. */
		const seeAdapter = () => {
			const r = currentBackend();
			if (r?.backend === 'webgpu' && r.adapter) adapter = r.adapter;
		};

		// First, while this process is still small: the load bench runs in its own process anyway.
		let load: CheckpointLoadBench | null = null;
		if (parts.has('load')) {
			log(`checkpoint load (${quick ? 'nano' : 'medium'}, random F16)…\n`);
			try {
				// Alone, this process is the fresh one (that is how the child is run).
				load = parts.size === 1 ? await loadBenchHere(quick) : await loadBenchInChild(quick);
			} catch (e) {
				notes.safetensors_mb_per_s = `failed: ${(e as Error).message}`;
				notes.safetensors_peak_rss_ratio = notes.safetensors_mb_per_s;
			}
			result.safetensors_mb_per_s = load?.mbPerS ?? null;
			result.safetensors_peak_rss_ratio = load?.peakAboveBaselineRatio ?? null;
			result.safetensors_peak_rss_ratio_definition = RSS_RATIO_DEFINITION;
			result.safetensors_load = load;
		}

		let landscapeRows: ReturnType<typeof benchLandscape> = [];
		if (parts.has('landscape')) {
			log('landscape…\n');
			landscapeRows = benchLandscape(quick ? { reps: 20, sizes: [256, 1024], warmup: 5 } : {});
			const at = (n: number, loss: string, method: string) =>
				landscapeRows.find((r) => r.n === n && r.loss === loss && r.method === method)?.medianMs ?? Number.NaN;
			result.landscape_256_ms = { sepdph: at(256, 'sepdph', 'structured'), condph: at(256, 'condph', 'structured') };
			result.landscape_1024_ms = { sepdph: at(1024, 'sepdph', 'structured'), condph: at(1024, 'condph', 'structured') };
			result.landscape_naive_256_ms = { sepdph: at(256, 'sepdph', 'naive'), condph: at(256, 'condph', 'naive') };
			// The bench's own check that the structured path pays (a ratio of one run, never a unit-test assertion).
			result.landscape_speedup_256 = landscapeSpeedup(landscapeRows, 256);
		}

		const noteWebgpu = (e: unknown, backend: string) => {
			if (backend === 'webgpu' && !webgpuError) webgpuError = (e as Error).message;
		};

		const batch = 16;
		const seqLen = 32;
		const selftest: Record<string, Num> = {};
		if (parts.has('selftest')) {
			for (const backend of BACKENDS) {
				log(`self-test training on ${backend}…\n`);
				try {
					// SwiftShader WebGPU runs kernels on the CPU: a few steps suffice to measure it.
					const steps = backend === 'webgpu' ? (quick ? 3 : 6) : quick ? 8 : 30;
					const r = await runSelfTest({ backend, steps, batch, seqLen, vocab: 64, dim: 32 });
					selftest[backend] = (2 * batch * seqLen * 1000) / r.msPerStep;
					backendLabels[backend] = r.label;
					seeAdapter();
				} catch (e) {
					selftest[backend] = null;
					notes[`selftest_tokens_per_s.${backend}`] = `unavailable: ${(e as Error).message}`;
					noteWebgpu(e, backend);
				}
			}
			result.selftest_tokens_per_s = selftest;
			result.selftest_model = `embedding ${64}×${32} → mean pool → tanh pooler → reward head, ConDPH, batch ${batch} pairs × ${seqLen} tokens`;
		}

		const trainTput: Record<string, Num> = {};
		if (parts.has('train')) {
			const model = quick ? 'nano' : 'tiny';
			for (const backend of BACKENDS) {
				log(`${model}-preset training on ${backend}…\n`);
				try {
					// SwiftShader runs WebGPU kernels on the CPU: one small timed step is all it can afford here.
					trainTput[backend] =
						backend === 'webgpu'
							? await trainThroughput('webgpu', model, 1, 2)
							: await trainThroughput(backend, model, quick ? 1 : 3, quick ? 4 : 16);
					seeAdapter();
					if (backend === 'webgpu' && isSoftwareGpu(currentBackend()?.adapter ?? null))
						notes['train_tokens_per_s.webgpu'] =
							'SwiftShader: GPU kernels emulated on the CPU, batch 2 pairs, one timed step';
				} catch (e) {
					trainTput[backend] = null;
					notes[`train_tokens_per_s.${backend}`] = `unavailable: ${(e as Error).message}`;
					noteWebgpu(e, backend);
				}
			}
			result.train_tokens_per_s = trainTput;
			result.train_model =
				model === 'tiny'
					? 'LSWT tiny preset (~1.1M parameters, swiglu_bert pooler), joint cDPO + SepDPH, LaProp; echo task, batch 16 pairs (webgpu 2)'
					: 'LSWT nano preset (--quick), joint cDPO + SepDPH, LaProp; echo task, batch 4 pairs (webgpu 2)';
		}

		const torch = parts.has('torch') ? await torchBench(quick, log, notes) : null;
		if (torch) Object.assign(result, torch.result);

		let heads: HeadsBench | null = null;
		if (parts.has('heads')) {
			log('frozen-backbone heads training, cached vs uncached…\n');
			try {
				heads = await benchCachedHeads({
					backend: 'wasm',
					model: quick ? 'nano' : 'tiny',
					steps: quick ? 4 : 20,
					batchSize: quick ? 4 : 16,
				});
			} catch (e) {
				notes.heads_cache_speedup = `failed: ${(e as Error).message}`;
			}
			result.heads_cache_speedup = heads ? { per_step: heads.speedupPerStep, total: heads.speedupTotal } : null;
			result.heads_cache = heads;
		}

		let score: ScoreBenchResult | null = null;
		if (parts.has('score')) {
			const { benchScoring } = await import('../bench/score-harness.ts');
			score = await benchScoring({
				backends: BACKENDS,
				sizes: quick ? ['tiny'] : ['tiny', 'medium'],
				quick,
				maxCallSeconds: scoreCap,
				log: (s) => log(s),
			});
			result.score_ms_per_candidate = score.msPerCandidate;
			for (const [k, v] of Object.entries(score.notes)) notes[`score_ms_per_candidate.${k}`] = v;
			const s = score.shape;
			result.score = {
				definition: `median time of one scoreItems call / ${s.candidates} candidates; one item: a ${s.promptTokens}-token prompt and ${s.candidates} candidates of ${s.candidateTokens} tokens, one batch (${s.candidates} rows × ${s.seqLen} tokens, ${s.scoredPositions} scored positions), CharTokenizer; random F16 checkpoint loaded with loadForScoring (layer-streamed when over 1 GiB of float32 off WebGPU); ${quick ? 'one call, not warmed up (--quick)' : 'one warm-up call not timed'}`,
				shape: s,
				models: score.models,
				runs: score.runs,
				max_call_seconds: scoreCap,
			};
		}

		let medium: MediumScoreBench | null = null;
		const mediumHarness = parts.has('medium') ? await import('../bench/medium-score-harness.ts') : null;
		if (mediumHarness) {
			const { benchMediumScoring, benchMediumScoringInChild } = mediumHarness;
			try {
				medium =
					parts.size === 1
						? await benchMediumScoring({
								// --quick is a smoke run of the path: a nano model, and no PyTorch side (it is its own part).
								config: quick ? checkpointBenchConfig('nano').config : undefined,
								candidates: quick ? 2 : 4,
								torch: !quick,
								log,
							})
						: await benchMediumScoringInChild(quick);
			} catch (e) {
				notes.medium_score = `failed: ${(e as Error).message}`;
			}
			result.medium_score = medium;
		}

		const gen = parts.has('generate') ? await generateBench(quick, log, notes) : null;
		if (gen) Object.assign(result, gen.result);

		const llamaHarness = parts.has('llama') ? await import('../bench/llama-harness.ts') : null;
		const llama = llamaHarness ? await llamaHarness.llamaBench(quick, log) : null;
		if (llama) result.llama = llama;

		adapter = score?.adapter ?? adapter;
		const info = describeMachine(adapter);
		const machine = machineLine(info, { tried: webgpuTried, error: webgpuError });
		const pending: Record<string, string> = {};
		if (parts.has('train') && !torch?.measured)
			pending.pytorch_cpu_train_tokens_per_s = 'the PyTorch side-by-side (--part torch) did not run: see notes';
		if (webgpuTried && (!adapter || isSoftwareGpu(adapter)))
			pending.real_gpu_webgpu = 'no GPU WebGPU adapter here: WebGPU figures are SwiftShader (CPU emulation) or absent';
		const out = {
			machine,
			machine_info: info,
			...result,
			backends: backendLabels,
			notes,
			pending,
		};
		if (json) {
			io.stdout(`${JSON.stringify(out)}\n`);
			return 0;
		}

		const fmt = (v: Num, digits = 0) => (v === null ? '—' : v.toFixed(digits));
		io.stdout(`Machine: ${machine}\n`);
		if (parts.has('landscape'))
			io.stdout(`\nLandscape (median of repeated runs, one core):\n${formatLandscapeBench(landscapeRows)}`);
		if (parts.has('train')) {
			io.stdout(`\nDPH training throughput, ${quick ? 'nano' : 'tiny'} preset (tokens/s, reference model included):\n`);
			for (const b of BACKENDS) io.stdout(`  ${b.padEnd(7)} ${fmt(trainTput[b]).padStart(8)}\n`);
		}
		if (torch) io.stdout(torch.text);
		if (heads) io.stdout(`\n${formatHeadsBench(heads)}`);
		if (llama && llamaHarness) io.stdout(`\n${llamaHarness.formatLlamaBench(llama)}`);
		else if (parts.has('heads')) io.stdout(`\nHeads training: ${notes.heads_cache_speedup}\n`);
		if (load) io.stdout(`\n${formatCheckpointBench(load)}\n  (peak RSS ratio reported: ${RSS_RATIO_DEFINITION})\n`);
		else if (parts.has('load')) io.stdout(`\nCheckpoint load: ${notes.safetensors_mb_per_s}\n`);
		if (score) {
			io.stdout(`\nScoring, ms per candidate (${(result.score as { definition: string }).definition}):\n`);
			io.stdout(`  ${'size'.padEnd(8)}${BACKENDS.map((b) => b.padStart(10)).join('')}\n`);
			for (const size of ['tiny', 'medium'] as const) {
				const p = (score.models[size].parameters / 1e6).toFixed(0);
				io.stdout(
					`  ${`${size}`.padEnd(8)}${BACKENDS.map((b) => fmt(score.msPerCandidate[size][b], 1).padStart(10)).join('')}   (${p} M parameters)\n`,
				);
			}
		}
		if (medium && mediumHarness) io.stdout(mediumHarness.formatMediumScoring(medium));
		if (gen) io.stdout(gen.text);
		if (parts.has('selftest')) {
			io.stdout('\nSelf-test training throughput (chosen + rejected tokens per second):\n');
			for (const b of BACKENDS)
				io.stdout(`  ${b.padEnd(7)} ${fmt(selftest[b]).padStart(8)}   ${backendLabels[b] ?? ''}\n`);
		}
		if (Object.keys(notes).length) {
			io.stdout('\nNotes:\n');
			for (const [k, v] of Object.entries(notes)) io.stdout(`  ${k}: ${v}\n`);
		}
		if (Object.keys(pending).length) {
			io.stdout('\nNot measured:\n');
			for (const [k, v] of Object.entries(pending)) io.stdout(`  ${k}: ${v}\n`);
		}
		return 0;
	},
};

import { cpus, platform, release, totalmem } from 'node:os';
import { BACKENDS, type BackendName, getTf, initBackend } from '../../lib/dph/backend.ts';
import { benchLandscape, formatLandscapeBench } from '../../lib/dph/bench/landscape.ts';
import { runSelfTest } from '../../lib/dph/selftest.ts';
import { resolveTrainConfig } from '../../lib/dph/train/config.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';

/**
 * Tokens per second of full DPH training steps (forward, reference model, backward, LaProp) for a model preset.
 * The first step compiles kernels and is not timed.
 */
async function trainThroughput(backend: BackendName, modelPreset: 'nano' | 'tiny', steps: number, batchSize: number) {
	await initBackend({ prefer: backend });
	const tf = await getTf();
	const cfg = resolveTrainConfig({
		steps: steps + 2,
		batchSize,
		model: { preset: modelPreset },
		data: { trainPairs: 64, validationPairs: 8 },
		optim: { warmupSteps: 1 },
	});
	const t = new DPHTrainer(tf, cfg);
	try {
		await t.step();
		let tokens = 0;
		let ms = 0;
		for (let i = 0; i < steps; i++) {
			const m = await t.step();
			tokens += (m.tokensPerSecond * m.ms) / 1000;
			ms += m.ms;
		}
		return (tokens * 1000) / ms;
	} finally {
		t.dispose();
	}
}

import { type CliCommand, flag } from '../args.ts';

/** What the benchmark table will also hold once the features it measures exist (see docs/ROADMAP.md). */
const PENDING = {
	safetensors_mb_per_s: 'needs the safetensors reader (Checkpoints issue)',
	safetensors_peak_rss_ratio: 'needs the safetensors reader (Checkpoints issue)',
	score_ms_per_candidate: 'needs scoring (Checkpoints issue)',
};

export const benchCommand: CliCommand = {
	name: 'bench',
	summary: 'the performance table of docs/BENCHMARKS.md: landscape grids and training throughput per backend',
	usage: 'dph bench [--json] [--quick]',
	help: `Measures, in one run and side by side:
  - landscape: loss + gradient grids at 256² and 1024² (SepDPH, ConDPH), structured vs a naive per-cell loop
  - self-test training throughput (tokens/s) of a small reward model on webgpu, wasm and cpu
Options:
  --json    print one JSON object on stdout
  --quick   fewer repetitions (for CI smoke runs)`,
	options: { json: { type: 'boolean' }, quick: { type: 'boolean' } },
	async run(args, io) {
		const quick = flag(args, 'quick');
		const log = (s: string) => {
			if (!flag(args, 'json')) io.stderr(s);
		};
		const cpu = cpus();
		const machine = `${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · ${platform()} ${release()} · Node ${process.version}`;
		log(`machine: ${machine}\nlandscape…\n`);
		const rows = benchLandscape(quick ? { reps: 20, sizes: [256, 1024], warmup: 5 } : {});
		const at = (n: number, loss: string, method: string) =>
			rows.find((r) => r.n === n && r.loss === loss && r.method === method)?.medianMs ?? Number.NaN;

		const batch = 16;
		const seqLen = 32;
		const throughput: Record<string, number | null> = {};
		const notes: Record<string, string> = {};
		for (const backend of BACKENDS) {
			log(`self-test training on ${backend}…\n`);
			try {
				// SwiftShader WebGPU runs kernels on the CPU: a few steps suffice to measure it.
				const steps = backend === 'webgpu' ? (quick ? 3 : 6) : quick ? 8 : 30;
				const r = await runSelfTest({ backend: backend as BackendName, steps, batch, seqLen, vocab: 64, dim: 32 });
				throughput[backend] = (2 * batch * seqLen * 1000) / r.msPerStep;
				notes[backend] = r.label;
			} catch (e) {
				throughput[backend] = null;
				notes[backend] = `unavailable: ${(e as Error).message}`;
			}
		}
		const trainTput: Record<string, number | null> = {};
		for (const backend of BACKENDS) {
			log(`tiny-preset training on ${backend}…\n`);
			try {
				// SwiftShader runs WebGPU kernels on the CPU: one small timed step is all it can afford here.
				// --quick (CI smoke) uses the nano preset so the run stays short.
				const model = quick ? 'nano' : 'tiny';
				trainTput[backend] =
					backend === 'webgpu'
						? await trainThroughput('webgpu', model, 1, 2)
						: await trainThroughput(backend as BackendName, model, quick ? 1 : 3, quick ? 4 : 16);
			} catch (e) {
				trainTput[backend] = null;
				notes[`train_${backend}`] = `unavailable: ${(e as Error).message}`;
			}
		}
		const result = {
			machine,
			train_tokens_per_s: trainTput,
			train_model: 'LSWT tiny preset (~1.1M parameters, swiglu_bert pooler), joint cDPO + SepDPH, LaProp; echo task',
			landscape_256_ms: { sepdph: at(256, 'sepdph', 'structured'), condph: at(256, 'condph', 'structured') },
			landscape_1024_ms: { sepdph: at(1024, 'sepdph', 'structured'), condph: at(1024, 'condph', 'structured') },
			landscape_naive_256_ms: { sepdph: at(256, 'sepdph', 'naive'), condph: at(256, 'condph', 'naive') },
			selftest_tokens_per_s: throughput,
			selftest_model: `embedding ${64}×${32} → mean pool → tanh pooler → reward head, ConDPH, batch ${batch} pairs × ${seqLen} tokens`,
			backends: notes,
			pending: PENDING,
		};
		if (flag(args, 'json')) {
			io.stdout(`${JSON.stringify(result)}\n`);
			return 0;
		}
		io.stdout(`Machine: ${machine}\n\nLandscape (median of repeated runs, one core):\n${formatLandscapeBench(rows)}\n`);
		io.stdout('DPH training throughput, tiny preset (tokens per second, reference model included):\n');
		for (const b of BACKENDS) {
			const t = trainTput[b];
			io.stdout(`  ${b.padEnd(7)} ${t === null ? '—' : `${t.toFixed(0)} tokens/s`.padStart(16)}\n`);
		}
		io.stdout('\nSelf-test training throughput (chosen + rejected tokens per second):\n');
		for (const b of BACKENDS) {
			const t = throughput[b];
			io.stdout(`  ${b.padEnd(7)} ${t === null ? '—' : `${t.toFixed(0)} tokens/s`.padStart(16)}   ${notes[b]}\n`);
		}
		io.stdout('\nNot measured yet:\n');
		for (const [k, v] of Object.entries(PENDING)) io.stdout(`  ${k}: ${v}\n`);
		return 0;
	},
};

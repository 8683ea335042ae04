import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getTf, initBackend } from '../../lib/dph/backend.ts';
import {
	DEFAULT_TRAIN_CONFIG,
	resolveTrainConfig,
	TRAIN_PRESETS,
	type TrainConfig,
} from '../../lib/dph/train/config.ts';
import { DPHTrainer, type EvalMetrics } from '../../lib/dph/train/trainer.ts';
import { backendArg, type CliCommand, headlessBackend, num, str, UsageError } from '../args.ts';
import { bar, seconds } from '../progress.ts';

export const trainCommand: CliCommand = {
	name: 'train',
	summary: 'train a small DPH model (LSWT + pooler + reward head, joint cDPO + DPH) and write a checkpoint folder',
	usage:
		'dph train [config.json] [--preset sepdph-demo|condph-demo] [--steps N] [--backend webgpu|wasm|cpu] [--seed S] [--out DIR] [--json]',
	help: `Trains on the built-in synthetic task (or the JSONL named in the config) and writes a Hugging Face–layout
folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) plus metrics.jsonl.
Progress goes to stderr; the last line on stdout is one JSON object with validation metrics.
Options:
  config.json       training options (see docs/TRAINING.md); merged over the preset
  --preset NAME     sepdph-demo (default) or condph-demo
  --steps N         optimizer steps
  --backend NAME    webgpu, wasm or cpu (default: a GPU if WebGPU has one, else wasm; a software
                    WebGPU adapter such as SwiftShader is slower than wasm and is passed over)
  --seed S          random seed (data, initialisation, dropout)
  --out DIR         checkpoint folder (default runs/<preset>-seed<S>)
  --json            print only the final JSON object on stdout`,
	options: {
		preset: { type: 'string' },
		steps: { type: 'string' },
		backend: { type: 'string' },
		seed: { type: 'string' },
		out: { type: 'string' },
		json: { type: 'boolean' },
	},
	async run(args, io) {
		const presetName = str(args, 'preset') ?? 'sepdph-demo';
		const makePreset = TRAIN_PRESETS[presetName];
		if (!makePreset)
			throw new UsageError(`--preset must be one of ${Object.keys(TRAIN_PRESETS).join(', ')}, got "${presetName}"`);
		const backend = backendArg(args);
		let raw: Record<string, unknown> = {};
		const file = args.positionals[0];
		if (file) {
			let text: string;
			try {
				text = readFileSync(file, 'utf8');
			} catch (e) {
				throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
			}
			try {
				raw = JSON.parse(text) as Record<string, unknown>;
			} catch (e) {
				throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
			}
		}
		const steps = num(args, 'steps');
		const seed = num(args, 'seed');
		if (steps !== undefined) {
			raw.steps = steps;
			// A short run keeps a proportionate warm-up unless the config sets one.
			const optim = (raw.optim ?? {}) as Record<string, unknown>;
			if (optim.warmupSteps === undefined) {
				raw.optim = { ...optim, warmupSteps: Math.min(DEFAULT_TRAIN_CONFIG.optim.warmupSteps, Math.floor(steps / 10)) };
			}
		}
		if (seed !== undefined) raw.seed = seed;
		let cfg: TrainConfig;
		try {
			cfg = resolveTrainConfig(raw, makePreset(DEFAULT_TRAIN_CONFIG));
		} catch (e) {
			throw new UsageError(`${file ?? 'config'}: ${(e as Error).message}`);
		}
		const out = resolve(str(args, 'out') ?? join('runs', `${presetName}-seed${cfg.seed}`));
		const report = await initBackend(headlessBackend(backend));
		const tf = await getTf();
		const log = (s: string) => io.stderr(s);
		const trainer = new DPHTrainer(tf, cfg);
		log(
			`dph train: ${presetName} on ${report.label} · ${cfg.model.preset} model (${trainer.parameterCount.toLocaleString('en')} parameters, ${cfg.model.pooler} pooler) · ` +
				`${cfg.objective.dph} ε=${cfg.objective.dphEps}, cDPO β=${cfg.objective.beta} ε=${cfg.objective.dpoEps} · task ${cfg.data.task} · ${cfg.steps} steps\n`,
		);
		mkdirSync(out, { recursive: true });
		const metricsLines: string[] = [];
		const t0 = performance.now();
		let tokens = 0;
		let last: EvalMetrics | null = null;
		try {
			for (let i = 0; i < cfg.steps; i++) {
				const m = await trainer.step();
				tokens += (m.tokensPerSecond * m.ms) / 1000;
				metricsLines.push(JSON.stringify({ kind: 'train', ...m }));
				const elapsed = (performance.now() - t0) / 1000;
				const eta = (elapsed / m.step) * (cfg.steps - m.step);
				const line = `${bar(m.step, cfg.steps)} ${m.step}/${cfg.steps} loss ${m.loss.toFixed(3)} acc ${m.dphAccuracy.toFixed(2)} r_w ${m.rewardChosen.toFixed(2)} r_l ${m.rewardRejected.toFixed(2)} · ${seconds(elapsed)} elapsed, ${seconds(eta)} left`;
				if (io.isTTY) log(`\r${line}\x1b[K`);
				else if (m.step % Math.max(1, Math.floor(cfg.steps / 10)) === 0 || m.step === cfg.steps) log(`${line}\n`);
				if (m.step % cfg.evalEvery === 0 || m.step === cfg.steps) {
					last = await trainer.evaluate();
					metricsLines.push(JSON.stringify({ kind: 'validation', ...last }));
				}
			}
		} finally {
			if (io.isTTY) log('\n');
			const files = await trainer.export();
			for (const [name, data] of Object.entries(files)) writeFileSync(join(out, name), data);
			writeFileSync(join(out, 'metrics.jsonl'), `${metricsLines.join('\n')}\n`);
			writeFileSync(
				join(out, 'training_config.json'),
				`${JSON.stringify({ ...cfg, data: { ...cfg.data, jsonl: undefined } }, null, 2)}\n`,
			);
			trainer.dispose();
		}
		// The loop validates at its last step, so a finished run always has metrics (the trainer is disposed now).
		const v = last;
		if (!v) throw new Error('training finished without a validation pass');
		const summary = {
			backend: report.backend,
			steps: cfg.steps,
			loss_dph: v.dphLoss,
			loss_dpo: v.dpoLoss,
			dph_accuracy: v.dphAccuracy,
			logprob_accuracy: v.logprobAccuracy,
			reward_chosen: v.rewardChosen,
			reward_rejected: v.rewardRejected,
			margin: v.margin,
			tokens_per_s: (tokens * 1000) / (performance.now() - t0),
			checkpoint: out,
		};
		log(`checkpoint written to ${out}\n`);
		io.stdout(`${JSON.stringify(summary)}\n`);
		return 0;
	},
};

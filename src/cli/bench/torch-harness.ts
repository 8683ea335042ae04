/**
 * `dph bench --part torch`: the workbench's DPH training step side by side with the same step in PyTorch
 * (scripts/bench/torch_dph_step.py), same model dimensions and batch shape, measured in one run so the ratio
 * means something on a loaded machine. Rounds alternate (workbench, PyTorch, workbench, PyTorch) so a change in
 * load hits both. Runs only where a `python3` with `torch` is found; otherwise the caller records why in `notes`.
 */
import { fileURLToPath } from 'node:url';
import { type BackendName, getTf, initBackend } from '../../lib/dph/backend.ts';
import type { PreferencePair } from '../../lib/dph/data/index.ts';
import { resolveTrainConfig, type TrainConfig } from '../../lib/dph/train/config.ts';
import { loadRunData, pairBatch } from '../../lib/dph/train/dataset.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';
import { runChild, runChildJson } from './child.ts';

export const TORCH_SCRIPT = fileURLToPath(new URL('../../../scripts/bench/torch_dph_step.py', import.meta.url));

/** What the PyTorch script prints. */
export interface TorchStepReport {
	torch: string;
	blas: string | null;
	shape: { rows: number; seq: number; vocab: number; d_model: number; layers: number };
	parameters: number;
	threads: Record<string, { median_ms: number; step_ms: number[]; median_cpu_ms: number; step_cpu_ms: number[] }>;
}

export interface TorchBench {
	python: string;
	torch: string;
	model: 'nano' | 'tiny';
	/** rows × tokens of every batch (chosen + rejected rows). */
	shape: { rows: number; seq: number; vocab: number };
	parameters: number;
	/**
	 * Median ms of a full step (policy forward, backward, clipping, LaProp) over the timed steps that took the frozen
	 * reference's sums from the cache (train/reference-sums.ts): a run's steady state after its first epoch. Every
	 * timed step when none did (--quick).
	 */
	workbenchMs: number;
	/** Median ms of the timed steps that ran the reference forward too (a run's first epoch); null when none did. */
	workbenchFirstEpochMs: number | null;
	workbenchBackend: BackendName;
	torchMs: { threads1: number; threads2: number | null };
	/** workbench ÷ PyTorch on one thread: the issue's goal is ≤ 2. PyTorch (like the reference) runs the reference every step. */
	ratio: number;
	/** The same for the first epoch's steps; null when none was timed. */
	firstEpochRatio: number | null;
	/**
	 * The same in CPU time (process.cpuUsage, Python's process_time): on a machine shared with other work, wall
	 * times stretch with the load and the two sides are not hit alike; CPU time is much steadier.
	 */
	cpu: { workbenchMs: number; torchMs: number; ratio: number };
	rounds: {
		workbenchStepMs: number[];
		workbenchStepCpuMs: number[];
		/** Per step: its reference sums came from the cache. */
		workbenchStepCached: boolean[];
		torch: TorchStepReport;
	}[];
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The first interpreter that imports torch: $DPH_PYTHON, then `python3` on the PATH, then Debian's /usr/bin/python3
 * (where apt's python3-torch lives even when a pyenv or venv python3 comes first on the PATH). Null, with what was
 * tried, when none does.
 */
export async function findTorchPython(): Promise<{ python: string | null; tried: string[] }> {
	const candidates = [process.env.DPH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
	const tried: string[] = [];
	for (const py of [...new Set(candidates)]) {
		const r = await runChild(py, ['-c', 'import torch']);
		if (r.code === 0) return { python: py, tried };
		tried.push(`${py}: ${r.code === null ? r.err : (r.err.trim().split('\n').pop() ?? `exit ${r.code}`)}`);
	}
	return { python: null, tried };
}

/**
 * PyTorch at n intra-op threads, each count in its own process: Debian's pthread OpenBLAS starts a thread per core
 * at load and ignores torch.set_num_threads, so a "one thread" run would still multiply on every core (measured
 * here: 165 ms wall for 329 ms of CPU). OPENBLAS_NUM_THREADS pins it to the count asked for.
 */
const torchSteps = (python: string, args: string[], threads: number) =>
	runChildJson<TorchStepReport>(python, [TORCH_SCRIPT, ...args, '--threads', String(threads)], TORCH_SCRIPT, {
		OPENBLAS_NUM_THREADS: String(threads),
	});

/** The padded shape of the run's training batches: the PyTorch side gets the longest, so it never does less work. */
function batchShape(cfg: TrainConfig, t: DPHTrainer): { rows: number; seq: number } {
	const { train } = loadRunData(cfg, t.tokenizer);
	let seq = 0;
	let rows = 0;
	for (let i = 0; i + cfg.batchSize <= train.length; i += cfg.batchSize) {
		const b = pairBatch(t.tokenizer, train.slice(i, i + cfg.batchSize) as PreferencePair[], cfg);
		seq = Math.max(seq, b.length);
		rows = b.rows;
	}
	return { rows, seq };
}

export async function benchTorchSideBySide(opts: {
	python: string;
	quick: boolean;
	backend?: BackendName;
	log?: (s: string) => void;
}): Promise<TorchBench> {
	const backend = opts.backend ?? 'wasm';
	const model = opts.quick ? 'nano' : 'tiny';
	const batchSize = opts.quick ? 4 : 16;
	const stepsPerRound = opts.quick ? 2 : 5;
	const roundsN = opts.quick ? 1 : 2;
	await initBackend({ prefer: backend });
	const tf = await getTf();
	const cfg = resolveTrainConfig({
		steps: 100,
		batchSize,
		model: { preset: model },
		data: { trainPairs: 64, validationPairs: 8 },
		optim: { warmupSteps: 1 },
	});
	const t = new DPHTrainer(tf, cfg);
	try {
		const c = t.modelConfig;
		const { rows, seq } = batchShape(cfg, t);
		const args = [
			...['--vocab', c.vocab_size, '--d-vocab', c.d_vocab, '--d-model', c.d_model, '--d-ffn', c.d_ffn],
			...['--heads', c.n_heads, '--layers', c.n_layers, '--pairs', rows / 2, '--seq', seq],
			...['--rope-base', c.rope_base_freq, '--dropout', c.reward_dropout, '--steps', opts.quick ? 2 : 6],
		].map(String);
		await t.step(); // kernel compilation and the wasm heap's growth: not timed
		const rounds: TorchBench['rounds'] = [];
		let torch: TorchStepReport | null = null;
		for (let r = 0; r < roundsN; r++) {
			opts.log?.(`train step side by side, round ${r + 1}/${roundsN}: ${backend}…\n`);
			const ms: number[] = [];
			const cpuMs: number[] = [];
			const cached: boolean[] = [];
			for (let i = 0; i < stepsPerRound; i++) {
				const [c0, hits] = [process.cpuUsage(), t.refSums.hits];
				ms.push((await t.step()).ms);
				const c = process.cpuUsage(c0);
				cpuMs.push((c.user + c.system) / 1000);
				cached.push(t.refSums.hits > hits);
			}
			opts.log?.(`train step side by side, round ${r + 1}/${roundsN}: PyTorch…\n`);
			torch = await torchSteps(opts.python, args, 1);
			if (r === 0 && !opts.quick) {
				const two = await torchSteps(opts.python, args, 2);
				torch = { ...torch, threads: { ...torch.threads, ...two.threads } };
			}
			rounds.push({ workbenchStepMs: ms, workbenchStepCpuMs: cpuMs, workbenchStepCached: cached, torch });
		}
		if (!torch) throw new Error('no round ran');
		if (torch.parameters !== t.parameterCount)
			throw new Error(
				`the PyTorch model has ${torch.parameters} parameters, the workbench's ${t.parameterCount}: the script no longer builds the same model`,
			);
		const pick = (key: 'workbenchStepMs' | 'workbenchStepCpuMs', hit: boolean) =>
			rounds.flatMap((r) => r[key].filter((_, i) => r.workbenchStepCached[i] === hit));
		const anyHit = rounds.some((r) => r.workbenchStepCached.some(Boolean));
		const steady = (key: 'workbenchStepMs' | 'workbenchStepCpuMs') =>
			median(anyHit ? pick(key, true) : rounds.flatMap((r) => r[key]));
		const workbenchMs = steady('workbenchStepMs');
		const firstEpoch = pick('workbenchStepMs', false);
		const workbenchFirstEpochMs = firstEpoch.length ? median(firstEpoch) : null;
		const t1 = median(rounds.flatMap((r) => r.torch.threads['1']?.step_ms ?? []));
		const t2s = rounds.flatMap((r) => r.torch.threads['2']?.step_ms ?? []);
		const cpuW = steady('workbenchStepCpuMs');
		const cpuT = median(rounds.flatMap((r) => r.torch.threads['1']?.step_cpu_ms ?? []));
		return {
			python: opts.python,
			torch: torch.torch,
			model,
			shape: { rows, seq, vocab: c.vocab_size },
			parameters: t.parameterCount,
			workbenchMs,
			workbenchFirstEpochMs,
			workbenchBackend: backend,
			torchMs: { threads1: t1, threads2: t2s.length ? median(t2s) : null },
			ratio: workbenchMs / t1,
			firstEpochRatio: workbenchFirstEpochMs === null ? null : workbenchFirstEpochMs / t1,
			cpu: { workbenchMs: cpuW, torchMs: cpuT, ratio: cpuW / cpuT },
			rounds,
		};
	} finally {
		t.dispose();
	}
}

export function formatTorchBench(b: TorchBench): string {
	const f = (v: number | null) => (v === null ? '—' : v.toFixed(0));
	return [
		`Training step side by side, ${b.model} preset, ${b.shape.rows} rows × ${b.shape.seq} tokens, vocab ${b.shape.vocab} (ms per step, median):`,
		`  workbench (${b.workbenchBackend}, one thread) ${f(b.workbenchMs).padStart(7)}   (reference sums cached: after the first epoch)`,
		`  workbench, first epoch     ${f(b.workbenchFirstEpochMs).padStart(7)}   (the frozen reference's forward too, as PyTorch every step)`,
		`  PyTorch ${b.torch}, 1 thread      ${f(b.torchMs.threads1).padStart(7)}`,
		`  PyTorch ${b.torch}, 2 threads     ${f(b.torchMs.threads2).padStart(7)}`,
		`  ratio workbench ÷ PyTorch 1 thread: ${b.ratio.toFixed(2)}× (goal ≤ 2×); first epoch ${b.firstEpochRatio === null ? '—' : `${b.firstEpochRatio.toFixed(2)}×`}`,
		`  in CPU time: ${f(b.cpu.workbenchMs)} vs ${f(b.cpu.torchMs)} ms, ${b.cpu.ratio.toFixed(2)}× (steadier under load)`,
		'',
	].join('\n');
}

/**
 * The `torch` part of `dph bench`: `train_step_ms` (workbench and PyTorch) and `train_step_ratio_vs_torch`, with the
 * full record under `torch_step`; every figure null with a note in `notes` when there is no PyTorch here.
 */
export async function torchBench(
	quick: boolean,
	log: (s: string) => void,
	notes: Record<string, string>,
): Promise<{ result: Record<string, unknown>; text: string; measured: boolean }> {
	const keys = [
		'train_step_ms.workbench',
		'train_step_ms.workbench_first_epoch',
		'train_step_ms.torch_1_thread',
		'train_step_ms.torch_2_threads',
	];
	const fail = (why: string) => {
		const ratios = [
			'train_step_ratio_vs_torch',
			'train_step_first_epoch_ratio_vs_torch',
			'train_step_cpu_ratio_vs_torch',
		];
		for (const k of [...keys, ...ratios]) notes[k] = why;
		return {
			result: {
				train_step_ms: { workbench: null, workbench_first_epoch: null, torch_1_thread: null, torch_2_threads: null },
				train_step_ratio_vs_torch: null,
				train_step_first_epoch_ratio_vs_torch: null,
				train_step_cpu_ratio_vs_torch: null,
				torch_step: null,
			},
			text: `\nTraining step side by side with PyTorch: ${why}\n`,
			measured: false,
		};
	};
	const { python, tried } = await findTorchPython();
	if (!python)
		return fail(
			`skipped: no python3 with torch (tried ${tried.join('; ')}); on Debian: apt-get install python3-torch libopenblas0-pthread`,
		);
	try {
		const b = await benchTorchSideBySide({ python, quick, log });
		if (b.torchMs.threads2 === null) notes['train_step_ms.torch_2_threads'] = 'not measured with --quick';
		if (b.workbenchFirstEpochMs === null) {
			const why = 'no timed step ran the reference forward';
			notes['train_step_ms.workbench_first_epoch'] = why;
			notes.train_step_first_epoch_ratio_vs_torch = why;
		}
		return {
			result: {
				train_step_ms: {
					workbench: b.workbenchMs,
					workbench_first_epoch: b.workbenchFirstEpochMs,
					torch_1_thread: b.torchMs.threads1,
					torch_2_threads: b.torchMs.threads2,
				},
				train_step_ratio_vs_torch: b.ratio,
				train_step_first_epoch_ratio_vs_torch: b.firstEpochRatio,
				train_step_cpu_ratio_vs_torch: b.cpu.ratio,
				torch_step: b,
			},
			text: `\n${formatTorchBench(b)}`,
			measured: true,
		};
	} catch (e) {
		return fail(`failed: ${(e as Error).message}`);
	}
}

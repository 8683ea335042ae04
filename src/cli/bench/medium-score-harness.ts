/**
 * `dph bench --part medium`: the paper's medium LSWT (MEDIUM_CONFIG, 570 M parameters, 1.14 GB in F16) scored on
 * wasm through the layer-streamed forward, with the process's peak RSS against the F16 file size, and the same
 * call in PyTorch (scripts/bench/torch_score.py, float32, same rows and lengths) when a python3 with torch is found,
 * so the ratio is measured in one run under one load.
 *
 * The call: one item, a 40-token prompt and `candidates` candidates of 128 tokens (CharTokenizer: one token per
 * character), scored in one scoreItems call. The workbench runs the prompt once for all candidates; PyTorch runs
 * every row whole, as a plain scorer does. Wall time and process CPU time are both reported: on a shared machine
 * CPU time is the steadier figure. Peak RSS is the kernel's high-water mark (VmHWM), reset before the load.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getTf, initBackend } from '../../lib/dph/backend';
import { MEDIUM_CONFIG } from '../../lib/dph/bench/checkpoint';
import { loadStreamedCheckpoint } from '../../lib/dph/checkpoint/load-streamed';
import { makeChoiceBatch } from '../../lib/dph/data/batches';
import { CharTokenizer } from '../../lib/dph/data/char-tokenizer';
import type { MultipleChoiceItem } from '../../lib/dph/data/types';
import type { LSWTConfig } from '../../lib/dph/model/config';
import { scoreItems } from '../../lib/dph/score';
import { dirFolder } from '../../node/checkpoint-folder';
import { cachedRandomCheckpoint } from './cached-checkpoint';
import { runChildJson } from './child';
import { findTorchPython } from './torch-harness';

export const TORCH_SCORE_SCRIPT = fileURLToPath(new URL('../../../scripts/bench/torch_score.py', import.meta.url));

const PROMPT = 'Which of these words names a warm color?';

/** `n` distinct 128-character candidates. */
export function mediumItems(n: number, length = 128): MultipleChoiceItem[] {
	const words = 'scarlet amber ochre crimson coral saffron vermilion rust '.repeat(8);
	const candidates = Array.from({ length: n }, (_, i) => `${i}. ${words.slice(i * 7)}`.slice(0, length));
	return [{ messages: [{ role: 'user', content: PROMPT }], candidates }];
}

export interface MediumScoreBench {
	parameters: number;
	fileBytes: number;
	shape: { candidates: number; promptTokens: number; candidateTokens: number; seqLen: number; scoredPerRow: number };
	wasm: {
		callMs: number[];
		cpuMs: number[];
		msPerCandidate: number;
		cpuMsPerCandidate: number;
		loadSeconds: number;
		baselineRss: number;
		peakRss: number;
		/** peak RSS (whole process) / F16 file bytes; the goal is ≤ 1.5. */
		peakRssPerFileBytes: number;
		tensorGrowth: number;
	} | null;
	torch: {
		python: string;
		torch: string;
		threads: number;
		callMs: number[];
		cpuMs: number[];
		msPerCandidate: number;
		cpuMsPerCandidate: number;
	} | null;
	/** workbench / PyTorch, wall time and CPU time per candidate (null without PyTorch). */
	ratio: { wall: number; cpu: number } | null;
	notes: string[];
}

const cpuMs = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};

/** The kernel's peak RSS of this process (bytes), after `reset` clears it (Linux; null elsewhere). */
function highWater(reset = false): number | null {
	try {
		if (reset) writeFileSync('/proc/self/clear_refs', '5');
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		return m ? Number(m[1]) * 1024 : null;
	} catch {
		return null;
	}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function benchMediumScoring(
	opts: { candidates?: number; calls?: number; config?: LSWTConfig; torch?: boolean; log?: (s: string) => void } = {},
): Promise<MediumScoreBench> {
	const log = opts.log ?? (() => {});
	const config = opts.config ?? MEDIUM_CONFIG;
	const n = opts.candidates ?? 4;
	const calls = Math.max(1, opts.calls ?? 2);
	const items = mediumItems(n);
	const tok = new CharTokenizer();
	const b = makeChoiceBatch(tok, items);
	let scored = 0;
	for (const m of b.evalMask) scored += m > 0 ? 1 : 0;
	const shape = {
		candidates: n,
		promptTokens: PROMPT.length,
		candidateTokens: items[0].candidates[0].length,
		seqLen: b.length,
		scoredPerRow: Math.round(scored / n),
	};
	const dir = await cachedRandomCheckpoint(opts.config ? 'custom' : 'medium', config, { log });
	const notes: string[] = [];
	const out: MediumScoreBench = { parameters: 0, fileBytes: 0, shape, wasm: null, torch: null, ratio: null, notes };
	await initBackend({ prefer: 'wasm' });
	const tf = await getTf();
	highWater(true);
	const baselineRss = process.memoryUsage().rss;
	log(`medium scoring: loading ${dir} (kept F16, streamed one weight at a time)…\n`);
	const ck = await loadStreamedCheckpoint(await dirFolder(dir));
	out.parameters = ck.card.parameters;
	out.fileBytes = ck.card.fileBytes;
	try {
		const before = tf.memory().numTensors;
		const callMs: number[] = [];
		const cpu: number[] = [];
		for (let i = 0; i < calls; i++) {
			log(`medium scoring: call ${i + 1}/${calls} on wasm (${n} candidates)…\n`);
			const t0 = performance.now();
			const c0 = cpuMs();
			await scoreItems(tf, ck, items);
			callMs.push(performance.now() - t0);
			cpu.push(cpuMs() - c0);
		}
		const peak = highWater() ?? process.memoryUsage().rss;
		if (highWater() === null) notes.push('peak RSS sampled after the calls (no /proc/self/status here)');
		out.wasm = {
			callMs,
			cpuMs: cpu,
			msPerCandidate: median(callMs) / n,
			cpuMsPerCandidate: median(cpu) / n,
			loadSeconds: ck.seconds,
			baselineRss,
			peakRss: peak,
			peakRssPerFileBytes: peak / ck.card.fileBytes,
			tensorGrowth: tf.memory().numTensors - before,
		};
	} finally {
		ck.dispose();
	}
	if (opts.torch === false) {
		notes.push('PyTorch side-by-side not run (--quick)');
		return out;
	}
	const { python, tried } = await findTorchPython();
	if (!python) {
		notes.push(
			`PyTorch side-by-side not run: no python3 with torch (${tried.join('; ')}); apt-get install python3-torch libopenblas0-pthread`,
		);
		return out;
	}
	log('medium scoring: the same call in PyTorch (one thread, like single-thread wasm)…\n');
	const c = config;
	const r = await runChildJson<{ torch: string; threads: number; call_ms: number[]; cpu_ms: number[] }>(
		python,
		[
			TORCH_SCORE_SCRIPT,
			...['--vocab', c.vocab_size, '--d-vocab', c.d_vocab, '--d-model', c.d_model, '--d-ffn', c.d_ffn].map(String),
			...['--heads', c.n_heads, '--layers', c.n_layers, '--rows', n, '--seq-len', b.length].map(String),
			...['--scored', shape.scoredPerRow, '--calls', calls, '--threads', 1].map(String),
		],
		TORCH_SCORE_SCRIPT,
		// Debian's pthread OpenBLAS ignores torch.set_num_threads and multiplies on every core unless pinned.
		{ OPENBLAS_NUM_THREADS: '1' },
	);
	out.torch = {
		python,
		torch: r.torch,
		threads: r.threads,
		callMs: r.call_ms,
		cpuMs: r.cpu_ms,
		msPerCandidate: median(r.call_ms) / n,
		cpuMsPerCandidate: median(r.cpu_ms) / n,
	};
	if (out.wasm) {
		out.ratio = {
			wall: out.wasm.msPerCandidate / out.torch.msPerCandidate,
			cpu: out.wasm.cpuMsPerCandidate / out.torch.cpuMsPerCandidate,
		};
	}
	return out;
}

export function formatMediumScoring(m: MediumScoreBench): string {
	const s = m.shape;
	const f = (x: number) => (x / 1000).toFixed(2);
	let t = `\nThe paper's checkpoint on a CPU (${(m.parameters / 1e6).toFixed(0)} M parameters, ${(m.fileBytes / 1e9).toFixed(2)} GB F16; one call: ${s.candidates} candidates × ${s.candidateTokens} tokens after a ${s.promptTokens}-token prompt, rows ${s.seqLen} tokens):\n`;
	if (m.wasm) {
		t += `  wasm, layer-streamed   ${f(m.wasm.msPerCandidate)} s per candidate (CPU ${f(m.wasm.cpuMsPerCandidate)} s) · peak RSS ${(m.wasm.peakRss / 1e9).toFixed(2)} GB = ${m.wasm.peakRssPerFileBytes.toFixed(2)}× the F16 file · load ${m.wasm.loadSeconds.toFixed(1)} s\n`;
	}
	if (m.torch) {
		t += `  PyTorch ${m.torch.torch}, ${m.torch.threads} thread   ${f(m.torch.msPerCandidate)} s per candidate (CPU ${f(m.torch.cpuMsPerCandidate)} s)\n`;
	}
	if (m.ratio) t += `  ratio wasm / PyTorch: ${m.ratio.wall.toFixed(2)}× wall, ${m.ratio.cpu.toFixed(2)}× CPU time\n`;
	for (const n of m.notes) t += `  note: ${n}\n`;
	return t;
}

/**
 * The medium bench in a fresh Node process (`dph bench --part medium --json`), so its peak RSS holds only this
 * model and not the wasm heap the other parts grew (it never shrinks).
 */
export function benchMediumScoringInChild(quick: boolean): Promise<MediumScoreBench> {
	const bin = fileURLToPath(new URL('../../../bin/dph.mjs', import.meta.url));
	const args = [bin, 'bench', '--part', 'medium', '--json', ...(quick ? ['--quick'] : [])];
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
		let out = '';
		child.stdout.on('data', (d: Buffer) => {
			out += d.toString();
		});
		child.on('error', reject);
		child.on('close', (code) => {
			try {
				const j = JSON.parse(out.trim().split('\n').pop() ?? '') as { medium_score?: MediumScoreBench | null };
				if (!j.medium_score) throw new Error(`exit ${code}, no medium_score in its output`);
				resolve(j.medium_score);
			} catch (e) {
				reject(new Error(`the medium bench process printed no result: ${(e as Error).message}`));
			}
		});
	});
}

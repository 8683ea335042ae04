import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { capture } from './capture';

const BACKENDS = ['webgpu', 'wasm', 'cpu'];

/** Every number under `value`, with its path (a.b.c): the schema check walks them all. */
function numbers(value: unknown, path: string, out: [string, number | null][] = []): [string, number | null][] {
	if (value === null || typeof value === 'number') out.push([path, value]);
	else if (typeof value === 'object' && !Array.isArray(value)) {
		for (const [k, v] of Object.entries(value as Record<string, unknown>)) numbers(v, path ? `${path}.${k}` : k, out);
	}
	return out;
}

describe('dph bench', () => {
	it('--quick --json prints the benchmark table as one object: every figure finite and positive, or null with a note', async () => {
		const io = capture();
		expect(await main(['bench', '--quick', '--json'], io), io.err).toBe(0);
		const j = JSON.parse(io.out);

		expect(j.machine).toMatch(/cores/);
		expect(j.machine).toMatch(/Node v\d+/);
		for (const k of ['cpu', 'cores', 'memory_gib', 'os', 'node', 'webgpu_adapter'])
			expect(j.machine_info).toHaveProperty(k);

		const table = {
			landscape_256_ms: j.landscape_256_ms,
			landscape_naive_256_ms: j.landscape_naive_256_ms,
			train_tokens_per_s: j.train_tokens_per_s,
			selftest_tokens_per_s: j.selftest_tokens_per_s,
			safetensors_mb_per_s: j.safetensors_mb_per_s,
			safetensors_peak_rss_ratio: j.safetensors_peak_rss_ratio,
			score_ms_per_candidate: j.score_ms_per_candidate,
			heads_cache_speedup: j.heads_cache_speedup,
		};
		for (const k of ['train_tokens_per_s', 'selftest_tokens_per_s'])
			expect(Object.keys(j[k]).sort()).toEqual([...BACKENDS].sort());
		for (const size of ['tiny', 'medium'])
			expect(Object.keys(j.score_ms_per_candidate[size]).sort()).toEqual([...BACKENDS].sort());
		const figures = numbers(table, '');
		expect(figures.length).toBeGreaterThanOrEqual(4 + 3 + 3 + 2 + 6);
		for (const [path, v] of figures) {
			if (v === null) expect(j.notes[path], `${path} is null without a note`).toMatch(/\S/);
			else {
				expect(Number.isFinite(v), path).toBe(true);
				expect(v, path).toBeGreaterThan(0);
			}
		}
		// What this machine can always measure is measured, not skipped.
		expect(j.safetensors_mb_per_s).not.toBeNull();
		expect(j.score_ms_per_candidate.tiny.wasm).not.toBeNull();
		expect(j.score_ms_per_candidate.tiny.cpu).not.toBeNull();
		expect(j.notes['score_ms_per_candidate.medium.wasm']).toMatch(/--quick/);
		expect(j.safetensors_peak_rss_ratio_definition).toMatch(/peak RSS/);
		expect(j.safetensors_load.model).toBe('nano');
		expect(j.safetensors_load.tensors).toBeGreaterThan(10);
		// The medium part ran its path (nano with --quick) through the layer-streamed forward.
		expect(j.medium_score.wasm.msPerCandidate).toBeGreaterThan(0);
		expect(j.medium_score.wasm.tensorGrowth).toBe(0);
		expect(j.medium_score.wasm.peakRss).toBeGreaterThan(j.medium_score.fileBytes);
		// Scoring leaves no tensors behind.
		for (const [k, run] of Object.entries(j.score.runs as Record<string, { tensorGrowth: number }>))
			expect(run.tensorGrowth, k).toBe(0);
		// Generation (--quick: nano on wasm): measured, no leak, the two greedy decoders agree on every token.
		for (const k of ['generate_tokens_per_s', 'generate_batch_tokens_per_s', 'generate_cache_speedup']) {
			for (const b of BACKENDS) {
				const v = j[k][b];
				if (v === null) expect(j.notes[`${k}.${b}`], `${k}.${b}`).toMatch(/\S/);
				else expect(Number.isFinite(v) && v > 0, `${k}.${b}`).toBe(true);
			}
		}
		expect(j.generate_tokens_per_s.wasm).not.toBeNull();
		expect(j.generate.runs.wasm.tensorGrowth).toBe(0);
		expect(j.generate.runs.wasm.agreeTokens).toBe(64);

		// The bench reports how much faster the structured landscape is; the unit suite never compares wall clocks
		// (tests/lib/dph/bench/landscape.test.ts checks that both paths compute the same numbers).
		for (const loss of ['sepdph', 'condph']) expect(j.landscape_speedup_256[loss], loss).toBeGreaterThan(0);

		// Cached and uncached heads training are the same run (tests/lib/dph/train/cached-heads.test.ts checks it).
		expect(Math.abs(j.heads_cache.cached.finalLoss - j.heads_cache.uncached.finalLoss)).toBeLessThan(1e-4);

		// The PyTorch side-by-side: measured where torch is installed, else null with the reason
		// (tests/cli/bench/torch-harness.test.ts checks the two sides build the same model).
		for (const k of ['workbench', 'workbench_first_epoch', 'torch_1_thread', 'torch_2_threads']) {
			const v = j.train_step_ms[k];
			if (v === null) expect(j.notes[`train_step_ms.${k}`], k).toMatch(/\S/);
			else expect(Number.isFinite(v) && v > 0, k).toBe(true);
		}

		// Nothing that is now measured is still listed as pending.
		for (const k of Object.keys(j.pending ?? {})) expect(k).not.toMatch(/safetensors|score/);
		// The whole quick bench (every backend, a scratch checkpoint) runs here: ~90 s on a busy 2-core machine.
	}, 300_000);

	it('--part runs only the named parts; an unknown part is a usage error', async () => {
		const io = capture();
		expect(await main(['bench', '--quick', '--json', '--part', 'landscape'], io), io.err).toBe(0);
		const j = JSON.parse(io.out);
		expect(j.landscape_256_ms.sepdph).toBeGreaterThan(0);
		expect(j).not.toHaveProperty('train_tokens_per_s');
		expect(j).not.toHaveProperty('score_ms_per_candidate');
		const bad = capture();
		expect(await main(['bench', '--part', 'landscape,nope'], bad)).toBe(2);
		expect(bad.err).toMatch(/--part must be a comma-separated list of .*got "nope"/);
	});
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTf, initBackend, type TF } from '../../../../src/lib/dph/backend';
import { MemoryResultsStore, type RunResult } from '../../../../src/lib/dph/sweep/results';
import { runSweep, type SweepProgress, SweepResumeError } from '../../../../src/lib/dph/sweep/runner';
import { loadSweep } from '../../../../src/lib/dph/sweep/spec';
import { JsonlResultsStore } from '../../../../src/node/results-jsonl';

let tf: TF;
beforeAll(async () => {
	await initBackend({ prefer: 'cpu' });
	tf = await getTf();
});

/** Nano model, 2 steps, a handful of pairs: a run takes about a second on the cpu backend. */
const base = {
	steps: 2,
	batchSize: 2,
	evalEvery: 2,
	optim: { warmupSteps: 0 },
	data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
};
const spec = { name: 'resume', base, grid: { seed: [1, 2, 3] } };

/** What must not depend on interruptions: everything but the wall-clock time. */
const stable = (rs: RunResult[]) => rs.map(({ seconds, ...r }) => r);

describe('sweep runner', () => {
	it('resumes an interrupted sweep: only the remaining runs execute and the results equal an uninterrupted sweep', async () => {
		const sweep = loadSweep(spec);
		const before = tf.memory().numTensors;
		const full = await runSweep(sweep, { tf, backend: 'cpu', store: new MemoryResultsStore() });
		expect(full).toMatchObject({ executed: 3, skipped: 0, stopped: false });
		expect(full.results.map((r) => r.id)).toEqual(sweep.runs.map((r) => r.id));
		// One trainer at a time, each disposed.
		expect(tf.memory().numTensors).toBe(before);

		const path = join(mkdtempSync(join(tmpdir(), 'dph-sweep-')), 'results.jsonl');
		const ctl = new AbortController();
		const seen: SweepProgress[] = [];
		const first = await runSweep(sweep, {
			tf,
			backend: 'cpu',
			store: new JsonlResultsStore(path),
			signal: ctl.signal,
			onProgress: (p) => {
				seen.push(p);
				// Stop in the middle of the second run: it is abandoned, the first is kept.
				if (p.runIndex === 1) ctl.abort();
			},
		});
		expect(first).toMatchObject({ executed: 1, stopped: true });
		expect(seen.at(-1)).toMatchObject({ runIndex: 1, runsDone: 1, runsTotal: 3, step: 1, steps: 2 });
		expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
		expect(tf.memory().numTensors).toBe(before);

		const executed = new Set<string>();
		const second = await runSweep(sweep, {
			tf,
			backend: 'cpu',
			store: new JsonlResultsStore(path),
			onProgress: (p) => executed.add(p.run.id),
		});
		expect(second).toMatchObject({ executed: 2, skipped: 1, stopped: false });
		expect([...executed]).toEqual(sweep.runs.slice(1).map((r) => r.id));
		expect(stable(second.results)).toEqual(stable(full.results));
		const lines = readFileSync(path, 'utf8').trim().split('\n');
		expect(stable(lines.map((l) => JSON.parse(l)))).toEqual(stable(full.results));
		// Runs differ from each other (a resumed sweep cannot pass by repeating one result).
		expect(new Set(full.results.map((r) => JSON.stringify(r.metrics))).size).toBe(3);
		for (const r of full.results) {
			expect(r.curve?.step).toEqual([2]);
			expect(r.curve?.dph_accuracy[0]).toBeCloseTo(r.metrics?.dph_accuracy ?? Number.NaN, 4);
		}

		// Nothing left to do: a third call runs nothing.
		const third = await runSweep(sweep, { tf, backend: 'cpu', store: new JsonlResultsStore(path) });
		expect(third).toMatchObject({ executed: 0, skipped: 3 });

		// The same ids with another config (the base changed) are refused, not silently mixed.
		const changed = loadSweep({ ...spec, base: { ...base, batchSize: 3 } });
		await expect(runSweep(changed, { tf, backend: 'cpu', store: new JsonlResultsStore(path) })).rejects.toThrow(
			SweepResumeError,
		);
	}, 300_000);

	it('reports overall progress with an ETA, and runs only the runs it is given (a shard)', async () => {
		const sweep = loadSweep({ ...spec, name: 'shard' });
		const progress: SweepProgress[] = [];
		const out = await runSweep(sweep, {
			tf,
			backend: 'cpu',
			store: new MemoryResultsStore(),
			runs: [sweep.runs[0], sweep.runs[2]],
			onProgress: (p) => progress.push(p),
		});
		expect(out.results.map((r) => r.index)).toEqual([0, 2]);
		expect(progress.map((p) => [p.runIndex, p.runsDone, p.step])).toEqual([
			[0, 0, 1],
			[0, 0, 2],
			[1, 1, 1],
			[1, 1, 2],
		]);
		expect(progress.at(-1)?.etaSeconds).toBe(0);
		expect(progress[0].etaSeconds).toBeGreaterThan(0);
	}, 120_000);
});

/**
 * Cached frozen-backbone training (train/cached-heads.ts) against the same run with the backbone run every step:
 * `trainable: heads`, no cDPO term, the same steps, data and seed. The cached run pays for one backbone pass over
 * every training and validation pair (the fill, inside its first step); each later step runs only the pooler and
 * head.
 */
import { type BackendName, getTf, initBackend } from '../../lib/dph/backend.ts';
import { resolveTrainConfig } from '../../lib/dph/train/config.ts';
import { DPHTrainer } from '../../lib/dph/train/trainer.ts';

export interface HeadsBenchRun {
	/** Every step's wall time, ms; the first includes kernel compilation and, cached, the fill. */
	stepMs: number[];
	/** Median of steps 2…n. */
	medianStepMs: number;
	totalMs: number;
	/** Seconds the cache fill took (cached run only). */
	fillSeconds: number | null;
	finalLoss: number;
}

export interface HeadsBench {
	backend: string;
	model: 'nano' | 'tiny';
	steps: number;
	batchSize: number;
	trainPairs: number;
	cached: HeadsBenchRun;
	uncached: HeadsBenchRun;
	/** uncached ÷ cached median step time. */
	speedupPerStep: number;
	/** uncached ÷ cached total time, the fill included. */
	speedupTotal: number;
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchCachedHeads(opts: {
	backend: BackendName;
	model: 'nano' | 'tiny';
	steps: number;
	batchSize: number;
}): Promise<HeadsBench> {
	await initBackend({ prefer: opts.backend });
	const tf = await getTf();
	// Each training pair is seen about once: the fill is not amortised over epochs, the least favourable case.
	const trainPairs = opts.steps * opts.batchSize;
	const run = async (cache: boolean): Promise<HeadsBenchRun> => {
		const cfg = resolveTrainConfig({
			steps: opts.steps,
			batchSize: opts.batchSize,
			trainable: 'heads',
			model: { preset: opts.model },
			objective: { dpoWeight: 0 },
			heads: { reinit: 'none', cache },
			data: { trainPairs, validationPairs: 8 },
			optim: { warmupSteps: 1 },
			evalEvery: opts.steps,
		});
		const t = new DPHTrainer(tf, cfg);
		try {
			const stepMs: number[] = [];
			let finalLoss = Number.NaN;
			for (let i = 0; i < opts.steps; i++) {
				const t0 = performance.now();
				finalLoss = (await t.step()).loss;
				stepMs.push(performance.now() - t0);
			}
			return {
				stepMs,
				medianStepMs: median(stepMs.slice(1)),
				totalMs: stepMs.reduce((a, b) => a + b, 0),
				fillSeconds: t.cache?.seconds ?? null,
				finalLoss,
			};
		} finally {
			t.dispose();
		}
	};
	const uncached = await run(false);
	const cached = await run(true);
	return {
		backend: opts.backend,
		model: opts.model,
		steps: opts.steps,
		batchSize: opts.batchSize,
		trainPairs,
		cached,
		uncached,
		speedupPerStep: uncached.medianStepMs / cached.medianStepMs,
		speedupTotal: uncached.totalMs / cached.totalMs,
	};
}

export function formatHeadsBench(b: HeadsBench): string {
	const f = (x: number) => x.toFixed(1);
	return (
		`Frozen-backbone heads training, ${b.model} preset on ${b.backend}, ${b.steps} steps × ${b.batchSize} pairs (${b.trainPairs} training pairs, each seen once):\n` +
		`  backbone every step  ${f(b.uncached.medianStepMs).padStart(8)} ms/step   total ${f(b.uncached.totalMs)} ms\n` +
		`  cached vectors       ${f(b.cached.medianStepMs).padStart(8)} ms/step   total ${f(b.cached.totalMs)} ms (fill ${((b.cached.fillSeconds ?? 0) * 1000).toFixed(0)} ms)\n` +
		`  speed-up ${b.speedupPerStep.toFixed(1)}× per step, ${b.speedupTotal.toFixed(1)}× in total (fill included); final loss ${b.cached.finalLoss.toFixed(5)} vs ${b.uncached.finalLoss.toFixed(5)}\n`
	);
}

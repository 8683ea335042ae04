/**
 * Shards: `--shard K/N` takes the runs whose index i (in the full expansion) satisfies i mod N = K. Shards are
 * disjoint, their union is every run, and a run's shard never depends on which other shards exist or ran.
 *
 * K counts from 0 (0 ≤ K < N), because the schedulers that launch shards count from 0: a Slurm job array
 * `--array=0-7` sets SLURM_ARRAY_TASK_ID to 0…7 and a Kubernetes indexed Job sets JOB_COMPLETION_INDEX to 0…N−1,
 * so `--shard $SLURM_ARRAY_TASK_ID/8` needs no arithmetic.
 */
import { ConfigError } from '../validate';

export interface Shard {
	/** 0-based shard index K. */
	index: number;
	/** Number of shards N. */
	count: number;
}

/** A `--shard` that is not K/N with 0 ≤ K < N; its field is `--shard`. */
export class ShardError extends ConfigError {
	override name = 'ShardError';
	constructor(message: string, text: string) {
		super(message, '--shard', text);
	}
}

export function parseShard(text: string): Shard {
	const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
	if (!m) {
		throw new ShardError(`--shard must look like K/N with whole numbers (e.g. 0/8), got "${text}"`, text);
	}
	const index = Number(m[1]);
	const count = Number(m[2]);
	if (count < 1) throw new ShardError(`--shard ${text}: N must be at least 1`, text);
	if (index >= count) {
		throw new ShardError(
			`--shard ${text}: K must be in 0..${count - 1} (shards count from 0, like Slurm array and Kubernetes indexed Job indices)`,
			text,
		);
	}
	return { index, count };
}

/** The runs of shard K/N, in run order. */
export function shardRuns<T extends { index: number }>(runs: readonly T[], shard: Shard | null): T[] {
	if (!shard) return [...runs];
	return runs.filter((r) => r.index % shard.count === shard.index);
}

/** File name of a shard's results: `results.jsonl`, or `results-K-of-N.jsonl` for a shard. */
export function resultsFileName(shard: Shard | null): string {
	return shard ? `results-${shard.index}-of-${shard.count}.jsonl` : 'results.jsonl';
}

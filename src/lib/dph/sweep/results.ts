/**
 * Sweep results: one JSON object per finished run, appended to a store as soon as the run ends, so an interruption
 * loses at most the run in progress. The same record goes to a JSONL file (CLI, src/node/results-jsonl.ts) or IndexedDB
 * (browser, src/lib/browser/results-idb.ts).
 *
 *   {"sweep":"pooler-objective","spec_hash":"…","id":"pooler=bert,objective=sepdph,seed=1","index":3,
 *    "params":{"pooler":"bert","objective":"sepdph","seed":1},"config_hash":"…",
 *    "metrics":{"dph_accuracy":0.91,…},"steps":200,"seconds":12.3,"backend":"wasm",
 *    "curve":{"step":[50,100],"dph_accuracy":[0.6,0.8],…},"error":"Training stopped at step 120: …"}
 */
import type { RunParams } from './spec';

/** Validation metrics of a run (trainer.evaluate() at its last step), snake_case as in `dph train`'s summary. */
export interface RunMetrics {
	dph_accuracy: number;
	logprob_accuracy: number;
	reward_chosen: number;
	reward_rejected: number;
	margin: number;
	loss_dph: number;
	loss_dpo: number;
}

export const METRICS: readonly (keyof RunMetrics)[] = [
	'dph_accuracy',
	'logprob_accuracy',
	'reward_chosen',
	'reward_rejected',
	'margin',
	'loss_dph',
	'loss_dpo',
];

/** Validation metrics at every evaluation, column by column (compact), plus the training loss at that step. */
export type RunCurve = { step: number[]; loss: number[] } & Record<keyof RunMetrics, number[]>;

export interface RunResult {
	sweep: string;
	spec_hash: string;
	id: string;
	/** Index in the full (unsharded) run order. */
	index: number;
	params: RunParams;
	config_hash: string;
	/** null when the run failed before it could be evaluated. */
	metrics: RunMetrics | null;
	/** Optimizer steps completed. */
	steps: number;
	seconds: number;
	backend: string;
	/** The starting checkpoint (base.from as the spec names it); absent for a random preset. */
	from?: string;
	/** The cDPO reference checkpoint (base.refFrom), when not the starting weights. */
	ref_from?: string;
	/** Freezing mode of the run, and how many parameter tensors it left untouched. */
	trainable?: string;
	frozen_tensors?: number;
	curve?: RunCurve;
	/** Why the run did not finish (diverged, or failed); a failed run is kept out of the table's statistics. */
	error?: string;
}

export interface ResultsStore {
	/** Every stored result, in the order they were appended. */
	load(): Promise<RunResult[]>;
	append(r: RunResult): Promise<void>;
}

export class ResultsFormatError extends Error {
	override name = 'ResultsFormatError';
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Check the shape of one parsed record; returns an error message or null. */
export function checkResult(x: unknown): string | null {
	if (!isObj(x)) return 'not a JSON object';
	const need: [string, (v: unknown) => boolean, string][] = [
		['sweep', (v) => typeof v === 'string', 'a string'],
		['id', (v) => typeof v === 'string', 'a string'],
		['index', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number ≥ 0'],
		['params', isObj, 'an object'],
		['metrics', (v) => v === null || isObj(v), 'an object or null'],
		['steps', (v) => typeof v === 'number', 'a number'],
	];
	for (const [k, ok, what] of need) if (!ok(x[k])) return `"${k}" must be ${what}`;
	return null;
}

export interface ParsedResults {
	results: RunResult[];
	warnings: string[];
	/** Bytes at the end of the text that belong to a line cut short (a crash mid-write); a store drops them. */
	truncatedTail: number;
	/** The text does not end with a newline (but its last line is complete); the next append must add one. */
	needsNewline: boolean;
}

/**
 * Parse results JSONL. Only the last line may be incomplete (a crash while appending): it is ignored with a
 * warning. A bad line anywhere else means the file was edited or corrupted, which is an error naming the line.
 */
export function parseResultsJsonl(text: string, source = 'results'): ParsedResults {
	const warnings: string[] = [];
	const results: RunResult[] = [];
	const lines = text.split('\n');
	let truncatedTail = 0;
	let needsNewline = false;
	// A file our writer finished ends with "\n", so its last element is ''; anything else there has no newline.
	const last = lines.length - 1;
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		if (!line.trim()) continue;
		let parsed: unknown;
		let problem: string | null = null;
		try {
			parsed = JSON.parse(line);
			problem = checkResult(parsed);
		} catch (e) {
			problem = `not valid JSON (${(e as Error).message})`;
		}
		if (problem && i === last) {
			// A cut-short object never parses (its closing brace is the last byte written), so this is a crash tail.
			warnings.push(
				`${source} line ${i + 1} is incomplete (${problem}): the sweep was probably interrupted while writing it; ignoring it, that run will be redone`,
			);
			truncatedTail = new TextEncoder().encode(line).length;
			continue;
		}
		if (problem) throw new ResultsFormatError(`${source} line ${i + 1}: ${problem}`);
		if (i === last) needsNewline = true;
		results.push(parsed as RunResult);
	}
	return { results, warnings, truncatedTail, needsNewline };
}

export function resultLine(r: RunResult): string {
	return `${JSON.stringify(r)}\n`;
}

/** One result per id: the last one stored wins (a failed run that was retried is superseded by the retry). */
export function latestById(results: readonly RunResult[]): RunResult[] {
	const byId = new Map<string, RunResult>();
	for (const r of results) {
		byId.delete(r.id);
		byId.set(r.id, r);
	}
	return [...byId.values()].sort((a, b) => a.index - b.index);
}

/** An in-memory store (tests, and one-off sweeps in a notebook cell). */
export class MemoryResultsStore implements ResultsStore {
	readonly results: RunResult[] = [];
	async load() {
		return [...this.results];
	}
	async append(r: RunResult) {
		this.results.push(structuredClone(r));
	}
}

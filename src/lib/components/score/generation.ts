/**
 * The Score page's generation state as plain functions: the sampling settings and their defaults, the page state
 * in the URL hash (reusing the notebooks' readHash/writeHash), and the one ranking of typed and generated candidates.
 */
import type { ChatMessage } from '$lib/dph/data/types';
import { readHash, writeHash } from '$lib/notebook/urlstate';
import type { RankedSample } from '$lib/workers/generate-job';

export interface Sampling {
	n: number;
	maxNewTokens: number;
	temperature: number;
	/** 0 keeps all tokens. */
	topK: number;
	topP: number;
	seed: number;
}

export const DEFAULT_SAMPLING: Sampling = { n: 4, maxNewTokens: 16, temperature: 0.7, topK: 0, topP: 0.95, seed: 0 };

/** Where the page's checkpoint came from, as far as a link can name it: a shipped demo or one stored in this browser. */
export type CheckpointRef = { kind: 'demo' | 'stored'; name: string };

export interface PageState {
	checkpoint: CheckpointRef | null;
	system: string;
	prompt: string;
	candidates: string[];
	sampling: Sampling;
}

const SAMPLING_KEYS = Object.keys(DEFAULT_SAMPLING) as (keyof Sampling)[];

/** The page state a hash holds; what it lacks (or holds wrongly typed) is left out, for the page's own defaults. */
export function readPageState(hash: string): Partial<Omit<PageState, 'sampling'>> & { sampling: Sampling } {
	const v = readHash(hash);
	const out: Partial<Omit<PageState, 'sampling'>> & { sampling: Sampling } = { sampling: { ...DEFAULT_SAMPLING } };
	const ck = v.get('ck');
	const m = typeof ck === 'string' ? /^(demo|stored):(.+)$/.exec(ck) : null;
	if (m) out.checkpoint = { kind: m[1] as CheckpointRef['kind'], name: m[2] };
	// A prompt such as "42" parses as JSON; it is still text.
	if (v.has('system')) out.system = String(v.get('system'));
	if (v.has('prompt')) out.prompt = String(v.get('prompt'));
	const c = v.get('candidates');
	if (Array.isArray(c)) out.candidates = c.map(String);
	for (const k of SAMPLING_KEYS) {
		const x = v.get(k);
		if (typeof x === 'number' && Number.isFinite(x)) out.sampling[k] = x;
	}
	return out;
}

export function writePageState(s: PageState): string {
	const v = new Map<string, unknown>();
	if (s.checkpoint) v.set('ck', `${s.checkpoint.kind}:${s.checkpoint.name}`);
	if (s.system) v.set('system', s.system);
	v.set('prompt', s.prompt);
	v.set('candidates', s.candidates);
	for (const k of SAMPLING_KEYS) if (s.sampling[k] !== DEFAULT_SAMPLING[k]) v.set(k, s.sampling[k]);
	return writeHash(v);
}

export const chatOf = (system: string, prompt: string): ChatMessage[] => [
	...(system.trim() ? [{ role: 'system' as const, content: system }] : []),
	{ role: 'user' as const, content: prompt },
];

/** Sorted by the DPH reward (by mean log-prob without a head), unscorable (NaN) last, ties in input order. */
export function rankSamples(cands: readonly RankedSample[]): { c: RankedSample; i: number }[] {
	const key = (c: RankedSample) => {
		const k = c.reward ?? c.logprob;
		return Number.isNaN(k) ? Number.NEGATIVE_INFINITY : k;
	};
	return cands.map((c, i) => ({ c, i })).sort((a, b) => key(b.c) - key(a.c) || a.i - b.i);
}

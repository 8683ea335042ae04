import { readFileSync } from 'node:fs';
import { getTf, initBackend, type TF } from '../../lib/dph/backend.ts';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../lib/dph/checkpoint/load.ts';
import { type ChatMessage, isRole, ROLES } from '../../lib/dph/data/types.ts';
import {
	type Candidate,
	checkReference,
	DEFAULT_BETA,
	GenerateError,
	type GenerateOptions,
	generateCandidates,
	MAX_SAMPLES,
	type Models,
	rankingHead,
} from '../../lib/dph/generate/candidates.ts';
import { deriveSeed } from '../../lib/dph/random.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import {
	backendArg,
	type CliCommand,
	type CliIO,
	headlessBackend,
	int,
	num,
	type ParsedArgs,
	str,
	UsageError,
} from '../args.ts';
import { seconds } from '../progress.ts';
import { headsFolder } from './score.ts';

export function readInput(path: string): string {
	try {
		return readFileSync(path === '-' ? 0 : path, 'utf8');
	} catch (e) {
		throw new UsageError(`cannot read --input ${path}: ${(e as Error).message}`);
	}
}

/** One non-blank input line: its object (extra fields such as `reference` kept) and messages, or why not. */
export interface PromptLine {
	line: number;
	raw?: Record<string, unknown>;
	messages?: ChatMessage[];
	error?: string;
}

function messagesOf(o: Record<string, unknown>): ChatMessage[] {
	const m = o.messages;
	if (!Array.isArray(m)) throw new GenerateError('"messages" must be an array of {"role","content"} messages');
	return m.map((x, i) => {
		const { role, content } = (x ?? {}) as Record<string, unknown>;
		if (!isRole(role)) throw new GenerateError(`"messages"[${i}].role must be one of ${ROLES.join(', ')}`);
		if (typeof content !== 'string') throw new GenerateError(`"messages"[${i}].content must be a string`);
		return { role, content };
	});
}

/** Prompt lines `{"messages":[…], …}`; a bad line becomes an error in place. Blank lines are skipped. */
export function parsePromptLines(text: string): PromptLine[] {
	const out: PromptLine[] = [];
	text
		.replace(/^\uFEFF/, '')
		.split(/\r?\n/)
		.forEach((s, i) => {
			if (s.trim() === '') return;
			const line = i + 1;
			try {
				const raw = JSON.parse(s) as unknown;
				if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
					throw new GenerateError('expected a JSON object with "messages"');
				}
				const o = raw as Record<string, unknown>;
				out.push({ line, raw: o, messages: messagesOf(o) });
			} catch (e) {
				const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : (e as Error).message;
				out.push({ line, error: `line ${line}: ${why}` });
			}
		});
	return out;
}

/** The checkpoint (and `--ref`) on the chosen backend, checked against each other and `--head`. */
export async function loadModels(
	args: ParsedArgs,
	io: CliIO,
	name: string,
): Promise<{ tf: TF; models: Models; dispose: () => void; label: string }> {
	const dir = args.positionals[0];
	if (!dir) throw new UsageError(`give the checkpoint folder: dph ${name} <checkpoint-dir> --input FILE`);
	const beta = num(args, 'beta', DEFAULT_BETA) as number;
	if (!(beta > 0)) throw new UsageError(`--beta must be a positive number, got ${beta}`);
	const backend = backendArg(args);
	const { label } = await initBackend(headlessBackend(backend));
	const tf = await getTf();
	const loaded: LoadedCheckpoint[] = [];
	const dispose = () => {
		for (const ck of loaded) ck.dispose();
	};
	try {
		const policy = await loadCheckpointTensors(tf, await dirFolder(dir), { heads: await headsFolder(args) });
		loaded.push(policy);
		const refDir = str(args, 'ref');
		const ref = refDir ? await loadCheckpointTensors(tf, await dirFolder(refDir)) : null;
		if (ref) loaded.push(ref);
		const models: Models = { policy, ref, beta, head: str(args, 'head') ?? null };
		try {
			rankingHead(models);
			if (ref) checkReference(policy, ref);
		} catch (e) {
			if (e instanceof GenerateError) throw new UsageError(e.message);
			throw e;
		}
		const heads = policy.config.reward_heads?.length ? policy.config.reward_heads.join(', ') : 'none';
		io.stderr(
			`dph ${name}: ${policy.card.name} (${policy.card.parameters.toLocaleString('en')} parameters, heads: ${heads})${ref ? `, reference ${ref.card.name}` : ''} on ${label}\n`,
		);
		return { tf, models, dispose, label };
	} catch (e) {
		dispose();
		throw e;
	}
}

/** --n, --max-new-tokens, --temperature, --top-k, --top-p, --seed. */
export function generateArgs(args: ParsedArgs, defaultN: number): GenerateOptions & { seed: number } {
	const topK = int(args, 'top-k', 0);
	const topP = num(args, 'top-p', 0.95) as number;
	if (!(topP > 0 && topP <= 1)) throw new UsageError(`--top-p must be in (0, 1], got ${topP}`);
	const temperature = num(args, 'temperature', 0.7) as number;
	if (!(temperature >= 0)) throw new UsageError(`--temperature must be ≥ 0 (0 is greedy), got ${temperature}`);
	return {
		n: int(args, 'n', 1, MAX_SAMPLES) ?? defaultN,
		maxNewTokens: int(args, 'max-new-tokens', 1) ?? 64,
		temperature,
		topK,
		topP,
		seed: int(args, 'seed', 0) ?? 0,
	};
}

export const GENERATE_OPTIONS = {
	input: { type: 'string' },
	n: { type: 'string' },
	'max-new-tokens': { type: 'string' },
	temperature: { type: 'string' },
	'top-k': { type: 'string' },
	'top-p': { type: 'string' },
	seed: { type: 'string' },
	ref: { type: 'string' },
	head: { type: 'string' },
	heads: { type: 'string' },
	beta: { type: 'string' },
	backend: { type: 'string' },
	json: { type: 'boolean' },
} as const;

export const GENERATE_HELP = `  --input FILE          JSONL prompts, or - for stdin (required); lines {"messages":[{"role","content"}…]}
  --n N                 samples per prompt, 1..${MAX_SAMPLES}
  --max-new-tokens N    most tokens per sample (default 64; fewer when the context is shorter)
  --temperature T       0 is greedy (default 0.7)
  --top-k K             keep the K most likely tokens (default: all)
  --top-p P             nucleus sampling over the top-k set (default 0.95)
  --seed S              seed of the sampling streams (default 0); line L, sample k draw from their own stream
  --ref DIR             reference (SFT) checkpoint for the DPO implicit reward; same tokenizer and vocabulary
  --beta B              β of the implicit reward (default ${DEFAULT_BETA})
  --head NAME           the reward head to rank by (config.json reward_heads; default the first)
  --heads DIR           DPH heads of a Llama-family base kept in their own folder (dph_heads.safetensors)
  --backend NAME        webgpu, wasm or cpu`;

/** Generate for every good line, in order; each result or error is handed over as it comes. */
export async function generateLines(
	tf: TF,
	models: Models,
	lines: readonly PromptLine[],
	o: GenerateOptions & { seed: number },
	io: CliIO,
	each: (l: PromptLine, r: { samples: Candidate[]; best: Record<string, number | null> } | { error: string }) => void,
): Promise<number> {
	let bad = 0;
	for (const l of lines) {
		if (!l.messages) {
			bad++;
			each(l, { error: l.error ?? `line ${l.line}: no messages` });
			continue;
		}
		const t0 = performance.now();
		try {
			const r = await generateCandidates(tf, models, l.messages, { ...o, seed: deriveSeed(o.seed, 'line', l.line) });
			const tokens = r.samples.reduce((a, s) => a + s.ids.length, 0);
			io.stderr(
				`line ${l.line}: ${r.samples.length} samples, ${tokens} tokens in ${seconds((performance.now() - t0) / 1000)}\n`,
			);
			each(l, r);
		} catch (e) {
			if (!(e instanceof GenerateError)) throw e;
			bad++;
			each(l, { error: `line ${l.line}: ${e.message}` });
		}
	}
	return bad;
}

export const generateCommand: CliCommand = {
	name: 'generate',
	summary: 'sample N answers per prompt and rank them by DPH reward, log-prob and DPO implicit reward',
	usage:
		'dph generate <checkpoint-dir> --input prompts.jsonl [--n 8] [--max-new-tokens 64] [--temperature 0.7] [--top-k K] [--top-p 0.95] [--seed S] [--ref DIR] [--head NAME] [--heads DIR] [--json]',
	help: `Samples answers with the cached decoder (the prompt is the ChatML context followed by <|im_start|>assistant\\n;
a sample ends at <|im_end|> or after --max-new-tokens) and prints one JSON object per input line, in order:
  {"samples":[{"text","ids","finish":"im_end"|"length","reward","logprob","logprob_sum","implicit_reward"}…],
   "best":{"reward":i,"logprob":j,"implicit_reward":k}}
ids are the generated token ids (the final <|im_end|> included when generated). reward is the --head's DPH
reward (null without a head), logprob the mean and logprob_sum the sum of the content tokens' log-probs,
implicit_reward β·Σ(log π − log π_ref) over the content and its <|im_end|> (null without --ref); best holds
each predictor's pick. A bad line prints {"line":N,"error":"…"} in its place and the exit code is 1. Progress
on stderr. Formulas: docs/GENERATION.md. Output is JSONL with or without --json.
Options:
${GENERATE_HELP.replace('1..', 'default 8, 1..')}`,
	options: GENERATE_OPTIONS,
	async run(args, io) {
		const input = str(args, 'input');
		if (!input) throw new UsageError('--input prompts.jsonl is required (use - for stdin)');
		const o = generateArgs(args, 8);
		const lines = parsePromptLines(readInput(input));
		const { tf, models, dispose } = await loadModels(args, io, 'generate');
		try {
			const bad = await generateLines(tf, models, lines, o, io, (l, r) => {
				if ('error' in r) {
					io.stderr(`${input}: ${r.error}\n`);
					io.stdout(`${JSON.stringify({ line: l.line, error: r.error })}\n`);
					return;
				}
				const samples = r.samples.map((s) => ({
					text: s.text,
					ids: s.ids,
					finish: s.finish,
					reward: s.reward,
					logprob: s.logprob,
					logprob_sum: s.logprob_sum,
					implicit_reward: s.implicit_reward,
				}));
				const best = { reward: r.best.reward, logprob: r.best.logprob, implicit_reward: r.best.implicit_reward };
				io.stdout(`${JSON.stringify({ samples, best })}\n`);
			});
			if (bad) io.stderr(`${bad} line(s) could not be generated for\n`);
			return bad ? 1 : 0;
		} finally {
			dispose();
		}
	},
};

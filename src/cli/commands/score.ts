import { readFileSync } from 'node:fs';
import { getTf, initBackend } from '../../lib/dph/backend.ts';
import type { ModelCard } from '../../lib/dph/checkpoint/load.ts';
import { loadForScoring } from '../../lib/dph/checkpoint/load-streamed.ts';
import { parseJsonl } from '../../lib/dph/data/jsonl.ts';
import { unknownMessage } from '../../lib/dph/data/tokenizer.ts';
import type { MultipleChoiceItem } from '../../lib/dph/data/types.ts';
import { contextLength } from '../../lib/dph/model/family.ts';
import { HeadError, resolveHead } from '../../lib/dph/model/heads.ts';
import { accuracy, type ItemScore, scoreItems } from '../../lib/dph/score.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import {
	backendArg,
	type CliCommand,
	type CliIO,
	flag,
	headlessBackend,
	num,
	type ParsedArgs,
	str,
	UsageError,
} from '../args.ts';
import { bar } from '../progress.ts';

function readInput(path: string): string {
	try {
		return readFileSync(path === '-' ? 0 : path, 'utf8');
	} catch (e) {
		throw new UsageError(`cannot read --input ${path}: ${(e as Error).message}`);
	}
}

/** "1,234 parameters, F16, bert pooler"; a Llama-family model also names its model_type and says when it has no head. */
function describeModel(card: ModelCard): string {
	const size = `${card.parameters.toLocaleString('en')} parameters, ${card.dtypes.join('/')}`;
	if (card.family === 'lswt') return `${size}, ${card.pooler} pooler`;
	return `${card.modelType}, ${size}, ${card.rewardHeads.length ? `${card.pooler} pooler` : 'no DPH head'}`;
}

/** `--heads DIR`: a folder of DPH heads for a Llama-family base; undefined without the flag. */
export async function headsFolder(args: ParsedArgs) {
	const dir = str(args, 'heads');
	if (dir === undefined) return undefined;
	try {
		return await dirFolder(dir);
	} catch (e) {
		throw new UsageError(`--heads: ${(e as Error).message}`);
	}
}

function progress(io: CliIO, label: string) {
	let last = 0;
	return (done: number, total: number) => {
		const now = performance.now();
		if (!io.isTTY || (now - last < 100 && done < total)) return;
		last = now;
		io.stderr(`\r${label} ${bar(done, total)} ${done}/${total}\x1b[K${done >= total ? '\n' : ''}`);
	};
}

/** One stderr warning per prompt or candidate with characters that became <unk>. */
function warnUnknown(io: CliIO, where: string, s: ItemScore): void {
	if (!s.unknown) return;
	if (s.unknown.prompt) io.stderr(`warning: ${where}, prompt: ${unknownMessage(s.unknown.prompt)}\n`);
	s.unknown.candidates.forEach((u, j) => {
		if (u) io.stderr(`warning: ${where}, candidate ${j + 1}: ${unknownMessage(u)}\n`);
	});
}

export const scoreCommand: CliCommand = {
	name: 'score',
	summary: 'score candidate answers with a checkpoint: DPH reward and average log-prob per candidate',
	usage:
		'dph score <checkpoint-dir> --input items.jsonl [--backend webgpu|wasm|cpu] [--batch N] [--max-len N] [--tokens] [--head NAME] [--heads DIR] [--stream auto|on|off] [--allow-nonfinite]',
	help: `Loads a Hugging Face–layout checkpoint folder (config.json, model.safetensors or its shards with
model.safetensors.index.json, tokenizer.json): an LSWT/DPH model or a Llama-family one (model_type llama or
qwen2, prompted with its own chat template; docs/MODELS.md), and scores
every line of the input, printing one JSON object per line in input order:
  {"rewards":[…],"logprobs":[…]}      one number per candidate: DPH reward, average log-prob of its tokens
Input lines (JSONL): {"messages":[{"role","content"}…],"candidates":["…",…],"label"?:i} or TRL
{"prompt","chosen","rejected"} (label 0 = chosen). Blank lines are skipped. A bad line prints
{"line":N,"error":"…"} in its place (and the message on stderr); the others still score, and the exit code is 1.
So does a line with a candidate longer than the context (prompt included): it is refused before any forward pass.
Characters the tokenizer maps to <unk> are warned about on stderr. Weights holding NaN/Inf stop the load.
When lines carry labels, stderr ends with the accuracy of both predictors (highest reward vs highest log-prob).
"rewards" is null for a model without a reward head; a log-prob is null for an empty candidate.
Options:
  --input FILE     the JSONL file, or - for stdin (required)
  --backend NAME   webgpu, wasm or cpu (default: a GPU if WebGPU has one, else wasm)
  --batch N        most candidates per forward pass (default 16; fewer when long ones would need over 1 GiB)
  --max-len N      longest sequence scored, in tokens, prompt included (default: the checkpoint config's
                   max_position_embeddings / n_positions / rope_positions, else 1024)
  --tokens         add "tokens": per candidate, [token, log-prob] pairs
  --head NAME      the reward head to score with (config.json reward_heads; default the first)
  --heads DIR      DPH heads trained on a Llama-family base (dph_heads.safetensors + dph_config.json) kept in
                   their own folder; heads saved in the base folder are read without it
  --stream MODE    keep the weights in their file precision and run them one block at a time (on), or upload
                   them all as float32 (off); auto (the default) streams a model over 1 GiB in float32 on wasm
                   and cpu, such as the paper's medium one, which does not fit the 4 GiB wasm heap resident
  --allow-nonfinite  load weights that hold NaN/Inf anyway (their scores are NaN; for inspecting a broken model)`,
	options: {
		input: { type: 'string' },
		backend: { type: 'string' },
		batch: { type: 'string' },
		'max-len': { type: 'string' },
		tokens: { type: 'boolean' },
		head: { type: 'string' },
		heads: { type: 'string' },
		'allow-nonfinite': { type: 'boolean' },
		stream: { type: 'string' },
	},
	async run(args, io) {
		const dir = args.positionals[0];
		if (!dir) throw new UsageError('give the checkpoint folder: dph score <checkpoint-dir> --input items.jsonl');
		const input = str(args, 'input');
		if (!input) throw new UsageError('--input items.jsonl is required (use - for stdin)');
		const batch = num(args, 'batch', 16) ?? 16;
		if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a whole number ≥ 1, got ${batch}`);
		const maxLen = num(args, 'max-len');
		if (maxLen !== undefined && (!Number.isInteger(maxLen) || maxLen < 8)) {
			throw new UsageError(`--max-len must be a whole number of tokens ≥ 8, got ${maxLen}`);
		}
		const streamArg = str(args, 'stream') ?? 'auto';
		if (!['auto', 'on', 'off'].includes(streamArg)) {
			throw new UsageError(`--stream must be auto, on or off, got ${streamArg}`);
		}
		const text = readInput(input);
		const parsed = parseJsonl(text);
		const { label } = await initBackend(headlessBackend(backendArg(args)));
		const tf = await getTf();
		const folder = await dirFolder(dir);
		const loading = progress(io, 'loading');
		const ck = await loadForScoring(tf, folder, {
			onProgress: (p) => p.phase === 'weights' && loading(p.done, p.total),
			allowNonfinite: flag(args, 'allow-nonfinite'),
			stream: streamArg === 'auto' ? undefined : streamArg === 'on',
			heads: await headsFolder(args),
		});
		try {
			const head = str(args, 'head');
			try {
				if (head !== undefined) resolveHead(ck.config, head);
			} catch (e) {
				if (e instanceof HeadError) throw new UsageError(`--head: ${e.message}`);
				throw e;
			}
			const headNote = ck.card.rewardHeads.length > 1 || head ? `, head ${head ?? ck.card.rewardHead}` : '';
			io.stderr(
				`dph score: ${ck.card.name} (${describeModel(ck.card)}${headNote}) on ${label} · ${parsed.items.length} item(s)\n`,
			);
			for (const n of ck.notes) io.stderr(`note: ${n}\n`);
			const context = contextLength(ck.config);
			const limit = maxLen ?? context.tokens;
			const scores = await scoreItems(tf, ck, parsed.items, {
				batchRows: batch,
				maxLen: limit,
				tokens: flag(args, 'tokens'),
				head,
				onProgress: progress(io, 'scoring'),
			});
			const hint = maxLen === undefined ? `${context.from}; --max-len changes it` : 'set by --max-len';
			const lines: { line: number; text: string }[] = [];
			let bad = parsed.errors.length;
			parsed.records.forEach((r, i) => {
				const s = scores[i];
				warnUnknown(io, `${input}: line ${r.line}`, s);
				if (s.errors?.length) {
					const error = `line ${r.line}: ${s.errors.map((e) => e.message).join('; ')} (${hint})`;
					io.stderr(`${input}: ${error}\n`);
					lines.push({ line: r.line, text: JSON.stringify({ line: r.line, error }) });
					bad++;
					return;
				}
				const obj: Record<string, unknown> = { rewards: s.rewards, logprobs: s.logprobs };
				if (s.tokens) obj.tokens = s.tokens.map((ts) => ts.map((t) => [t.text, t.logprob]));
				lines.push({ line: r.line, text: JSON.stringify(obj) });
			});
			for (const e of parsed.errors) {
				io.stderr(`${input}: ${e.message}\n`);
				lines.push({ line: e.line, text: JSON.stringify({ line: e.line, error: e.message }) });
			}
			lines.sort((a, b) => a.line - b.line);
			io.stdout(lines.map((l) => `${l.text}\n`).join(''));
			const acc = accuracy(scores, parsed.items as MultipleChoiceItem[]);
			if (acc) {
				io.stderr(
					`accuracy on ${acc.n} labelled item(s): DPH (highest reward) ${acc.dph === null ? 'n/a (no reward head)' : acc.dph.toFixed(4)} · log-prob (highest average log-prob) ${acc.logprob.toFixed(4)}\n`,
				);
			}
			if (bad) io.stderr(`${bad} line(s) could not be scored\n`);
			return bad ? 1 : 0;
		} finally {
			ck.dispose();
		}
	},
};

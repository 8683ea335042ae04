/**
 * A run's data, from its config and the model's tokenizer: the training and validation examples (synthetic pairs,
 * or JSONL pairs and SFT conversations), checked once at load (fit.ts) so overlong examples are dropped or kept
 * for truncation before the first step and unencodable characters are reported, and the batch each step draws.
 */
import {
	conversationOf,
	fitExamples,
	isPair,
	makeChatBatch,
	makePairBatch,
	makeTask,
	type PackedRows,
	type PairBatch,
	type PreferencePair,
	parseJsonl,
	type TrainExample,
	trainValidationSplit,
	unencodable,
	unencodableMessage,
} from '../data';
import type { Tokenizer } from '../data/tokenizer';
import { type TrainConfig, TrainConfigError } from './config';

export interface DataReport {
	/** Training / validation examples left out as too long (data.overlong, or too long even truncated). */
	droppedOverlong: number;
	/** Examples the batcher truncates (data.overlong 'truncate'). */
	truncated: number;
	/** Things the user should know before training: unencodable characters. */
	warnings: string[];
}

export interface RunData {
	train: TrainExample[];
	validation: TrainExample[];
	report: DataReport;
}

/** Only the SFT term: batches are conversations (chosen answers of pairs), the rejected rows are not run. */
export function sftOnly(cfg: TrainConfig): boolean {
	return cfg.objective.dpoWeight === 0 && cfg.objective.dphWeight === 0;
}

function rawExamples(cfg: TrainConfig): { train: TrainExample[]; validation: TrainExample[] } {
	const d = cfg.data;
	if (d.task === 'jsonl') {
		const parsed = parseJsonl(d.jsonl ?? '', { seed: cfg.seed, chat: true });
		const all: TrainExample[] = [...parsed.pairs, ...parsed.chats.map((c) => ({ messages: c.messages }))];
		if (!all.length) {
			throw new TrainConfigError(
				`The JSONL has no usable lines${
					parsed.errors.length
						? `: ${parsed.errors
								.slice(0, 3)
								.map((e) => e.message)
								.join('; ')}`
						: ''
				}`,
				'data.jsonl',
			);
		}
		if (parsed.chats.length && !sftOnly(cfg)) {
			throw new TrainConfigError(
				`The JSONL has ${parsed.chats.length} messages-only line${parsed.chats.length === 1 ? '' : 's'} (line ${parsed.chats[0].line}${parsed.chats.length > 1 ? ', …' : ''}), which have no rejected answer and can only train the SFT term: set objective.dpoWeight and objective.dphWeight to 0, or give those lines "chosen"/"rejected"`,
				'data.jsonl',
			);
		}
		const split = trainValidationSplit(all, { fraction: 0.1, seed: cfg.seed });
		return { train: split.train, validation: split.validation.length ? split.validation : split.train.slice(0, 8) };
	}
	const opts = { seed: cfg.seed, difficulty: d.difficulty };
	const train = makeTask(d.task, { ...opts, n: d.trainPairs, noise: d.noise }).pairs;
	// Validation continues the same item stream (no overlap) with clean labels.
	const validation = makeTask(d.task, { ...opts, n: d.validationPairs, noise: 0, start: d.trainPairs }).pairs;
	return { train, validation };
}

/** Load, split and check a run's data. `tokenizerName` names the tokenizer in warnings ("the tokenizer of DIR"). */
export function loadRunData(cfg: TrainConfig, tok: Tokenizer, tokenizerName?: string): RunData {
	const raw = rawExamples(cfg);
	const { maxLen, overlong } = cfg.data;
	const train = fitExamples(tok, raw.train, maxLen, overlong);
	const validation = fitExamples(tok, raw.validation, maxLen, overlong);
	if (!train.kept.length) {
		throw new TrainConfigError(
			`All ${raw.train.length} training examples are longer than data.maxLen ${maxLen} tokens${overlong === 'drop' ? ' (data.overlong "drop"; "truncate" keeps those whose final answer fits)' : ', even with their context truncated'}: raise data.maxLen`,
			'data.maxLen',
		);
	}
	const warnings: string[] = [];
	// A set: a validation set that fell back to training examples would count them twice.
	const all = [...new Set([...raw.train, ...raw.validation])];
	const u = unencodable(tok, all);
	if (u) warnings.push(unencodableMessage(u, all.length, tokenizerName));
	return {
		train: train.kept,
		// A validation set emptied by the length check would make every metric 0/0; a few training examples stand in.
		validation: validation.kept.length ? validation.kept : train.kept.slice(0, 8),
		report: { droppedOverlong: train.dropped + validation.dropped, truncated: train.truncated, warnings },
	};
}

/**
 * The rows for `examples`: a pair batch (chosen rows, then rejected), or with `chat` one conversation per row (the
 * chosen answers of pairs, or SFT examples). Examples are already known to fit, so nothing is skipped here.
 */
export function pairBatch(tok: Tokenizer, pairs: readonly PreferencePair[], cfg: TrainConfig): PairBatch {
	return makePairBatch(tok, pairs, batchOptions(cfg));
}

const batchOptions = (cfg: TrainConfig) => ({ maxLen: cfg.data.maxLen, overflow: 'truncate' as const, padMultiple: 8 });

export function runBatch(
	tok: Tokenizer,
	examples: readonly TrainExample[],
	cfg: TrainConfig,
	chat: boolean,
): PackedRows & { chat: boolean } {
	if (chat) return { ...makeChatBatch(tok, examples.map(conversationOf), batchOptions(cfg)), chat };
	return { ...pairBatch(tok, examples as PreferencePair[], cfg), chat };
}

/** Whether a batch of these examples has to be a chat batch: SFT only in training, or data without pairs. */
export function chatBatch(cfg: TrainConfig, examples: readonly TrainExample[], training: boolean): boolean {
	return (training && sftOnly(cfg)) || !examples.every(isPair);
}

/**
 * The data layer for training and scoring DPH models: tokenizers, ChatML sequences, synthetic preference tasks,
 * JSONL input, splits and padded batches. Pure TypeScript: runs in the page, a worker and Node.
 */
export {
	type BatchOptions,
	type ChatBatch,
	type ChoiceBatch,
	makeChatBatch,
	makeChoiceBatch,
	makePairBatch,
	type OverflowPolicy,
	type PackedRows,
	type PairBatch,
} from './batches';
export {
	CharTokenizer,
	type CharTokenizerOptions,
	DEFAULT_ALPHABET,
	type HFAddedToken,
	type HFTokenizerConfig,
	type HFTokenizerJSON,
} from './char-tokenizer';
export {
	type ChatSequence,
	type EncodedPair,
	encodeCandidate,
	encodeChat,
	encodePair,
	encodePrompt,
	evalTargets,
	type MessageSpan,
	type Targets,
	type TrainTargetOptions,
	trainTargets,
} from './chatml';
export {
	type FitResult,
	fitExamples,
	OVERLONG_POLICIES,
	type OverlongPolicy,
	type Unencodable,
	unencodable,
	unencodableMessage,
} from './fit';
export {
	type JsonlChat,
	type JsonlError,
	type JsonlFormat,
	type JsonlOptions,
	type JsonlRecord,
	type JsonlResult,
	pairsToJsonl,
	parseJsonl,
	toJsonl,
} from './jsonl';
export { itemToPair, withNoise } from './pairs';
export {
	type BatchOrderOptions,
	batchOrder,
	permutation,
	type Split,
	type SplitOptions,
	shuffle,
	trainValidationSplit,
} from './split';
export {
	MAX_CANDIDATES,
	MAX_DIFFICULTY,
	MAX_ITEMS,
	MIN_DIFFICULTY,
	makeItem,
	makeTask,
	type ResolvedTaskOptions,
	resolveTaskName,
	resolveTaskOptions,
	type SyntheticTask,
	TASK_INFO,
	TASK_NAMES,
	type TaskInfo,
	type TaskName,
	type TaskOptions,
} from './synthetic';
export { type DecodeOptions, SPECIAL_TOKENS, type SpecialTokenIds, type Tokenizer } from './tokenizer';
export {
	type ChatMessage,
	conversationOf,
	DataError,
	isPair,
	isRole,
	type MultipleChoiceItem,
	type PreferencePair,
	ROLES,
	type Role,
	type SftExample,
	type TrainExample,
} from './types';

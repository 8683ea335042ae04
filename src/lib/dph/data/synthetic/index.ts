/**
 * Built-in synthetic preference tasks, generated from a seed.
 *
 * Every task first builds a clean multiple-choice item (context, candidates, label) and then a pair from it
 * (chosen = the correct candidate, rejected = a uniformly drawn wrong one), flipped with probability η. Item i
 * depends only on (seed, task, i, difficulty, …), never on n, so a larger n extends a smaller one. The noise
 * draw for item i is its own stream compared against η, so raising η only ever adds flips (common random
 * numbers across a noise sweep), and the clean items are returned beside the pairs for evaluating both
 * predictors on true labels.
 *
 * This file holds the task list, options and assembly; each task family's generator is its own file.
 */
import { deriveSeed, mulberry32 } from '../../random';
import { itemToPair, withNoise } from '../pairs';
import { type ChatMessage, DataError, type MultipleChoiceItem, type PreferencePair } from '../types';
import { arithmetic } from './arithmetic';
import { multipleChoice } from './multiple-choice';
import { parity } from './parity';
import { copy, echo } from './strings';

export type TaskName = 'echo' | 'arithmetic' | 'multiple-choice' | 'copy' | 'parity';
export const TASK_NAMES: readonly TaskName[] = ['echo', 'arithmetic', 'multiple-choice', 'copy', 'parity'];

export const MIN_DIFFICULTY = 1;
export const MAX_DIFFICULTY = 5;
export const MAX_CANDIDATES = 8;
export const MAX_ITEMS = 10_000_000;

export interface TaskInfo {
	name: TaskName;
	description: string;
	/** What difficulty 1…5 changes. */
	difficulty: string;
	defaultCandidates: number;
	/** Smallest and largest number of candidates the task can generate. */
	candidates: [number, number];
	system: string;
}

export const TASK_INFO: Readonly<Record<TaskName, TaskInfo>> = {
	arithmetic: {
		name: 'arithmetic',
		description: 'The user asks for the value of an integer expression; the correct answer is its value.',
		difficulty:
			'1: a+b with one-digit operands; 2: + and − up to 99; 3: +, −, × up to 999; 4: up to 9999; 5: three operands with precedence',
		defaultCandidates: 4,
		candidates: [2, MAX_CANDIDATES],
		system: 'You are a calculator.',
	},
	'multiple-choice': {
		name: 'multiple-choice',
		description:
			'ARC-style question with lettered choices (largest, smallest, the even number, first alphabetically, longest word); the answer is "C. text".',
		difficulty: 'larger numbers, closer values and harder word comparisons as it rises',
		defaultCandidates: 4,
		candidates: [2, MAX_CANDIDATES],
		system: 'Answer with the letter and text of the correct choice.',
	},
	echo: {
		name: 'echo',
		description:
			'Say a random word back; wrong answers are other random words of the same length. Decidable from the prompt and learnable by a tiny model in a minute (equality of tokens), which makes it the demo task.',
		difficulty: '1: one of the letters a–d (a–h with more candidates); d ≥ 2: a word of d − 1 letters from a–z',
		defaultCandidates: 4,
		candidates: [2, MAX_CANDIDATES],
		system: 'Say the word back.',
	},
	copy: {
		name: 'copy',
		description:
			'Repeat a random string exactly; wrong answers differ by one edit (substitution, swap, deletion, insertion).',
		difficulty: 'string length 2·d + 3',
		defaultCandidates: 4,
		candidates: [2, MAX_CANDIDATES],
		system: 'Repeat the text exactly.',
	},
	parity: {
		name: 'parity',
		description: 'Is the number of 1s in a bit string even or odd? Candidates are always ["even", "odd"].',
		difficulty: 'bit string length 4·d',
		defaultCandidates: 2,
		candidates: [2, 2],
		system: 'Answer even or odd.',
	},
};

export interface TaskOptions {
	/** Number of items (and pairs). */
	n: number;
	seed: number;
	/** Label-noise rate η ∈ [0, 1]: probability that chosen and rejected are swapped. Default 0. */
	noise?: number;
	/** Integer in [1, 5]. Default 1. */
	difficulty?: number;
	/** Candidates per item (the MC options); default per task (see TASK_INFO). */
	candidates?: number;
	/** Probability in [0, 1] that an item starts with the task's short system message. Default 0. */
	system?: number;
	/** Index of the first item, so a held-out set can continue a stream without overlap. Default 0. */
	start?: number;
}

export interface ResolvedTaskOptions {
	n: number;
	seed: number;
	noise: number;
	difficulty: number;
	candidates: number;
	system: number;
	start: number;
}

export interface SyntheticTask {
	name: TaskName;
	options: ResolvedTaskOptions;
	/** Training pairs, label noise applied (`flipped` marks the swapped ones). */
	pairs: PreferencePair[];
	/** The clean items the pairs came from: `items[i]` ↔ `pairs[i]`, labels always correct. */
	items: (MultipleChoiceItem & { label: number })[];
}

const ALIASES: Readonly<Record<string, TaskName>> = { mc: 'multiple-choice', multiple_choice: 'multiple-choice' };

export function resolveTaskName(name: string): TaskName {
	const resolved = (TASK_NAMES as readonly string[]).includes(name) ? (name as TaskName) : ALIASES[name];
	if (!resolved) {
		throw new DataError(`task: unknown task ${JSON.stringify(name)}; valid tasks are ${TASK_NAMES.join(', ')}`);
	}
	return resolved;
}

function checkNumber(field: string, value: unknown, lo: number, hi: number, integer: boolean): number {
	const kind = integer ? 'an integer' : 'a number';
	if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
		throw new DataError(`${field}: must be ${kind} in [${lo}, ${hi}], got ${JSON.stringify(value)}`);
	}
	if (value < lo || value > hi) throw new DataError(`${field}: must be ${kind} in [${lo}, ${hi}], got ${value}`);
	return value;
}

/** Validate options for a task, filling defaults; errors name the field, the value and the valid range. */
export function resolveTaskOptions(name: TaskName, options: TaskOptions): ResolvedTaskOptions {
	const info = TASK_INFO[name];
	const [cLo, cHi] = info.candidates;
	return {
		n: checkNumber('n', options.n, 1, MAX_ITEMS, true),
		seed: checkNumber('seed', options.seed, -(2 ** 53 - 1), 2 ** 53 - 1, true),
		noise: checkNumber('noise', options.noise ?? 0, 0, 1, false),
		difficulty: checkNumber('difficulty', options.difficulty ?? 1, MIN_DIFFICULTY, MAX_DIFFICULTY, true),
		candidates: checkNumber(`candidates (${name})`, options.candidates ?? info.defaultCandidates, cLo, cHi, true),
		system: checkNumber('system', options.system ?? 0, 0, 1, false),
		start: checkNumber('start', options.start ?? 0, 0, Number.MAX_SAFE_INTEGER, true),
	};
}

/** The clean item with absolute index `index` of a task stream. */
export function makeItem(
	name: TaskName,
	opts: ResolvedTaskOptions,
	index: number,
): MultipleChoiceItem & { label: number } {
	const rand = mulberry32(deriveSeed(opts.seed, name, 'item', opts.difficulty, opts.candidates, index));
	const k = opts.candidates;
	const g =
		name === 'echo'
			? echo(rand, opts.difficulty, k)
			: name === 'arithmetic'
				? arithmetic(rand, opts.difficulty, k)
				: name === 'multiple-choice'
					? multipleChoice(rand, opts.difficulty, k)
					: name === 'copy'
						? copy(rand, opts.difficulty, k)
						: parity(rand, opts.difficulty);
	const messages: ChatMessage[] = [];
	// The system draw has its own stream so changing the rate never changes questions or answers.
	if (mulberry32(deriveSeed(opts.seed, name, 'system', index))() < opts.system) {
		messages.push({ role: 'system', content: TASK_INFO[name].system });
	}
	messages.push({ role: 'user', content: g.user });
	return { messages, candidates: g.candidates, label: g.label };
}

/**
 * Generate a task: `n` clean items and the pairs made from them with label noise η.
 *
 *   makeTask('arithmetic', { n: 1000, seed: 1, noise: 0.1, difficulty: 2 })
 */
export function makeTask(name: string, options: TaskOptions): SyntheticTask {
	const task = resolveTaskName(name);
	const opts = resolveTaskOptions(task, options);
	const items: (MultipleChoiceItem & { label: number })[] = [];
	const pairs: PreferencePair[] = [];
	for (let i = 0; i < opts.n; i++) {
		const index = opts.start + i;
		const item = makeItem(task, opts, index);
		const pair = itemToPair(item, mulberry32(deriveSeed(opts.seed, task, 'rejected', index)));
		items.push(item);
		pairs.push(withNoise(pair, opts.noise, mulberry32(deriveSeed(opts.seed, task, 'noise', index))));
	}
	return { name: task, options: opts, pairs, items };
}

/**
 * Built-in synthetic preference tasks, generated from a seed.
 *
 * Every task first builds a clean multiple-choice item (context, candidates, label) and then a pair from it
 * (chosen = the correct candidate, rejected = a uniformly drawn wrong one), flipped with probability η. Item i
 * depends only on (seed, task, i, difficulty, …), never on n, so a larger n extends a smaller one. The noise
 * draw for item i is its own stream compared against η, so raising η only ever adds flips (common random
 * numbers across a noise sweep), and the clean items are returned beside the pairs for evaluating both
 * predictors on true labels.
 */
import { deriveSeed, mulberry32 } from '../random';
import { itemToPair, withNoise } from './pairs';
import { type ChatMessage, DataError, type MultipleChoiceItem, type PreferencePair } from './types';

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

// ——— random helpers ————————————————————————————————————————————————————————————————

type Rand = () => number;

/** Uniform integer in [lo, hi]. */
function randInt(rand: Rand, lo: number, hi: number): number {
	return lo + Math.floor(rand() * (hi - lo + 1));
}

function pick<T>(rand: Rand, xs: readonly T[]): T {
	return xs[Math.floor(rand() * xs.length)];
}

/**
 * Place the correct answer among distractors at a uniformly random position. `distractor()` is called until
 * enough distinct wrong answers exist; generators guarantee that terminates by drawing from large enough sets.
 */
function assemble(
	rand: Rand,
	correct: string,
	k: number,
	distractor: () => string,
): { candidates: string[]; label: number } {
	const seen = new Set([correct]);
	const wrong: string[] = [];
	for (let tries = 0; wrong.length < k - 1; tries++) {
		if (tries > 10_000) throw new Error(`synthetic: could not find ${k - 1} distinct wrong answers for ${correct}`);
		const d = distractor();
		if (!seen.has(d)) {
			seen.add(d);
			wrong.push(d);
		}
	}
	const label = randInt(rand, 0, k - 1);
	const candidates = [...wrong];
	candidates.splice(label, 0, correct);
	return { candidates, label };
}

interface Generated {
	user: string;
	candidates: string[];
	label: number;
}

// ——— arithmetic —————————————————————————————————————————————————————————————————————

type Op = '+' | '-' | '*';

function apply(a: number, op: Op, b: number): number {
	return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

function operands(rand: Rand, op: Op, difficulty: number): [number, number] {
	if (op === '*') {
		const hi = difficulty >= 4 ? 99 : 12;
		return [randInt(rand, 2, hi), randInt(rand, 2, 99)];
	}
	const hi = [9, 9, 99, 999, 9999, 99][difficulty];
	const a = randInt(rand, 0, hi);
	const b = randInt(rand, 0, hi);
	// Keep early levels non-negative: negative numbers are a difficulty of their own.
	return op === '-' && difficulty <= 2 && b > a ? [b, a] : [a, b];
}

const ARITH_TEMPLATES: readonly ((e: string) => string)[] = [
	(e) => `What is ${e}?`,
	(e) => `Compute ${e}.`,
	(e) => `${e}=?`,
	(e) => `Calculate ${e}.`,
];

function arithmetic(rand: Rand, difficulty: number, k: number): Generated {
	let expr: string;
	let value: number;
	if (difficulty === 5) {
		const ops: Op[] = [pick(rand, ['+', '-', '*'] as const), pick(rand, ['+', '-', '*'] as const)];
		const [a, b, c] = [randInt(rand, 0, 99), randInt(rand, 0, 99), randInt(rand, 0, 99)];
		expr = `${a}${ops[0]}${b}${ops[1]}${c}`;
		// × binds tighter: evaluate it first, like any calculator.
		if (ops[1] === '*' && ops[0] !== '*') value = apply(a, ops[0], b * c);
		else value = apply(apply(a, ops[0], b), ops[1], c);
	} else {
		const ops: readonly Op[] = difficulty === 1 ? ['+'] : difficulty === 2 ? ['+', '-'] : ['+', '-', '*'];
		const op = pick(rand, ops);
		const [a, b] = operands(rand, op, difficulty);
		expr = `${a}${op}${b}`;
		value = apply(a, op, b);
	}
	const nonNegative = difficulty <= 2;
	const scale = Math.max(10, Math.abs(value));
	const { candidates, label } = assemble(rand, String(value), k, () => {
		let d: number;
		if (rand() < 0.6) {
			// Near misses (carry and sign slips) are what make the task non-trivial for a small model.
			const span = Math.max(3, Math.min(10, Math.ceil(Math.abs(value) * 0.1)));
			d = value + (rand() < 0.5 ? -1 : 1) * randInt(rand, 1, span);
		} else {
			d = randInt(rand, nonNegative ? 0 : -scale, 2 * scale);
		}
		if (nonNegative && d < 0) d = -d;
		return String(d);
	});
	return { user: pick(rand, ARITH_TEMPLATES)(expr), candidates, label };
}

// ——— multiple choice ————————————————————————————————————————————————————————————————

const WORDS: readonly string[] = [
	'apple',
	'river',
	'stone',
	'cloud',
	'tiger',
	'bread',
	'chair',
	'green',
	'house',
	'light',
	'music',
	'ocean',
	'paper',
	'queen',
	'sugar',
	'table',
	'water',
	'zebra',
	'night',
	'earth',
	'fox',
	'cat',
	'dog',
	'sun',
	'owl',
	'bee',
	'ant',
	'elk',
	'yak',
	'emu',
	'garden',
	'silver',
	'window',
	'forest',
	'pencil',
	'rocket',
	'butter',
	'candle',
	'dragon',
	'island',
	'kitten',
	'lemon',
	'mango',
	'violin',
	'wagon',
	'yellow',
	'jacket',
	'hammer',
	'orange',
	'planet',
	'bicycle',
	'blanket',
	'captain',
	'diamond',
	'elephant',
	'festival',
	'giraffe',
	'harvest',
	'umbrella',
	'notebook',
];

const LETTERS = 'ABCDEFGH';

function distinctInts(rand: Rand, k: number, lo: number, hi: number): number[] {
	const s = new Set<number>();
	while (s.size < k) s.add(randInt(rand, lo, hi));
	return [...s];
}

/**
 * The range numbers are drawn from, per difficulty; from 4 on the values share leading digits, so the comparison
 * needs every digit. Every range holds at least 4k values (2k odd ones), so k distinct draws always exist.
 */
function numberRange(rand: Rand, k: number, difficulty: number): [number, number] {
	if (difficulty <= 3) return [0, Math.max([0, 20, 99, 999][difficulty], 4 * k)];
	const width = Math.max(difficulty === 4 ? 30 : 12, 4 * k);
	const base = randInt(rand, 100, difficulty === 4 ? 9_000 : 90_000);
	return [base, base + width];
}

function distinctWords(rand: Rand, k: number, accept: (w: string, chosen: readonly string[]) => boolean): string[] {
	const out: string[] = [];
	for (let tries = 0; out.length < k; tries++) {
		if (tries > 10_000) throw new Error('synthetic: word list too small for this many candidates');
		const w = pick(rand, WORDS);
		if (!out.includes(w) && accept(w, out)) out.push(w);
	}
	return out;
}

function multipleChoice(rand: Rand, difficulty: number, k: number): Generated {
	const kind = randInt(rand, 0, 4);
	let question: string;
	let options: string[];
	let label: number;
	if (kind <= 1) {
		const [lo, hi] = numberRange(rand, k, difficulty);
		const xs = distinctInts(rand, k, lo, hi);
		const target = kind === 0 ? Math.max(...xs) : Math.min(...xs);
		question = kind === 0 ? 'Which number is the largest?' : 'Which number is the smallest?';
		options = xs.map(String);
		label = xs.indexOf(target);
	} else if (kind === 2) {
		// Exactly one even number; the odd ones come from the same range so size gives nothing away.
		const [lo, hi] = numberRange(rand, k, difficulty);
		const firstOdd = lo % 2 === 0 ? lo + 1 : lo;
		const odds = distinctInts(rand, k - 1, 0, Math.floor((hi - firstOdd) / 2)).map((j) => firstOdd + 2 * j);
		const firstEven = lo % 2 === 0 ? lo : lo + 1;
		const even = firstEven + 2 * randInt(rand, 0, Math.floor((hi - firstEven) / 2));
		label = randInt(rand, 0, k - 1);
		options = odds.map(String);
		options.splice(label, 0, String(even));
		question = 'Which number is even?';
	} else if (kind === 3) {
		// At low difficulty every first letter differs; later, words may share a first letter.
		options = distinctWords(rand, k, (w, cur) => difficulty >= 3 || cur.every((c) => c[0] !== w[0]));
		const first = [...options].sort()[0];
		label = options.indexOf(first);
		question = 'Which word comes first in alphabetical order?';
	} else {
		// The longest word must be unique; at low difficulty it is also clearly longer.
		const margin = difficulty <= 2 ? 2 : 1;
		for (let tries = 0; ; tries++) {
			if (tries > 10_000) throw new Error('synthetic: could not draw words with a unique longest one');
			options = distinctWords(rand, k, () => true);
			const lens = options.map((w) => w.length).sort((a, b) => b - a);
			if (lens[0] - lens[1] >= margin) break;
		}
		const longest = Math.max(...options.map((w) => w.length));
		label = options.findIndex((w) => w.length === longest);
		question = 'Which word is the longest?';
	}
	const lines = options.map((o, i) => `${LETTERS[i]}. ${o}\n`).join('');
	const candidates = options.map((o, i) => `${LETTERS[i]}. ${o}`);
	return { user: `Question: ${question}\n\nChoices:\n${lines}\nAnswer:`, candidates, label };
}

// ——— copy and parity ————————————————————————————————————————————————————————————————

const LOWER = 'abcdefghijklmnopqrstuvwxyz';

function randomString(rand: Rand, len: number): string {
	let s = '';
	for (let i = 0; i < len; i++) s += LOWER[randInt(rand, 0, 25)];
	return s;
}

/** One edit away from `s`: substitution, adjacent swap, deletion or insertion. */
function oneEdit(rand: Rand, s: string): string {
	const i = randInt(rand, 0, s.length - 1);
	switch (randInt(rand, 0, 3)) {
		case 0:
			return s.slice(0, i) + LOWER[randInt(rand, 0, 25)] + s.slice(i + 1);
		case 1: {
			const j = Math.min(i + 1, s.length - 1);
			return j === i ? s.slice(0, i - 1) + s[i] + s[i - 1] : s.slice(0, i) + s[j] + s[i] + s.slice(j + 1);
		}
		case 2:
			return s.slice(0, i) + s.slice(i + 1);
		default:
			return s.slice(0, i) + LOWER[randInt(rand, 0, 25)] + s.slice(i);
	}
}

function copy(rand: Rand, difficulty: number, k: number): Generated {
	const s = randomString(rand, 2 * difficulty + 3);
	const { candidates, label } = assemble(rand, s, k, () => oneEdit(rand, s));
	return { user: `Repeat exactly: ${s}`, candidates, label };
}

/**
 * Difficulty 1 draws one letter from a small alphabet (the first max(4, k) letters): a nano model learns it to a
 * confident reward in a minute or two, so the demo presets reach the theorems' optimal rewards. Above that, words of
 * d − 1 letters from a–z.
 */
function echo(rand: Rand, difficulty: number, k: number): Generated {
	const letters = difficulty === 1 ? Math.max(4, k) : 26;
	const len = Math.max(1, difficulty - 1);
	const word = () => {
		let w = '';
		for (let i = 0; i < len; i++) w += LOWER[randInt(rand, 0, letters - 1)];
		return w;
	};
	const s = word();
	// assemble() drops repeats of the correct word and of each other.
	const { candidates, label } = assemble(rand, s, k, word);
	return { user: `Say ${s}`, candidates, label };
}

function parity(rand: Rand, difficulty: number): Generated {
	let bits = '';
	let ones = 0;
	for (let i = 0; i < 4 * difficulty; i++) {
		const b = rand() < 0.5 ? 1 : 0;
		ones += b;
		bits += b;
	}
	return { user: `Is the number of 1s in ${bits} even or odd?`, candidates: ['even', 'odd'], label: ones % 2 };
}

// ——— assembly ———————————————————————————————————————————————————————————————————————

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

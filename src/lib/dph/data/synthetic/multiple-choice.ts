/** The ARC-style multiple-choice task: lettered choices about numbers and words. */
import { type Generated, pick, type Rand, randInt } from './shared';

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

export function multipleChoice(rand: Rand, difficulty: number, k: number): Generated {
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

/** The string tasks: copy (repeat a random string; distractors one edit away) and echo (say a word back). */
import { assemble, type Generated, type Rand, randInt } from './shared';

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

export function copy(rand: Rand, difficulty: number, k: number): Generated {
	const s = randomString(rand, 2 * difficulty + 3);
	const { candidates, label } = assemble(rand, s, k, () => oneEdit(rand, s));
	return { user: `Repeat exactly: ${s}`, candidates, label };
}

/**
 * Difficulty 1 draws one letter from a small alphabet (the first max(4, k) letters): a nano model learns it to a
 * confident reward in a minute or two, so the demo presets reach the theorems' optimal rewards. Above that, words of
 * d − 1 letters from a–z.
 */
export function echo(rand: Rand, difficulty: number, k: number): Generated {
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

/** The parity task: is the number of 1s in a bit string even or odd. */
import type { Generated, Rand } from './shared';

export function parity(rand: Rand, difficulty: number): Generated {
	let bits = '';
	let ones = 0;
	for (let i = 0; i < 4 * difficulty; i++) {
		const b = rand() < 0.5 ? 1 : 0;
		ones += b;
		bits += b;
	}
	return { user: `Is the number of 1s in ${bits} even or odd?`, candidates: ['even', 'odd'], label: ones % 2 };
}

/** The arithmetic task: the value of an integer expression, with near-miss distractors. */
import { assemble, type Generated, pick, type Rand, randInt } from './shared';

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

export function arithmetic(rand: Rand, difficulty: number, k: number): Generated {
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

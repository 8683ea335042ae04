/**
 * Loop protection, the run-time half: the checks that loop-transform.ts inserts call into here. A loop may run as
 * long as it likes provided the page keeps breathing: the clock restarts whenever a macrotask (a timer, a frame,
 * an event) has run since the last check, so animations (`while (true) yield …`) and loops that await real work
 * run for ever. A loop that holds the thread (only sync code or microtasks) for longer than the limit throws.
 */

/** Default limit of continuous loop time, in milliseconds. */
export const LOOP_LIMIT_MS = 3000;

export class LoopTimeoutError extends Error {
	constructor(
		readonly cell: number,
		readonly line: number,
		limitMs: number,
	) {
		super(
			`Loop ran longer than ${limitMs / 1000} s — stopped. Cell ${cell} line ${line}. Make it finish sooner, or ` +
				'let the page breathe inside it (await a timer, or yield).',
		);
		this.name = 'LoopTimeoutError';
	}
}

/** What a guarded loop holds: its body runs `if (--g.n <= 0) g.check()`, so most iterations cost a decrement. */
export interface LoopCheck {
	n: number;
	check(): void;
}

export type LoopGuardFactory = (cell: number, line: number) => LoopCheck;

/**
 * A factory for guarded loops: `factory(cell, line)` is called when a loop starts; its body counts down `n` and
 * calls `check()` at zero. Checks read the clock; the countdown (stride) doubles while checks come less than a
 * millisecond apart and drops back when iterations get slow, so a tight loop rarely reads the clock.
 */
export function makeLoopGuard(limitMs = LOOP_LIMIT_MS, now: () => number = () => performance.now()): LoopGuardFactory {
	let turn = 0;
	let scheduled = false;
	const breathe = () => {
		if (scheduled) return;
		scheduled = true;
		setTimeout(() => {
			turn++;
			scheduled = false;
		}, 0);
	};
	return (cell, line) => {
		let began = now();
		let last = began;
		let seen = turn;
		let stride = 1;
		breathe();
		const g: LoopCheck = {
			n: 1,
			check() {
				const t = now();
				if (seen !== turn) {
					// The thread was free since the last check: a new stretch of continuous running starts.
					seen = turn;
					began = t;
					breathe();
				} else if (t - began > limitMs) {
					throw new LoopTimeoutError(cell, line, limitMs);
				}
				stride = t - last < 1 ? Math.min(stride * 2, 1 << 14) : t - last > 4 ? 1 : Math.max(1, stride >> 1);
				last = t;
				g.n = stride;
			},
		};
		return g;
	};
}

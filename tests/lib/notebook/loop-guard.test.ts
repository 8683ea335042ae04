import { transpile } from '@observablehq/notebook-kit';
import { parseExpressionAt } from 'acorn';
import { describe, expect, it } from 'vitest';
import { LOOP_LIMIT_MS, LoopTimeoutError, makeLoopGuard } from '../../../src/lib/notebook/loop-guard';
import { guardLoops } from '../../../src/lib/notebook/loop-transform';

// Guard a function-expression body and evaluate it the way runtime.ts does: the factory is a parameter.
function compile(body: string, limitMs = 200, cell = 7, original?: string) {
	const g = guardLoops(body, cell, original);
	const fn = new Function(g.factory, `return (${g.code});`)(makeLoopGuard(limitMs)) as (...a: unknown[]) => unknown;
	return { fn, ...g };
}
const run = (code: string, limitMs = 200) => compile(`() => {\n${code}\n}`, limitMs).fn();

describe('guardLoops', () => {
	it('stops an infinite loop with the default limit, naming cell and line, within the bound', () => {
		const src = 'let n = 0;\nwhile (true) { n++; }';
		const { fn } = compile(transpile({ id: 3, value: src, mode: 'js' } as never).body, LOOP_LIMIT_MS, 3, src);
		const t0 = performance.now();
		expect(() => fn()).toThrow(/^Loop ran longer than 3 s — stopped\. Cell 3 line 2\b/);
		const took = performance.now() - t0;
		expect(took).toBeGreaterThanOrEqual(LOOP_LIMIT_MS);
		// Generous: the unit suite shares the CPU with other test files; the guard checks time every iteration.
		expect(took).toBeLessThan(2 * LOOP_LIMIT_MS);
	});

	it('guards every loop kind, labelled loops, and loops in nested functions, generators and classes', () => {
		const kinds = {
			for: 'for (;;) {}',
			'for without braces': 'for (let i = 0; ; i++) i;',
			while: 'while (1) {}',
			'while without braces': 'while (1);',
			'do-while': 'do {} while (true);',
			'do-while without braces': 'do x++; while (true)',
			// Keys are fixed when for-in starts, so it cannot spin; a slow body (a backtracking regex) stands in.
			'for-in':
				'const o = {}; for (let i = 0; i < 1e5; i++) o[i] = 1; for (const k in o) /(a+)+$/.test(`${"a".repeat(18)}!`);',
			'for-of': 'const a = [1]; for (const v of a) a.push(v);',
			labelled: 'outer: for (;;) { inner: while (true) { continue outer; } }',
			'labelled, no braces': 'a: b: while (1) continue a;',
			'nested function': '(function f() { while (true) {} })();',
			arrow: '(() => { for (;;) {} })();',
			generator: 'function* g() { while (true) yield 1; } for (const v of g()) v;',
			class: 'new (class { constructor() { do {} while (1); } })();',
			'if without braces': 'if (x === 0) while (1) x; else x = 2;',
			'loop in loop': 'for (;;) for (;;) {}',
			'switch case': 'switch (x) { case 0: while (1) {} }',
		};
		for (const [kind, code] of Object.entries(kinds)) {
			expect(() => run(`let x = 0;\n${code}`, 50), kind).toThrow(LoopTimeoutError);
		}
	});

	it('guards for await and loops in async functions, even when they only await microtasks', async () => {
		const body = `async () => {
			async function* forever() { for (;;) yield 1; }
			let n = 0;
			for await (const v of forever()) n += v;
		}`;
		await expect(compile(body, 100).fn() as Promise<unknown>).rejects.toThrow(LoopTimeoutError);
		const spin = compile('async () => { while (true) await null; }', 100).fn() as Promise<unknown>;
		await expect(spin).rejects.toThrow(/Loop ran longer than 0.1 s/);
	});

	it('lets a loop run past the limit when it yields to the event loop', async () => {
		const body = `async () => {
			const t0 = Date.now();
			let n = 0;
			while (Date.now() - t0 < 400) { n++; await new Promise((r) => setTimeout(r, 5)); }
			return n;
		}`;
		expect(await (compile(body, 100).fn() as Promise<number>)).toBeGreaterThan(10);
	});

	it('gives the same results as the unguarded code', () => {
		const programs = [
			'let s = 0; for (let i = 0; i < 1e6; i++) s += i; return s;',
			'const out = []; outer: for (let i = 0; i < 5; i++) { for (let j = 0; j < 5; j++) { if (j > i) continue outer; if (i === 4) break outer; out.push(`${i}${j}`); } } return out.join();',
			'let i = 0, s = ""; do s += i; while (++i < 5); return s;',
			'const o = {a: 1, b: 2}; let k2 = ""; for (const k in o) k2 += k; for (const v of [3, 4]) k2 += v; return k2;',
			'let n = 0; while (n < 10) if (n++ === 5) break; return n;',
			'const f = (k) => { let r = 1; while (k > 1) r *= k--; return r; }; return f(10);',
			'var fns = []; for (var i = 0; i < 3; i++) fns.push(() => i); return fns.map((f) => f()).join();',
			'const fns = []; for (let i = 0; i < 3; i++) fns.push(() => i); return fns.map((f) => f()).join();',
		];
		for (const p of programs) {
			const plain = new Function(p)();
			// A limit far above any run time: this test is about results, not timing (a busy CPU must not trip it).
			expect(run(p, 60_000), p).toEqual(plain);
		}
	});

	it('leaves strings, templates, regexes and comments that mention loops untouched', () => {
		const code = [
			'const a = "while(true){}";',
			"const b = 'for (;;) {}';",
			'const c = `do { } while(1) ${"for(;;)"}`;',
			'const d = /while\\(true\\)\\{\\}/.source;',
			'// while(true){}',
			'/* for (;;) {} */',
			'return [a, b, c, d].join("|");',
		].join('\n');
		const body = `() => {\n${code}\n}`;
		const g = guardLoops(body, 1);
		expect(g.loops).toBe(0);
		expect(g.code).toBe(body);
		expect(run(code)).toBe('while(true){}|for (;;) {}|do { } while(1) for(;;)|while\\(true\\)\\{\\}');
	});

	it('changes nothing but the inserted guards, and the result still parses', () => {
		const body = '() => {\nlet s = "x";\nfor (const c of s) s += c.length ? "" : c;\nreturn s;\n}';
		const g = guardLoops(body, 2);
		expect(g.loops).toBe(1);
		const stripped = g.code
			.replace(/\{const __dphLoop\d+ = __dphLoop\(2, \d+\); /g, '')
			.replace(/\{if \(--__dphLoop\d+\.n <= 0\) __dphLoop\d+\.check\(\); /g, '')
			.replace(/ if \(--__dphLoop\d+\.n <= 0\) __dphLoop\d+\.check\(\);/g, '')
			.replace(/\}\}/g, '');
		expect(stripped).toBe(body);
		expect(() => parseExpressionAt(g.code, 0, { ecmaVersion: 'latest' })).not.toThrow();
	});

	it('picks names the user code does not use', () => {
		const body = '() => { const __dphLoop0 = 1; let n = 0; while (n < 3) n++; return n + __dphLoop0; }';
		const g = guardLoops(body, 1);
		expect(g.factory).not.toBe('__dphLoop');
		expect(compile(body).fn()).toBe(4);
	});

	it('names the line in the cell as written, for TypeScript, imports and Markdown cells too', () => {
		const err = (value: string, mode: string) => {
			const body = transpile({ id: 5, value, mode } as never).body;
			try {
				compile(body, 30, 5, value).fn();
			} catch (e) {
				return (e as Error).message;
			}
			return 'no error';
		};
		expect(err('const x = 1;\n\nwhile (x) {}', 'js')).toMatch(/Cell 5 line 3\./);
		expect(err('const x: number = 1;\nfor (;;) {}', 'ts')).toMatch(/Cell 5 line 2\./);
		expect(err('# Title\n\n${(() => { while (1) {} })()}', 'md')).toMatch(/Cell 5 line 3\./);
	});
});

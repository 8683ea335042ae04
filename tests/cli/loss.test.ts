import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { type CliCommand, parse, UsageError } from '../../src/cli/args';
import { landscapeCommand, parseRange } from '../../src/cli/commands/landscape';
import { lossCommand } from '../../src/cli/commands/loss';
import { close, d1, d2, REFERENCE } from '../lib/dph/losses/reference';
import { capture } from './capture';

async function run(cmd: CliCommand, argv: string[]) {
	const io = capture();
	const code = await cmd.run(parse(cmd, argv), io);
	return { code, out: io.out, err: io.err };
}

/** The usage error a command throws (main() turns it into "dph: …" and exit 2). */
async function usageError(cmd: CliCommand, argv: string[]): Promise<string> {
	try {
		await run(cmd, argv);
	} catch (e) {
		expect(e).toBeInstanceOf(UsageError);
		return (e as Error).message;
	}
	throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('dph loss', () => {
	const pairs: [string, string[], Record<string, number>][] = [
		['sepdph', ['--eps', '0.1'], { eps: 0.1 }],
		['condph', ['--eps', '0.25'], { eps: 0.25 }],
		['dpo', [], {}],
		['cdpo', ['--eps', '0.25'], { eps: 0.25 }],
		['ipo', ['--beta', '0.6'], { beta: 0.6 }],
		['slic', ['--delta', '2'], { delta: 2 }],
		['rdpo', ['--eps', '0.2'], { eps: 0.2 }],
		['simpo', ['--gamma', '0.5'], { gamma: 0.5 }],
		['bco', ['--delta=-0.4'], { delta: -0.4 }],
		['bt', [], {}],
	];

	it.each(pairs)('%s --json matches the independent float64 formulas', async (name, opts, p) => {
		const { code, out } = await run(lossCommand, ['--loss', name, ...opts, '--rw', '1.2', '--rl=-0.3', '--json']);
		expect(code).toBe(0);
		const j = JSON.parse(out);
		expect(j.name).toBe(name);
		expect(j.params).toEqual(p);
		expect([j.rw, j.rl]).toEqual([1.2, -0.3]);
		const ref = REFERENCE[name];
		expect(close(j.loss, ref(1.2, -0.3, p), 1e-12, 1e-13)).toBe(true);
		expect(
			close(
				j.grad[0],
				d1((x) => ref(x, -0.3, p), 1.2),
				1e-6,
				1e-9,
			),
		).toBe(true);
		expect(
			close(
				j.grad[1],
				d1((y) => ref(1.2, y, p), -0.3),
				1e-6,
				1e-9,
			),
		).toBe(true);
		expect(
			close(
				j.hessian[0][0],
				d2((x) => ref(x, -0.3, p), 1.2),
				1e-5,
				1e-7,
			),
		).toBe(true);
		expect(
			close(
				j.hessian[1][1],
				d2((y) => ref(1.2, y, p), -0.3),
				1e-5,
				1e-7,
			),
		).toBe(true);
		expect(j.hessian[0][1]).toBe(j.hessian[1][0]);
		expect(j.convex).toBe(true);
		expect(['point', 'margin', 'set', 'diverges']).toContain(j.optimum.kind);
	});

	it('reports the closed-form optima, and rDPO’s −∞ infimum as a string', async () => {
		const sep = JSON.parse(
			(await run(lossCommand, ['--loss', 'sepdph', '--eps', '0.1', '--rw', '0', '--rl', '0', '--json'])).out,
		);
		expect(sep.optimum.kind).toBe('point');
		expect(sep.optimum.rw).toBeCloseTo(Math.log(9), 14);
		expect(sep.optimum.rl).toBeCloseTo(-Math.log(9), 14);
		const con = JSON.parse(
			(await run(lossCommand, ['--loss', 'condph', '--eps', '0.1', '--rw', '0', '--rl', '0', '--json'])).out,
		);
		expect(con.optimum).toMatchObject({ kind: 'margin', closedForm: true });
		expect(con.optimum.margin).toBeCloseTo(Math.log(9), 14);
		const zero = JSON.parse(
			(await run(lossCommand, ['--loss', 'condph', '--eps', '0', '--rw', '0', '--rl', '0', '--json'])).out,
		);
		expect(zero.optimum.kind).toBe('diverges');
		const r = JSON.parse(
			(await run(lossCommand, ['--loss', 'rdpo', '--eps', '0.1', '--rw', '0', '--rl', '0', '--json'])).out,
		);
		expect(r.optimum.infimum).toBe('-Infinity');
	});

	it('--noise evaluates the expected loss under flipped labels (DPO at η = ConDPH at ε = η)', async () => {
		const j = JSON.parse(
			(await run(lossCommand, ['--loss', 'dpo', '--noise', '0.2', '--rw', '1', '--rl', '0.5', '--json'])).out,
		);
		expect(j.noise).toBe(0.2);
		expect(close(j.loss, REFERENCE.condph(1, 0.5, { eps: 0.2 }), 1e-12, 1e-14)).toBe(true);
		expect(j.optimum.margin).toBeCloseTo(Math.log(4), 9);
	});

	it('prints a readable summary without --json', async () => {
		const { out } = await run(lossCommand, ['--loss', 'condph', '--eps', '0.1', '--rw', '1.2', '--rl=-0.3']);
		expect(out).toMatch(/^Contrastive DPH \(eps = 0\.1\) at r_w = 1\.2, r_l = -0\.3/);
		expect(out).toMatch(/optimum {2}line r_w − r_l = 2\.19722/);
	});

	it('--list names every loss with its parameters and ranges; --list --json is machine-readable', async () => {
		const { out } = await run(lossCommand, ['--list']);
		for (const n of ['sepdph', 'condph', 'dpo', 'cdpo', 'ipo', 'slic', 'rdpo', 'simpo', 'bco', 'bt']) {
			expect(out).toMatch(new RegExp(`^${n} `, 'm'));
		}
		expect(out).toMatch(/--eps \(0 ≤ eps ≤ 0\.5, default 0\.1\)/);
		expect(out).toMatch(/rdpo .*0 ≤ eps < 0\.5/);
		const j = JSON.parse((await run(lossCommand, ['--list', '--json'])).out);
		expect(j).toHaveLength(10);
		expect(j[4]).toMatchObject({ name: 'ipo', params: [{ name: 'beta', range: 'beta > 0', max: 'Infinity' }] });
	});

	it('usage errors name the problem', async () => {
		expect(await usageError(lossCommand, ['--loss', 'kto', '--rw', '1', '--rl', '0'])).toBe(
			'unknown loss "kto": valid losses are sepdph, condph, dpo, cdpo, ipo, slic, rdpo, simpo, bco, bt',
		);
		expect(await usageError(lossCommand, ['--loss', 'sepdph', '--eps', '0.6', '--rw', '1', '--rl', '0'])).toBe(
			'sepdph: eps = 0.6 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		expect(await usageError(lossCommand, ['--loss', 'sepdph', '--eps=-0.1', '--rw', '1', '--rl', '0'])).toBe(
			'sepdph: eps = -0.1 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		expect(await usageError(lossCommand, ['--loss', 'sepdph', '--eps', 'NaN', '--rw', '1', '--rl', '0'])).toMatch(
			/--eps must be a number/,
		);
		expect(await usageError(lossCommand, ['--loss', 'ipo', '--beta', '0', '--rw', '1', '--rl', '0'])).toBe(
			'ipo: beta = 0 is out of range: valid beta > 0',
		);
		expect(await usageError(lossCommand, ['--loss', 'dpo', '--eps', '0.1', '--rw', '1', '--rl', '0'])).toBe(
			'dpo: unknown parameter "eps" (dpo takes no parameters)',
		);
		expect(await usageError(lossCommand, ['--loss', 'dpo', '--rw', '1'])).toMatch(/--rw and --rl are required/);
		expect(await usageError(lossCommand, ['--rw', '1', '--rl', '0'])).toMatch(/--loss is required/);
		expect(await usageError(lossCommand, ['--loss', 'dpo', '--noise', '2', '--rw', '1', '--rl', '0'])).toMatch(
			/eta = 2 is out of range/,
		);
	});
});

describe('dph landscape', () => {
	it('CSV: header, n² rows, row-major with r_w fastest, values equal to the float64 formulas in float32', async () => {
		const { code, out } = await run(landscapeCommand, [
			'--loss',
			'condph',
			'--eps',
			'0.1',
			'--range=-6:6',
			'--grid',
			'5',
		]);
		expect(code).toBe(0);
		const lines = out.trim().split('\n');
		expect(lines[0]).toBe('r_w,r_l,loss,d_rw,d_rl');
		expect(lines).toHaveLength(26);
		const rows = lines.slice(1).map((l) => l.split(',').map(Number));
		expect(rows.slice(0, 5).map((r) => r[0])).toEqual([-6, -3, 0, 3, 6]);
		expect(rows.slice(0, 5).map((r) => r[1])).toEqual([-6, -6, -6, -6, -6]);
		expect(rows[5].slice(0, 2)).toEqual([-6, -3]);
		for (const [rw, rl, L, gw, gl] of rows) {
			const ref = REFERENCE.condph(rw, rl, { eps: 0.1 });
			expect(close(L, ref, 1e-6, 1e-7)).toBe(true);
			expect(
				close(
					gw,
					d1((x) => REFERENCE.condph(x, rl, { eps: 0.1 }), rw),
					1e-6,
					1e-7,
				),
			).toBe(true);
			expect(gl).toBe(-gw);
		}
	});

	it('JSON: arrays, optimum and region', async () => {
		const j = JSON.parse(
			(await run(landscapeCommand, ['--loss', 'sepdph', '--eps', '0.25', '--grid', '9', '--format', 'json'])).out,
		);
		expect(j).toMatchObject({ name: 'sepdph', params: { eps: 0.25 }, n: 9, lo: -6, hi: 6, step: 1.5 });
		expect(j.coords).toEqual([-6, -4.5, -3, -1.5, 0, 1.5, 3, 4.5, 6]);
		expect(j.loss).toHaveLength(81);
		expect(j.d_rw).toHaveLength(81);
		expect(j.optimum.kind).toBe('point');
		expect(j.region).toMatchObject({ kind: 'point', inside: true });
		const k = 7 * 9 + 2; // r_w = coords[2], r_l = coords[7]
		expect(close(j.loss[k], REFERENCE.sepdph(-3, 4.5, { eps: 0.25 }), 1e-6, 1e-7)).toBe(true);
		expect(Math.min(...j.loss)).toBe(j.min);
	});

	it('SVG: well-formed, with axes, the optimum and at most 128 cells per side', async () => {
		const { out } = await run(landscapeCommand, [
			'--loss',
			'condph',
			'--eps',
			'0.1',
			'--grid',
			'512',
			'--format',
			'svg',
			'--band',
			'0.2',
		]);
		const doc = new JSDOM(out, { contentType: 'image/svg+xml' }).window.document;
		expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
		expect(doc.documentElement.tagName).toBe('svg');
		expect(out).toMatch(/r_w \(preferred reward\)/);
		expect(out).toMatch(/r_l \(dispreferred reward\)/);
		expect(out).toMatch(/<line [^>]*stroke="#e4572e"[^>]*><title>optimal margin r_w − r_l = 2\.19722/);
		expect(out).toMatch(/<polygon /); // the band
		// every run is at least one of 128 cells wide
		const widths = [...out.matchAll(/h([\d.]+)v/g)].map((m) => Number(m[1]));
		expect(Math.min(...widths)).toBeGreaterThanOrEqual(440 / 128);
		expect(out.length).toBeLessThan(1_000_000);
		const dpo = (await run(landscapeCommand, ['--loss', 'dpo', '--grid', '64', '--format', 'svg'])).out;
		expect(dpo).toMatch(/no finite optimum: r_w − r_l → \+∞/);
		const sep = (await run(landscapeCommand, ['--loss', 'sepdph', '--grid', '64', '--format', 'svg'])).out;
		expect(sep).toMatch(/<circle [^>]*><title>optimum r_w = 2\.19722, r_l = -2\.19722/);
	});

	it('--out writes a file and reports on stderr', async () => {
		const file = join(mkdtempSync(join(tmpdir(), 'dph-landscape-')), 'g.csv');
		const { out, err } = await run(landscapeCommand, ['--loss', 'bco', '--grid', '3', '--out', file]);
		expect(out).toBe('');
		expect(err).toMatch(/wrote csv for bco \(3×3\)/);
		expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('r_w,r_l,loss,d_rw,d_rl');
	});

	it('usage errors: unknown loss, ε out of range, bad --range, --grid, --format', async () => {
		expect(await usageError(landscapeCommand, ['--loss', 'nope'])).toMatch(
			/unknown loss "nope": valid losses are sepdph/,
		);
		expect(await usageError(landscapeCommand, ['--loss', 'condph', '--eps', '0.7'])).toBe(
			'condph: eps = 0.7 is out of range: valid 0 ≤ eps ≤ 0.5',
		);
		for (const r of ['6:-6', '1:1', 'a:b', '-6', '-6:6:7', ':6', 'Infinity:1']) {
			expect(await usageError(landscapeCommand, ['--loss', 'condph', `--range=${r}`])).toMatch(/--range must be LO:HI/);
		}
		expect(await usageError(landscapeCommand, ['--loss', 'condph', '--grid', '1'])).toMatch(
			/--grid must be a whole number/,
		);
		expect(await usageError(landscapeCommand, ['--loss', 'condph', '--grid', '10.5'])).toMatch(/--grid must be/);
		expect(await usageError(landscapeCommand, ['--loss', 'condph', '--format', 'png'])).toBe(
			'--format must be one of csv, json, svg, got "png"',
		);
		expect(parseRange(' -2.5:4 ')).toEqual({ lo: -2.5, hi: 4 });
	});
});

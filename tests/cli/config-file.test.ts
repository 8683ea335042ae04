import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNonFiniteLiteral, readTrainConfigFile } from '../../src/cli/config-file';
import { main } from '../../src/cli/main';
import { capture } from './capture';

function dir() {
	return mkdtempSync(join(tmpdir(), 'dph-config-'));
}

/** `dph train <file> …` on a config file holding `text`; the exit code and stderr. */
async function train(text: string, ...flags: string[]) {
	const d = dir();
	const file = join(d, 'c.json');
	writeFileSync(file, text);
	const io = capture();
	const code = await main(['train', file, '--backend', 'cpu', '--out', join(d, 'out'), ...flags], io);
	return { code, err: io.err, out: io.out, dir: d };
}

describe('dph train: the config file', () => {
	it('a config holding null, an array or a number is a usage error saying it must be an object', async () => {
		for (const [text, got] of [
			['null', 'null'],
			['[1]', 'an array'],
			['3', 'number 3'],
		]) {
			const r = await train(text, '--steps', '5');
			expect(r.code, r.err).toBe(2);
			expect(r.err).toMatch(new RegExp(`c\\.json: the training config must be a JSON object .*got ${got}`));
			expect(r.err).not.toMatch(/Cannot set properties/);
		}
	});

	it('a number literal too large for a double is reported with its field path and as written, not as null', async () => {
		const r = await train('{"optim": {"lr": 0.01,\n  "weightDecay": 1e999}}');
		expect(r.code, r.err).toBe(2);
		expect(r.err).toMatch(
			/c\.json: optim\.weightDecay = 1e999 \(line 2, column 18\) is too large for a number \(JSON reads it as Infinity\)/,
		);
		expect(r.err).not.toMatch(/null/);
		expect(findNonFiniteLiteral('{"grid": {"lr": [0.1, -2e400]}, "a": "1e999"}')).toEqual({
			path: 'grid.lr[1]',
			literal: '-2e400',
			offset: 22,
		});
		expect(findNonFiniteLiteral('{"a": "1e999", "b": [1e300, {"c": 1e-999}]}')).toBeNull();
		expect(findNonFiniteLiteral('1e999')?.path).toBe('(root)');
	});

	it('a syntax error gives the line and column', async () => {
		const r = await train('{\n  "steps": 5,\n}');
		expect(r.code).toBe(2);
		expect(r.err).toMatch(/c\.json is not valid JSON: .*line 3, column 1/);
	});

	it('--steps and --seed are checked on their own (--steps -1 is not blamed on optim.warmupSteps)', async () => {
		for (const [flags, message] of [
			[['--steps', '-1'], /^dph: --steps must be a whole number ≥ 1, got "-1"\n$/],
			[['--steps', '0'], /^dph: --steps must be a whole number ≥ 1, got "0"\n$/],
			[['--steps', '2.5'], /^dph: --steps must be a whole number ≥ 1, got "2\.5"\n$/],
			[['--seed', '-3'], /^dph: --seed must be a whole number in 0\.\.4294967295, got "-3"\n$/],
		] as const) {
			const r = await train('{}', ...flags);
			expect(r.code, flags.join(' ')).toBe(2);
			expect(r.err).toMatch(message);
		}
		// The same in the file: steps is reported, not the warm-up derived from it.
		const r = await train('{"steps": -1}');
		expect(r.code).toBe(2);
		expect(r.err).toMatch(/c\.json: steps = -1 is invalid: valid a whole number/);
	});

	it('data.jsonl with a task other than "jsonl" is an error, not silently ignored', async () => {
		const r = await train(JSON.stringify({ data: { jsonl: '{"prompt":"q","chosen":"a","rejected":"b"}' } }));
		expect(r.code).toBe(2);
		expect(r.err).toMatch(/data\.jsonl is given but data\.task is "echo".*set data\.task to "jsonl"/);
	});

	it('data.jsonlPath names a JSONL file relative to the config file; errors name the resolved path', async () => {
		const d = dir();
		mkdirSync(join(d, 'cfg'));
		const pairs = Array.from({ length: 12 }, (_, i) =>
			JSON.stringify({ prompt: `q${i}`, chosen: 'yes', rejected: 'no' }),
		).join('\n');
		writeFileSync(join(d, 'cfg', 'pairs.jsonl'), pairs);
		const file = join(d, 'cfg', 'c.json');
		writeFileSync(file, JSON.stringify({ data: { task: 'jsonl', jsonlPath: 'pairs.jsonl' } }));
		expect(readTrainConfigFile(file)).toEqual({ data: { task: 'jsonl', jsonl: pairs } });

		const cases: [object, RegExp][] = [
			[
				{ data: { task: 'jsonl', jsonlPath: 'nope.jsonl' } },
				/data\.jsonlPath = "nope\.jsonl": cannot read .*cfg\/nope\.jsonl: ENOENT.*relative paths are resolved against the config file's folder/,
			],
			[
				{ data: { jsonlPath: 'pairs.jsonl' } },
				/data\.jsonlPath is given but data\.task is not set \(the preset trains on "echo"\); set data\.task to "jsonl"/,
			],
			[
				{ data: { task: 'jsonl', jsonlPath: 'pairs.jsonl', jsonl: pairs } },
				/give data\.jsonl \(the text\) or data\.jsonlPath \(a file\), not both/,
			],
			[{ data: { task: 'jsonl', jsonlPath: 3 } }, /data\.jsonlPath must be the path of a JSONL file, got 3/],
		];
		for (const [cfg, message] of cases) {
			writeFileSync(file, JSON.stringify(cfg));
			const io = capture();
			expect(await main(['train', file, '--steps', '2'], io), JSON.stringify(cfg)).toBe(2);
			expect(io.err).toMatch(message);
		}

		// The working directory is not the config's folder: the path resolves against the config's folder.
		writeFileSync(
			file,
			JSON.stringify({ batchSize: 2, evalEvery: 2, data: { task: 'jsonl', jsonlPath: 'pairs.jsonl', maxLen: 32 } }),
		);
		const io = capture();
		const code = await main(['train', file, '--steps', '2', '--backend', 'cpu', '--out', join(d, 'out'), '--json'], io);
		expect(code, io.err).toBe(0);
		expect(io.err).toMatch(/task jsonl · 2 steps/);
		const saved = JSON.parse(readFileSync(join(d, 'out', 'training_config.json'), 'utf8'));
		expect(saved.data.task).toBe('jsonl');
		expect(saved.optim.warmupSteps).toBe(0);
	}, 120_000);

	it('--help documents data.jsonlPath', async () => {
		const io = capture();
		await main(['train', '--help'], io);
		expect(io.out).toMatch(/data\.jsonlPath/);
		expect(io.out).not.toMatch(/the JSONL named in the config/);
	});
});

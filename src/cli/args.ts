/**
 * Argument parsing and the error conventions every `dph` command shares:
 * usage errors → `dph: <message>` and exit 2; failures → `dph: <message>` and exit 1; an output folder in use by
 * another process → exit 75 (EX_TEMPFAIL: try again later, which schedulers that retry on other codes will do).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { BACKENDS, type BackendName, type InitOptions } from '../lib/dph/backend.ts';
import { cliMeasured } from './backend-cache.ts';

export class UsageError extends Error {
	override name = 'UsageError';
}

/** The command cannot start now because another process holds what it would write (exit 75). */
export class BusyError extends Error {
	override name = 'BusyError';
}

export const EXIT_BUSY = 75;

export type Options = NonNullable<ParseArgsConfig['options']>;

/** A command's options by type: `--name value` options and `--name` flags (no short forms; `-h` is global). */
export function cliOptions(o: { string?: readonly string[]; boolean?: readonly string[] }): Options {
	const opts: Options = {};
	for (const name of o.string ?? []) opts[name] = { type: 'string' };
	for (const name of o.boolean ?? []) opts[name] = { type: 'boolean' };
	return opts;
}

export interface CliCommand {
	name: string;
	summary: string;
	usage: string;
	/** Extra help text after the usage line. */
	help?: string;
	options: Options;
	run(args: ParsedArgs, io: CliIO): Promise<number>;
}

export interface ParsedArgs {
	values: Record<string, string | boolean | (string | boolean)[] | undefined>;
	positionals: string[];
}

export interface CliIO {
	stdout: (s: string) => void;
	stderr: (s: string) => void;
	/** True when stderr is a terminal, so progress bars may redraw in place. */
	isTTY: boolean;
}

/**
 * node:util parseArgs reads "--rl -0.3" as two options; join a string option with a following negative number
 * ("--rl=-0.3") so the documented forms `--rl -0.3` and `--range -6:6` work.
 */
function joinNegativeValues(cmd: CliCommand, argv: string[]): string[] {
	const out: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const m = /^--([^=]+)$/.exec(argv[i]);
		const next = argv[i + 1];
		if (m && cmd.options[m[1]]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
			out.push(`${argv[i]}=${next}`);
			i++;
		} else out.push(argv[i]);
	}
	return out;
}

export function parse(cmd: CliCommand, argv: string[]): ParsedArgs {
	try {
		const { values, positionals } = parseArgs({
			args: joinNegativeValues(cmd, argv),
			options: { help: { type: 'boolean', short: 'h' }, ...cmd.options },
			allowPositionals: true,
			strict: true,
		});
		return { values: values as ParsedArgs['values'], positionals };
	} catch (e) {
		throw new UsageError(`${cmd.name}: ${(e as Error).message.replace(/^.*?: /, '')}`);
	}
}

export function str(args: ParsedArgs, key: string): string | undefined {
	const v = args.values[key];
	return typeof v === 'string' ? v : undefined;
}

export function flag(args: ParsedArgs, key: string): boolean {
	return args.values[key] === true;
}

/** A finite number from an option, or a usage error naming the option. */
export function num(args: ParsedArgs, key: string, fallback?: number): number | undefined {
	const v = str(args, key);
	if (v === undefined) return fallback;
	const n = Number(v);
	if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${key} must be a number, got "${v}"`);
	return n;
}

/** A whole number from an option, in [min, max], or a usage error naming the option and the range. */
export function int(args: ParsedArgs, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
	const v = str(args, key);
	if (v === undefined) return undefined;
	const n = Number(v);
	if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
		const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
		throw new UsageError(`--${key} must be a whole number ${range}, got "${v}"`);
	}
	return n;
}

/** `--backend`, checked against the backends there are; undefined when not given. */
export function backendArg(args: ParsedArgs): BackendName | undefined {
	const v = str(args, 'backend');
	if (v !== undefined && !BACKENDS.includes(v as BackendName)) {
		throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${v}"`);
	}
	return v as BackendName | undefined;
}

/**
 * How headless work (train, sweep, score, generate) picks its backend: the one named, else the one measured
 * fastest on this machine (backend-cache.ts; measured on first use), passing over a software WebGPU adapter.
 */
export function headlessBackend(backend: BackendName | undefined): InitOptions {
	return backend ? { prefer: backend } : { skipSoftwareGpu: true, measured: cliMeasured() };
}

export function formatHelp(cmd: CliCommand): string {
	const lines = [`Usage: ${cmd.usage}`, '', cmd.summary];
	if (cmd.help) lines.push('', cmd.help.trimEnd());
	const opts = Object.entries(cmd.options);
	if (!cmd.help && opts.length) {
		lines.push('', 'Options:');
		for (const [name, o] of opts) {
			const short = o.short ? `-${o.short}, ` : '    ';
			lines.push(`  ${short}--${name}${o.type === 'string' ? ' <value>' : ''}`);
		}
		lines.push('  -h, --help');
	}
	return `${lines.join('\n')}\n`;
}

/**
 * `dph` — everything a page does, headless. Each subcommand lives in src/cli/commands/<name>.ts.
 */
import { readFileSync } from 'node:fs';
import { BusyError, type CliCommand, type CliIO, EXIT_BUSY, formatHelp, parse, UsageError } from './args.ts';
import { backendCommand } from './commands/backend.ts';
import { benchCommand } from './commands/bench.ts';
import { bestofnCommand } from './commands/bestofn.ts';
import { evalCommand } from './commands/eval.ts';
import { generateCommand } from './commands/generate.ts';
import { inspectCommand } from './commands/inspect.ts';
import { landscapeCommand } from './commands/landscape.ts';
import { lossCommand } from './commands/loss.ts';
import { scoreCommand } from './commands/score.ts';
import { sweepCommand } from './commands/sweep.ts';
import { trainCommand } from './commands/train.ts';

const COMMANDS: CliCommand[] = [
	backendCommand,
	lossCommand,
	landscapeCommand,
	trainCommand,
	scoreCommand,
	generateCommand,
	evalCommand,
	bestofnCommand,
	inspectCommand,
	sweepCommand,
	benchCommand,
];

function version(): string {
	const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
	return pkg.version;
}

export function topHelp(): string {
	const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
	const lines = [
		'dph — Direct Preference Heads workbench, headless',
		'',
		'Usage: dph <command> [options]      dph <command> --help',
		'',
		'Commands:',
		...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
	];
	lines.push(
		'',
		'Global options:',
		'  -h, --help       show help',
		'  -v, --version    print the version',
		'',
		'Conventions: machine-readable output with --json on stdout; progress and messages on stderr;',
		'exit 0 on success, 1 on failure, 2 on a usage error, 75 when the output is in use (try again later).',
	);
	return `${lines.join('\n')}\n`;
}

export function defaultIO(): CliIO {
	return {
		stdout: (s) => process.stdout.write(s),
		stderr: (s) => process.stderr.write(s),
		isTTY: Boolean(process.stderr.isTTY),
	};
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
	const [name, ...rest] = argv;
	try {
		if (!name || name === '--help' || name === '-h' || name === 'help') {
			io.stdout(topHelp());
			return name ? 0 : 2;
		}
		if (name === '--version' || name === '-v') {
			io.stdout(`${version()}\n`);
			return 0;
		}
		const cmd = COMMANDS.find((c) => c.name === name);
		if (!cmd) throw new UsageError(`unknown command "${name}"; run "dph --help" for the list`);
		const args = parse(cmd, rest);
		if (args.values.help) {
			io.stdout(formatHelp(cmd));
			return 0;
		}
		return await cmd.run(args, io);
	} catch (e) {
		if (e instanceof UsageError) {
			io.stderr(`dph: ${e.message}\n`);
			return 2;
		}
		if (e instanceof BusyError) {
			io.stderr(`dph: ${e.message}\n`);
			return EXIT_BUSY;
		}
		io.stderr(`dph: ${e instanceof Error ? e.message : String(e)}\n`);
		return 1;
	}
}

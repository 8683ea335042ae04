/**
 * `dph` — everything a page does, headless. Each subcommand lives in src/cli/commands/<name>.ts.
 */
import { readFileSync } from 'node:fs';
import { type CliCommand, type CliIO, formatHelp, parse, UsageError } from './args.ts';
import { backendCommand } from './commands/backend.ts';
import { benchCommand } from './commands/bench.ts';
import { landscapeCommand } from './commands/landscape.ts';
import { lossCommand } from './commands/loss.ts';
import { sweepCommand } from './commands/sweep.ts';
import { trainCommand } from './commands/train.ts';

/** Commands that exist now; later issues register theirs here. */
const COMMANDS: CliCommand[] = [
	backendCommand,
	lossCommand,
	landscapeCommand,
	trainCommand,
	benchCommand,
	sweepCommand,
];

/** Planned commands, listed in --help so users know they are coming and where they are tracked. */
const PLANNED: Record<string, string> = {
	loss: 'loss, gradient, Hessian and optimum of one preference loss at one pair (Loss theory issue)',
	landscape: 'loss + gradient grid as CSV/JSON/SVG (Loss theory issue)',
	score: 'score candidates with a checkpoint (Checkpoints issue)',
	inspect: 'model card and tensor table of a checkpoint (Checkpoints issue)',
};

function version(): string {
	const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
	return pkg.version;
}

export function topHelp(): string {
	const width = Math.max(...[...COMMANDS.map((c) => c.name), ...Object.keys(PLANNED)].map((n) => n.length)) + 2;
	const lines = [
		'dph — Direct Preference Heads workbench, headless',
		'',
		'Usage: dph <command> [options]      dph <command> --help',
		'',
		'Commands:',
		...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
	];
	const planned = Object.entries(PLANNED).filter(([n]) => !COMMANDS.some((c) => c.name === n));
	if (planned.length) {
		lines.push('', 'Coming (see docs/ROADMAP.md):', ...planned.map(([n, s]) => `  ${n.padEnd(width)}${s}`));
	}
	lines.push(
		'',
		'Global options:',
		'  -h, --help       show help',
		'  -v, --version    print the version',
		'',
		'Conventions: machine-readable output with --json on stdout; progress and messages on stderr;',
		'exit 0 on success, 1 on failure, 2 on a usage error.',
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
		if (!cmd) {
			if (PLANNED[name]) throw new UsageError(`"${name}" is not available yet: ${PLANNED[name]}`);
			throw new UsageError(`unknown command "${name}"; run "dph --help" for the list`);
		}
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
		io.stderr(`dph: ${e instanceof Error ? e.message : String(e)}\n`);
		return 1;
	}
}

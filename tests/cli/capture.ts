import type { CliIO } from '../../src/cli/args';

/** A CliIO that collects what a command writes, for assertions. */
export function capture(): CliIO & { out: string; err: string } {
	const io = {
		out: '',
		err: '',
		isTTY: false,
		stdout: (s: string) => {
			io.out += s;
		},
		stderr: (s: string) => {
			io.err += s;
		},
	};
	return io;
}

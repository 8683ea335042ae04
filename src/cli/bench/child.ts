/**
 * A child process for a bench part that must run apart (a fresh Node for peak RSS, the PyTorch yardstick):
 * its exit code and whole output, and the JSON object on the last line of its stdout.
 */
import { spawn } from 'node:child_process';

export interface ChildResult {
	/** null when the program could not be started (err then says why). */
	code: number | null;
	out: string;
	err: string;
}

/** env: variables added to this process's environment for the child. */
export function runChild(cmd: string, args: string[], env?: Record<string, string>): Promise<ChildResult> {
	return new Promise((resolve) => {
		const child = spawn(cmd, args, {
			stdio: ['ignore', 'pipe', 'pipe'],
			...(env ? { env: { ...process.env, ...env } } : {}),
		});
		let out = '';
		let err = '';
		child.stdout.on('data', (d: Buffer) => {
			out += d.toString();
		});
		child.stderr.on('data', (d: Buffer) => {
			err += d.toString();
		});
		child.on('error', (e) => resolve({ code: null, out, err: e.message }));
		child.on('close', (code) => resolve({ code, out, err }));
	});
}

/** Runs `cmd args` and parses its last stdout line as JSON; `what` names it in the errors. */
export async function runChildJson<T>(
	cmd: string,
	args: string[],
	what: string,
	env?: Record<string, string>,
): Promise<T> {
	const r = await runChild(cmd, args, env);
	if (r.code !== 0) throw new Error(`${what} exited with ${r.code}: ${r.err.trim().split('\n').slice(-3).join(' ')}`);
	try {
		return JSON.parse(r.out.trim().split('\n').pop() ?? '') as T;
	} catch {
		throw new Error(`${what} printed no JSON result: ${r.out.slice(0, 200)}`);
	}
}

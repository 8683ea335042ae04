/**
 * Where the CLI keeps its backend measurement: `$DPH_BACKEND_CACHE`, else `$XDG_CACHE_HOME/dph/backend.json`, else
 * `~/.cache/dph/backend.json`. Written to a temporary file and renamed, so two commands measuring at once never
 * leave half a file for a third to read.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CachedMeasurement } from '../lib/dph/backend-choice.ts';
import type { AutoOptions } from '../lib/dph/backend-measure.ts';

export function backendCachePath(env: NodeJS.ProcessEnv = process.env): string {
	if (env.DPH_BACKEND_CACHE) return env.DPH_BACKEND_CACHE;
	return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dph', 'backend.json');
}

export function readBackendCache(path = backendCachePath()): string | null {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return null;
	}
}

export function writeBackendCache(entry: CachedMeasurement, path = backendCachePath()): void {
	mkdirSync(dirname(path), { recursive: true });
	const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
	writeFileSync(tmp, `${JSON.stringify(entry, null, '\t')}\n`);
	renameSync(tmp, path);
}

/**
 * The measured-choice options of a command given no --backend: the stored measurement, measured now when it is
 * missing or stale (unless DPH_BACKEND_MEASURE=0, which the unit tests set so no test measures unasked).
 */
export function cliMeasured(
	opts: { force?: boolean; say?: (line: string) => void } = {},
	env: NodeJS.ProcessEnv = process.env,
): AutoOptions {
	const path = backendCachePath(env);
	const say = opts.say ?? ((line: string) => process.stderr.write(line));
	return {
		cached: readBackendCache(path),
		force: opts.force,
		measure: opts.force || env.DPH_BACKEND_MEASURE !== '0',
		// Dawn blocks the thread while SwiftShader compiles, past any budget (backend-measure.ts).
		skipSoftwareGpu: true,
		save: (entry) => {
			try {
				writeBackendCache(entry, path);
			} catch (e) {
				say(`dph: could not store the backend measurement in ${path}: ${(e as Error).message}\n`);
			}
		},
		onMeasureStart: (reason) =>
			say(`dph: timing the backends once for this machine (${reason}); the result is kept in ${path}\n`),
	};
}

/**
 * A random-weight F16 checkpoint folder of a given shape, written once and kept under the user's cache folder
 * (`$XDG_CACHE_HOME/dph/bench-checkpoints`, else `~/.cache/dph/…`; never inside the repository): the paper's medium
 * shape is 1.14 GB, which takes ~10 s of CPU to generate and should not be rewritten by every benchmark run or
 * browser test. The folder is written to a temporary sibling and renamed into place (writeFolderAtomically), so a
 * run killed halfway leaves no half-written folder that a later run would trust; its name carries a hash of the
 * config and seed, so a changed shape gets a folder of its own.
 */
import { stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CharTokenizer } from '../../lib/dph/data/char-tokenizer';
import { hashString } from '../../lib/dph/hash';
import { type LSWTConfig, toConfigJson } from '../../lib/dph/model/config';
import { writeFolderAtomically } from '../../node/checkpoint-folder-write';
import { writeRandomF16Checkpoint } from './checkpoint-harness';

/** Bumped when the folder's contents change for the same config and seed. */
const FORMAT = 1;

export function benchCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	return join(env.DPH_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dph'), 'bench-checkpoints');
}

/** The folder for `config` (written now when absent); `name` prefixes its folder name ("medium"). */
export async function cachedRandomCheckpoint(
	name: string,
	config: LSWTConfig,
	opts: { seed?: number; parent?: string; log?: (s: string) => void } = {},
): Promise<string> {
	const seed = opts.seed ?? 1;
	const configJson = toConfigJson(config);
	const key = hashString(JSON.stringify({ FORMAT, seed, configJson })).slice(0, 12);
	const dir = join(opts.parent ?? benchCacheDir(), `${name}-${key}`);
	if (await stat(join(dir, 'model.safetensors')).catch(() => null)) return dir;
	opts.log?.(`writing a random F16 ${name} checkpoint to ${dir} (once; later runs reuse it)…\n`);
	await writeFolderAtomically(dir, async (tmp) => {
		await writeFile(join(tmp, 'config.json'), JSON.stringify(configJson, null, 2));
		await writeFile(join(tmp, 'tokenizer.json'), JSON.stringify(new CharTokenizer().toJSON()));
		await writeRandomF16Checkpoint(join(tmp, 'model.safetensors'), config, seed);
	});
	return dir;
}

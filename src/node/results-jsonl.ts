/**
 * The results store of the CLI: a JSONL file, one run per line, appended and flushed to disk (fsync) as each run
 * finishes. A line left incomplete by a crash is reported, cut off the file and redone on resume.
 */
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseResultsJsonl, type ResultsStore, type RunResult, resultLine } from '../lib/dph/sweep/results';

export class JsonlResultsStore implements ResultsStore {
	/** Set by load() when the file's last line lacks its newline, so the next append does not glue onto it. */
	private needsNewline = false;

	constructor(
		readonly path: string,
		private warn: (message: string) => void = () => {},
	) {}

	async load(): Promise<RunResult[]> {
		let text: string;
		try {
			text = await readFile(this.path, 'utf8');
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw e;
		}
		const parsed = parseResultsJsonl(text, this.path);
		for (const w of parsed.warnings) this.warn(w);
		if (parsed.truncatedTail) {
			await truncate(this.path, Buffer.byteLength(text) - parsed.truncatedTail);
		}
		this.needsNewline = parsed.needsNewline;
		return parsed.results;
	}

	async append(r: RunResult): Promise<void> {
		await mkdir(dirname(this.path), { recursive: true });
		const fh = await open(this.path, 'a');
		try {
			// One write per record, then fsync: a crash afterwards cannot lose a finished run.
			await fh.writeFile(`${this.needsNewline ? '\n' : ''}${resultLine(r)}`);
			await fh.sync();
			this.needsNewline = false;
		} finally {
			await fh.close();
		}
	}
}

/** Read a results file for merge (no repair: merge never writes to its inputs). */
export async function readResultsFile(path: string, warn: (m: string) => void = () => {}): Promise<RunResult[]> {
	const parsed = parseResultsJsonl(await readFile(path, 'utf8'), path);
	for (const w of parsed.warnings) warn(w);
	return parsed.results;
}

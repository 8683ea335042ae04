/**
 * `dph train --data FILE.jsonl`: the file's text becomes the config's `data.jsonl` (task "jsonl"), checked here
 * first so every problem names the file and its line: lines that do not parse are skipped with a warning each, a
 * file with no usable line is a usage error, and messages-only (SFT) lines in a run with a DPH or cDPO term are an
 * error, as they have no rejected answer.
 */
import { readFileSync } from 'node:fs';
import { type JsonlResult, parseJsonl } from '../lib/dph/data/jsonl.ts';
import type { TrainConfig } from '../lib/dph/train/config.ts';
import { sftOnly } from '../lib/dph/train/dataset.ts';
import { isObject, type Obj } from '../lib/dph/validate.ts';
import { UsageError } from './args.ts';

/** Bad lines listed one by one; the rest are counted. */
const SHOWN = 5;

export interface DataFile {
	path: string;
	parsed: JsonlResult;
}

/** Read FILE into `raw.data` (replacing the config's own data source), or fail naming it. */
export function readDataFlag(path: string, raw: Obj): DataFile {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (e) {
		throw new UsageError(`--data ${path}: cannot read it: ${(e as Error).message}`);
	}
	const parsed = parseJsonl(text, { chat: true });
	if (!parsed.records.length && !parsed.chats.length) {
		const why = parsed.errors.length
			? parsed.errors
					.slice(0, 3)
					.map((e) => `${path} ${e.message}`)
					.join('; ')
			: 'it is empty';
		throw new UsageError(`--data ${path}: no usable line: ${why}`);
	}
	if (!parsed.pairs.length && !parsed.chats.length) {
		throw new UsageError(
			`--data ${path}: no line can train: multiple-choice lines need a "label" to become preference pairs (line ${parsed.records[0].line})`,
		);
	}
	const { jsonlPath: _path, jsonl: _text, ...rest } = isObject(raw.data) ? raw.data : {};
	raw.data = { ...rest, task: 'jsonl', jsonl: text };
	return { path, parsed };
}

/** What the run is about to train on, once the config is resolved: warnings to print, or a usage error. */
export function checkDataFile(f: DataFile, cfg: TrainConfig): string[] {
	const { chats, errors, records } = f.parsed;
	if (chats.length && !sftOnly(cfg)) {
		throw new UsageError(
			`--data ${f.path}: line ${chats[0].line}${chats.length > 1 ? ` and ${chats.length - 1} more` : ''} ${chats.length > 1 ? 'are' : 'is a'} messages-only (SFT) line${chats.length > 1 ? 's' : ''} with no rejected answer, which only the SFT term can train: set objective.dpoWeight and objective.dphWeight to 0 (and objective.sftWeight > 0), or give ${chats.length > 1 ? 'them' : 'it'} "chosen"/"rejected"`,
		);
	}
	const warnings = errors.slice(0, SHOWN).map((e) => `${f.path} ${e.message} (skipped)`);
	if (errors.length > SHOWN) warnings.push(`${f.path}: ${errors.length - SHOWN} more bad lines skipped`);
	const unlabelled = records.filter((r) => !r.pair).length;
	if (unlabelled) {
		warnings.push(
			`${f.path}: ${unlabelled} multiple-choice line${unlabelled === 1 ? ' has' : 's have'} no "label" and cannot train (first: line ${records.find((r) => !r.pair)?.line})`,
		);
	}
	return warnings;
}

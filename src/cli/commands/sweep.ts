import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type BackendName, getTf, initBackend } from '../../lib/dph/backend.ts';
import { aggregate, formatTable, mergeResults, type TableFormat } from '../../lib/dph/sweep/aggregate.ts';
import type { RunResult } from '../../lib/dph/sweep/results.ts';
import { runSweep } from '../../lib/dph/sweep/runner.ts';
import { parseShard, resultsFileName, type Shard, ShardError, shardRuns } from '../../lib/dph/sweep/shard.ts';
import { type ExpandedSweep, loadSweep, SweepSpecError } from '../../lib/dph/sweep/spec.ts';
import { StartError } from '../../lib/dph/train/start.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import { JsonlResultsStore, readResultsFile } from '../../node/results-jsonl.ts';
import {
	BusyError,
	backendArg,
	type CliCommand,
	type CliIO,
	cliOptions,
	flag,
	headlessBackend,
	int,
	type ParsedArgs,
	str,
	UsageError,
} from '../args.ts';
import { inlineJsonlPath, readJsonObject } from '../config-file.ts';
import { acquireLock, LockBusyError, shownPath } from '../lock.ts';
import { bar, seconds } from '../progress.ts';
import { defaultJobs, estimateRunBytes, jobsArg, runSweepPool } from '../sweep-pool.ts';

function readSpec(file: string): ExpandedSweep {
	const raw = readJsonObject(file, 'sweep spec');
	if (typeof raw.base === 'object' && raw.base !== null && !Array.isArray(raw.base)) {
		raw.base = inlineJsonlPath(raw.base as Record<string, unknown>, file, 'base.');
	}
	try {
		return loadSweep(raw, {
			defaultName: basename(file)
				.replace(/\.json$/i, '')
				.replace(/[^\w.-]/g, '_'),
		});
	} catch (e) {
		if (e instanceof SweepSpecError) throw new UsageError(`${file}: ${e.message}`);
		throw e;
	}
}

/** Size of base.from's weights, for the memory bound of the default --jobs (0 for a random preset). */
function checkpointBytes(sweep: ExpandedSweep, specDir: string): number {
	const from = sweep.runs[0]?.config.from;
	if (from === undefined) return 0;
	try {
		return statSync(join(resolve(specDir, from), 'model.safetensors')).size;
	} catch {
		return 0;
	}
}

function outputFormat(args: ParsedArgs): TableFormat {
	if (flag(args, 'json') && flag(args, 'csv')) throw new UsageError('--json and --csv exclude each other');
	return flag(args, 'json') ? 'json' : flag(args, 'csv') ? 'csv' : 'text';
}

function digitsOf(args: ParsedArgs): number {
	return int(args, 'digits', 0, 10) ?? 2;
}

function refuse(args: ParsedArgs, mode: string, names: string[]) {
	for (const n of names) {
		if (args.values[n] !== undefined) throw new UsageError(`--${n} does not apply to ${mode}`);
	}
}

function runLine(r: RunResult, done: number, total: number): string {
	const what = r.error
		? `FAILED after ${r.steps} steps: ${r.error}`
		: r.metrics
			? `dph_acc ${r.metrics.dph_accuracy.toFixed(3)} logprob_acc ${r.metrics.logprob_accuracy.toFixed(3)} margin ${r.metrics.margin.toFixed(3)}`
			: 'no metrics';
	return `run ${done}/${total} ${r.id} · ${what} · ${seconds(r.seconds)}`;
}

async function runCommand(file: string, args: ParsedArgs, io: CliIO): Promise<number> {
	refuse(args, 'a sweep run (only to "sweep merge")', ['spec']);
	const format = outputFormat(args);
	const digits = digitsOf(args);
	const backend = backendArg(args);
	const jobs = jobsArg(args);
	let shard: Shard | null = null;
	const shardText = str(args, 'shard');
	if (shardText !== undefined) {
		try {
			shard = parseShard(shardText);
		} catch (e) {
			if (e instanceof ShardError) throw new UsageError(e.message);
			throw e;
		}
	}
	const sweep = readSpec(file);
	const queue = shardRuns(sweep.runs, shard);
	const out = resolve(str(args, 'out') ?? join('runs', `sweep-${sweep.spec.name}`));
	const path = join(out, resultsFileName(shard));
	const log = (s: string) => io.stderr(s);
	// One lock per results file: shards of one sweep write their own files and run side by side, two processes of
	// the same shard (or two unsharded runs) on one --out would both run every run.
	let lock: ReturnType<typeof acquireLock>;
	try {
		lock = acquireLock(`${path}.lock`, {
			what: shownPath(path),
			command: `dph sweep${shard ? ` --shard ${shard.index}/${shard.count}` : ''}`,
		});
	} catch (e) {
		if (e instanceof LockBusyError) throw new BusyError(e.message);
		throw e;
	}
	if (lock.tookOver) log(`note: ${lock.tookOver}\n`);
	try {
		return await runLocked(
			{ sweep, queue, shard, path, format, digits, backend, jobs, specDir: dirname(resolve(file)) },
			io,
		);
	} finally {
		lock.release();
	}
}

interface SweepJob {
	sweep: ExpandedSweep;
	queue: ExpandedSweep['runs'];
	shard: Shard | null;
	path: string;
	format: TableFormat;
	digits: number;
	backend: BackendName | undefined;
	/** --jobs; undefined: defaultJobs. */
	jobs: number | undefined;
	/** base.from / base.refFrom are relative to the spec file's folder, as data.jsonlPath is. */
	specDir: string;
}

async function runLocked(job: SweepJob, io: CliIO): Promise<number> {
	const { sweep, queue, shard, path, format, digits, backend, specDir } = job;
	const log = (s: string) => io.stderr(s);
	const store = new JsonlResultsStore(path, (w) => log(`warning: ${w}\n`));
	const report = await initBackend(headlessBackend(backend));
	const tf = await getTf();
	const fromBytes = checkpointBytes(sweep, specDir);
	const auto = defaultJobs(report.backend, estimateRunBytes(sweep.runs[0], fromBytes));
	const jobs = Math.min(job.jobs ?? auto.jobs, queue.length || 1);
	const where = shard
		? `shard ${shard.index}/${shard.count}: ${queue.length} of ${sweep.runs.length} runs`
		: `${queue.length} runs`;
	log(
		`dph sweep: ${sweep.spec.name} · ${where} (${sweep.axes.map((a) => `${a} ×${sweep.spec.grid[a]?.length}`).join(', ')}) · ` +
			`${sweep.runs[0]?.config.steps} steps each · ${report.label} · ${jobs} at once${job.jobs === undefined ? ` (${auto.why})` : ''} · results in ${path}\n`,
	);

	// Ctrl-C (or a scheduler's SIGTERM) abandons the run in progress and keeps the finished ones: rerunning the
	// command resumes. Stopping this way, not by dying, lets the lock be released on the way out.
	const ctl = new AbortController();
	const onSigint = (signal: NodeJS.Signals) => {
		log(`\nstopping (${signal}): the run(s) in progress are abandoned, finished runs are kept\n`);
		ctl.abort();
	};
	process.once('SIGINT', onSigint);
	process.once('SIGTERM', onSigint);
	let outcome: Awaited<ReturnType<typeof runSweep>>;
	let barShown = false;
	const from = sweep.runs[0]?.config.from;
	if (from !== undefined) log(`starting from ${resolve(specDir, from)} (base.from)\n`);
	try {
		const onResult = (r: RunResult, c: { runsDone: number; runsTotal: number }) => {
			log(`${io.isTTY ? '\r\x1b[K' : ''}${runLine(r, c.runsDone, c.runsTotal)}\n`);
			barShown = false;
		};
		outcome =
			jobs > 1
				? await runSweepPool(sweep, {
						jobs,
						backend: report.backend,
						specDir,
						store,
						runs: queue,
						signal: ctl.signal,
						log,
						onProgress: (p) => {
							if (!io.isTTY) return;
							const eta = p.etaSeconds === null ? '…' : seconds(p.etaSeconds);
							const each = p.active.map((a) => `step ${a.step}/${a.steps}`).join(' · ');
							log(`\r${bar(p.runsDone, p.runsTotal)} ${p.runsDone}/${p.runsTotal} done · ${each} · ${eta} left\x1b[K`);
							barShown = true;
						},
						onResult,
					})
				: await runSweep(sweep, {
						tf,
						backend: report.backend,
						store,
						runs: queue,
						signal: ctl.signal,
						openCheckpoint: (name) => dirFolder(resolve(specDir, name)),
						onProgress: (p) => {
							if (!io.isTTY) return;
							const eta = p.etaSeconds === null ? '…' : seconds(p.etaSeconds);
							log(
								`\r${bar(p.runsDone + p.step / p.steps, p.runsTotal)} run ${p.runsDone + 1}/${p.runsTotal} ${p.run.id} · step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} · ${eta} left\x1b[K`,
							);
							barShown = true;
						},
						onResult,
					});
	} catch (e) {
		// A base.from folder that fails to load is the spec's fault: exit 2 naming it, like dph train --from.
		if (e instanceof StartError) throw new UsageError(e.message);
		throw e;
	} finally {
		process.removeListener('SIGINT', onSigint);
		process.removeListener('SIGTERM', onSigint);
		if (barShown) log('\n');
	}
	if (outcome.skipped) log(`resumed: ${outcome.skipped} finished runs were already in ${path}\n`);
	const table = aggregate(outcome.results);
	io.stdout(
		format === 'json' ? `${JSON.stringify({ runs: outcome.results, table })}\n` : formatTable(table, format, digits),
	);
	const failed = outcome.results.filter((r) => r.error).length;
	if (outcome.stopped) {
		log(`stopped after ${outcome.results.length} of ${queue.length} runs; run the same command again to resume\n`);
		return 130;
	}
	if (failed) {
		log(`${failed} of ${outcome.results.length} runs failed (see "error" in ${path})\n`);
		return 1;
	}
	return 0;
}

async function mergeCommand(files: string[], args: ParsedArgs, io: CliIO): Promise<number> {
	refuse(args, '"sweep merge"', ['out', 'shard', 'backend', 'jobs']);
	if (!files.length) throw new UsageError('sweep merge needs one or more results files (results-K-of-N.jsonl …)');
	const format = outputFormat(args);
	const digits = digitsOf(args);
	const log = (s: string) => io.stderr(s);
	const inputs = [];
	for (const f of files) {
		try {
			inputs.push({ source: f, results: await readResultsFile(f, (w) => log(`warning: ${w}\n`)) });
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${f}: no such file`);
			throw e;
		}
	}
	const specFile = str(args, 'spec');
	const sweep = specFile ? readSpec(specFile) : undefined;
	const m = mergeResults(inputs, sweep);
	const table = aggregate(m.results);
	const list = (ids: string[], n = 10) =>
		`${ids.slice(0, n).join('; ')}${ids.length > n ? `; … (${ids.length - n} more)` : ''}`;
	if (m.sweeps.length > 1) {
		log(
			`warning: the files hold results of ${m.sweeps.length} different sweeps or spec versions: ${m.sweeps.map((s) => `${s.sweep} (spec ${s.spec_hash}, ${s.runs} runs)`).join(', ')}\n`,
		);
	}
	for (const d of m.duplicates) {
		log(
			`${d.differ ? 'conflict' : 'duplicate'}: ${d.id} is in ${d.sources.join(', ')}${d.differ ? ' with different results' : ''}; kept the one from ${d.sources[0]}\n`,
		);
	}
	if (m.missing?.length)
		log(`missing: ${m.missing.length} of ${sweep?.runs.length} runs of the spec are in no file: ${list(m.missing)}\n`);
	if (m.unexpected?.length) log(`not in the spec: ${list(m.unexpected)}\n`);
	if (m.mismatched?.length) log(`trained with a different config than the spec's: ${list(m.mismatched)}\n`);
	const failed = m.results.filter((r) => r.error);
	if (failed.length) log(`${failed.length} runs failed: ${list(failed.map((r) => r.id))}\n`);
	log(
		`merged ${m.results.length} runs from ${files.length} files${sweep ? ` (spec: ${sweep.runs.length} runs)` : ''}\n`,
	);
	io.stdout(
		format === 'json'
			? `${JSON.stringify({
					runs: m.results,
					table,
					duplicates: m.duplicates,
					missing: m.missing,
					unexpected: m.unexpected,
					mismatched: m.mismatched,
					sweeps: m.sweeps,
				})}\n`
			: formatTable(table, format, digits),
	);
	const bad =
		failed.length ||
		m.duplicates.some((d) => d.differ) ||
		m.missing?.length ||
		m.unexpected?.length ||
		m.mismatched?.length;
	return bad ? 1 : 0;
}

export const sweepCommand: CliCommand = {
	name: 'sweep',
	summary: 'run an ablation sweep (grid of training configs × seeds), sharded if need be, and merge result files',
	usage:
		'dph sweep <sweep.json> [--out DIR] [--shard K/N] [--jobs N] [--backend webgpu|wasm|cpu] [--json|--csv]\n       dph sweep merge <results.jsonl…> [--spec sweep.json] [--json|--csv]',
	help: `Runs every run of the spec (a base training config and grid axes, see docs/SWEEPS.md), N at once in worker
threads (--jobs), appending each finished run to DIR/results.jsonl (DIR/results-K-of-N.jsonl with --shard) in run
order: the file and table are the serial sweep's, timings aside. Running the same command again resumes: finished
runs are skipped. Ctrl-C (or SIGTERM) abandons only the runs in progress.
Progress goes to stderr (a bar on a terminal, one line per finished run otherwise); the table of mean ± sd over
seeds goes to stdout. Exit 1 if a run failed (the table is still printed).
One process per results file: DIR/results.jsonl.lock names the process writing it. Shards of one sweep run side
by side; a second process on the same file exits 75 naming the holder (a lock left by a dead process is taken
over with a note).

Options:
  --out DIR        where results go (default runs/sweep-<name>)
  --shard K/N      run only runs i with i mod N = K, K = 0…N−1 (a Slurm array or Kubernetes indexed Job index)
  --jobs N         runs at once, each in its own worker thread (default: one per core, as many as free memory
                   holds, 1 on a GPU); 1 runs them in this thread
  --backend NAME   webgpu, wasm or cpu (default: a GPU if WebGPU has one, else wasm)
  --json           print one JSON object {runs, table} instead of the text table
  --csv            print the table as CSV
  --digits D       decimals in the text table (default 2)

dph sweep merge <results…> combines result files (e.g. of every shard) into the same table. Runs present in
several files are reported and the first is kept. With --spec sweep.json it also reports runs that no file has
and runs the spec does not have. Exit 1 when runs are missing, unexpected, conflicting or failed.
  --spec FILE      the sweep spec the files came from`,
	options: cliOptions({ string: ['out', 'shard', 'backend', 'digits', 'spec', 'jobs'], boolean: ['json', 'csv'] }),
	async run(args, io) {
		const [first, ...rest] = args.positionals;
		if (first === 'merge') return mergeCommand(rest, args, io);
		if (!first) throw new UsageError('sweep needs a sweep spec: dph sweep <sweep.json> (see dph sweep --help)');
		if (rest.length) throw new UsageError(`sweep takes one spec file, got also ${rest.join(' ')}`);
		return runCommand(first, args, io);
	},
};

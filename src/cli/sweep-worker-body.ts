/**
 * One `dph sweep --jobs N` worker thread: its own tfjs (backend named by the parent, so every worker and a serial
 * sweep compute the same thing), running the runs the parent sends one at a time through the same runSweep the
 * serial sweep uses, with an in-memory store; the parent alone writes the results file.
 */
import { resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { getTf, initBackend } from '../lib/dph/backend.ts';
import { MemoryResultsStore } from '../lib/dph/sweep/results.ts';
import { runSweep } from '../lib/dph/sweep/runner.ts';
import { dirFolder } from '../node/checkpoint-folder.ts';
import type { FromWorker, ToWorker, WorkerInit } from './sweep-pool.ts';

const port = parentPort;
if (!port) throw new Error('sweep-worker-body.ts runs only as a worker thread (see src/cli/sweep-pool.ts)');
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);
let ctl: AbortController | null = null;

async function runOne(queueIndex: number) {
	const tf = await getTf();
	const run = init.sweep.runs[queueIndex];
	ctl = new AbortController();
	const before = tf.memory().numTensors;
	try {
		const outcome = await runSweep(init.sweep, {
			tf,
			backend: init.backend,
			store: new MemoryResultsStore(),
			runs: [run],
			signal: ctl.signal,
			openCheckpoint: (name) => dirFolder(resolve(init.specDir, name)),
			onProgress: (p) => post({ type: 'progress', id: run.id, step: p.step, steps: p.steps, loss: p.loss }),
		});
		const result = outcome.results[0];
		const leaked = tf.memory().numTensors - before;
		post(result ? { type: 'result', result, leaked } : { type: 'stopped', id: run.id });
	} catch (e) {
		const err = e instanceof Error ? e : new Error(String(e));
		post({ type: 'error', id: run.id, name: err.name, message: err.message, stack: err.stack ?? '' });
	} finally {
		ctl = null;
	}
}

port.on('message', (m: ToWorker) => {
	if (m.type === 'stop') ctl?.abort();
	else if (m.type === 'run') void runOne(m.queueIndex);
});

try {
	const report = await initBackend({ prefer: init.backend });
	post({ type: 'ready', label: report.label });
} catch (e) {
	post({
		type: 'error',
		id: null,
		name: 'BackendError',
		message: (e as Error).message,
		stack: (e as Error).stack ?? '',
	});
}

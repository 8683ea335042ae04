// The worker behind notebook-check.mjs: checks one body at a time with notebook-validate.mjs, so a slow parse
// costs this thread, never the server's.
import { parentPort } from 'node:worker_threads';
import { notebookProblem } from './notebook-validate.mjs';

if (!parentPort) throw new Error('notebook-check-worker.mjs runs as a worker thread');
const port = parentPort;

// A first parse runs several times slower than later ones (nothing is compiled yet); do it before a user waits.
const cell = (/** @type {number} */ i) =>
	`  <script id="${i}" type="module">\n    const x${i} = [${'1, '.repeat(60)}1]; // <b>${'y'.repeat(80)}</b>\n  </script>\n`;
const warmUp = `<!doctype html>\n<notebook theme="air">\n  <title>Warm-up</title>\n${Array.from({ length: 600 }, (_, i) => cell(i + 1)).join('')}</notebook>\n`;
notebookProblem(new TextEncoder().encode(warmUp));
port.postMessage({ ready: true });

port.on('message', (/** @type {{ id: number, bytes: Uint8Array }} */ job) => {
	let problem;
	try {
		problem = notebookProblem(job.bytes);
	} catch (e) {
		problem = `the notebook could not be checked: ${/** @type {Error} */ (e).message}`;
	}
	port.postMessage({ id: job.id, problem });
});

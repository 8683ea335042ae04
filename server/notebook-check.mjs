// Checks request bodies in a worker thread, one at a time, each under a time limit: parsing HTML can take long on
// hostile input, and the server must keep answering everything else meanwhile (issue 13, defect 3).
import { Worker } from 'node:worker_threads';

/** How long one body may take to check before the worker is stopped and the body refused. */
export const CHECK_TIME_LIMIT_MS = 1000;
/** Bodies waiting for the worker, in bytes, past which new ones are turned away instead of queued. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * @typedef {{ id: number, bytes: Uint8Array, resolve: (problem: string | null) => void, reject: (e: Error) => void }} Job
 */

export class NotebookChecker {
	/** @type {Worker | null} */
	#worker = null;
	#ready = false;
	/** @type {Job[]} */
	#queue = [];
	/** @type {Job | null} */
	#current = null;
	/** @type {ReturnType<typeof setTimeout> | undefined} */
	#timer;
	#nextId = 1;
	#queuedBytes = 0;
	#closed = false;

	/** @param {{ timeLimitMs?: number }} [opts] */
	constructor({ timeLimitMs = CHECK_TIME_LIMIT_MS } = {}) {
		this.timeLimitMs = timeLimitMs;
	}

	/** Start the worker now, so the first save does not wait for it to load and warm up. */
	warm() {
		if (!this.#worker && !this.#closed) this.#spawn();
	}

	/**
	 * Why `bytes` may not be saved (a sentence), or null when it may.
	 * @param {Uint8Array} bytes
	 * @returns {Promise<string | null>}
	 */
	check(bytes) {
		if (this.#closed) return Promise.reject(new Error('the server is shutting down'));
		if (this.#queuedBytes + bytes.length > MAX_QUEUED_BYTES)
			return Promise.reject(new Error('the server is busy checking other saves; try again in a moment'));
		return new Promise((resolve, reject) => {
			this.#queue.push({ id: this.#nextId++, bytes, resolve, reject });
			this.#queuedBytes += bytes.length;
			this.warm();
			this.#pump();
		});
	}

	/** Stop the worker and refuse what is still waiting. */
	async close() {
		this.#closed = true;
		clearTimeout(this.#timer);
		for (const job of [...this.#queue, ...(this.#current ? [this.#current] : [])])
			job.reject(new Error('the server is shutting down'));
		this.#queue = [];
		this.#current = null;
		await this.#worker?.terminate();
		this.#worker = null;
	}

	#spawn() {
		const worker = new Worker(new URL('./notebook-check-worker.mjs', import.meta.url));
		worker.unref();
		this.#worker = worker;
		this.#ready = false;
		worker.on('message', (/** @type {{ ready?: boolean, id?: number, problem?: string | null }} */ msg) => {
			if (worker !== this.#worker) return;
			if (msg.ready) {
				this.#ready = true;
			} else if (this.#current && msg.id === this.#current.id) {
				clearTimeout(this.#timer);
				this.#current.resolve(msg.problem ?? null);
				this.#current = null;
			}
			this.#pump();
		});
		worker.on('error', (e) => this.#lost(worker, e));
		worker.on('exit', (code) => this.#lost(worker, new Error(`the checking worker stopped (exit code ${code})`)));
	}

	/** @param {Worker} worker @param {Error} e */
	#lost(worker, e) {
		if (worker !== this.#worker) return;
		this.#worker = null;
		clearTimeout(this.#timer);
		this.#current?.reject(e);
		this.#current = null;
		if (!this.#closed && this.#queue.length > 0) {
			this.#spawn();
		}
	}

	#pump() {
		if (this.#current || !this.#ready || !this.#worker) return;
		const job = this.#queue.shift();
		if (!job) return;
		this.#queuedBytes -= job.bytes.length;
		this.#current = job;
		const worker = this.#worker;
		// The clock starts when the worker takes the body: time spent queued behind other saves does not count.
		this.#timer = setTimeout(() => {
			if (this.#current !== job) return;
			this.#current = null;
			job.resolve(
				`checking it took longer than ${this.timeLimitMs / 1000} s, so it was stopped; a notebook is a <notebook> of <script> cells, which takes milliseconds`,
			);
			this.#worker = null;
			worker.terminate().catch(() => {});
			if (!this.#closed) this.#spawn();
		}, this.timeLimitMs);
		worker.postMessage({ id: job.id, bytes: job.bytes });
	}
}

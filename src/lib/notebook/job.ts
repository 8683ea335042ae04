/**
 * `job(kind, params, {invalidation})` for notebook cells: runs a compute-worker job and returns a view element
 * with a progress bar, ETA and Stop button. Its value is `{progress, result, done, stopped, error}`, updated (with
 * an `input` event) on every progress message, so `const run = view(job(...))` makes dependent cells live charts.
 * The job is stopped when the cell is invalidated (re-run, edited or deleted).
 */

import { formatDuration } from '../format/duration';
import type { ComputeWorker } from '../workers/compute-client';
import type { JobKind, JobSpecs } from '../workers/job-specs';
import { jobTotal } from '../workers/job-specs';

export interface JobValue<K extends JobKind> {
	kind: K;
	progress: JobSpecs[K]['progress'][];
	result: JobSpecs[K]['result'] | null;
	done: boolean;
	stopped: boolean;
	error: string | null;
}

export type JobElement<K extends JobKind> = HTMLDivElement & { value: JobValue<K>; stop(): void };

const fmtSeconds = (s: number) => formatDuration(s, { round: 'up' });

export function makeJob(getWorker: () => ComputeWorker) {
	return function job<K extends JobKind>(
		kind: K,
		params: JobSpecs[K]['params'],
		opts: { invalidation?: Promise<unknown>; label?: string } = {},
	): JobElement<K> {
		const total = jobTotal(kind, params);
		const el = document.createElement('div') as JobElement<K>;
		el.className = 'dph-job';
		el.innerHTML = `<div class="dph-job-row"><span class="dph-job-label"></span><button type="button" class="dph-job-stop">Stop</button></div>
<div class="dph-job-bar" role="progressbar" aria-valuemin="0" aria-valuemax="${total}"><div></div></div>
<div class="dph-job-status" aria-live="polite"></div>`;
		const label = el.querySelector('.dph-job-label') as HTMLElement;
		const bar = el.querySelector('.dph-job-bar') as HTMLElement;
		const fill = bar.firstElementChild as HTMLElement;
		const status = el.querySelector('.dph-job-status') as HTMLElement;
		const stopBtn = el.querySelector('.dph-job-stop') as HTMLButtonElement;
		label.textContent = opts.label ?? `Running ${kind}`;
		el.value = { kind, progress: [], result: null, done: false, stopped: false, error: null };
		const t0 = performance.now();
		const emit = () => el.dispatchEvent(new Event('input', { bubbles: true }));

		// Steps done: the largest `step` reported (progress may also carry e.g. validation events for a step).
		let done = 0;
		const handle = getWorker().run(kind, params, (p) => {
			el.value = { ...el.value, progress: [...el.value.progress, p] };
			const s = (p as { step?: unknown }).step;
			done = typeof s === 'number' ? Math.max(done, s) : done + 1;
			const elapsed = (performance.now() - t0) / 1000;
			fill.style.width = `${(100 * done) / Math.max(1, total)}%`;
			bar.setAttribute('aria-valuenow', String(done));
			status.textContent = `${done} / ${total} · ${fmtSeconds(elapsed)} elapsed · about ${fmtSeconds(((total - done) * elapsed) / done)} left`;
			emit();
		});
		el.stop = () => handle.stop();
		stopBtn.onclick = () => {
			stopBtn.disabled = true;
			stopBtn.textContent = 'Stopping…';
			handle.stop();
		};
		handle.result.then(
			(result) => {
				const stopped = Boolean((result as { stopped?: boolean }).stopped);
				el.value = { ...el.value, result, done: true, stopped };
				fill.style.width = stopped ? fill.style.width : '100%';
				stopBtn.remove();
				status.textContent = `${stopped ? 'Stopped' : 'Done'} after ${done} / ${total} in ${fmtSeconds((performance.now() - t0) / 1000)}`;
				el.classList.add(stopped ? 'stopped' : 'done');
				emit();
			},
			(e: Error) => {
				el.value = { ...el.value, done: true, error: e.message };
				stopBtn.remove();
				status.textContent = `Failed: ${e.message}`;
				el.classList.add('failed');
				emit();
			},
		);
		opts.invalidation?.then(() => handle.stop());
		return el;
	};
}

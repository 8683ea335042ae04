/**
 * Typed messages between the page and the compute worker. One union per direction, so a missing case is a
 * type error on both sides.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import type { MeasureProgress } from '../dph/backend-measure';
import type { JobKind, JobSpecs } from './job-specs';

export type ToWorker =
	| {
			type: 'init';
			id: number;
			prefer?: BackendName;
			/** wasm threads (first wasm start only). */
			threads?: number;
			/** No `prefer`: the measured choice; `cached` is the page's stored measurement (backend-measure.ts). */
			measured?: { cached: string | null; force?: boolean };
	  }
	| { [K in JobKind]: { type: 'job'; id: number; kind: K; params: JobSpecs[K]['params'] } }[JobKind]
	| { type: 'stop'; id: number }
	| { type: 'pause'; id: number; paused: boolean }
	| { type: 'simulate-device-loss'; id: number };

export type FromWorker =
	| { type: 'ready'; id: number; report: BackendReport }
	| { type: 'progress'; id: number; progress: JobSpecs[JobKind]['progress'] }
	| { type: 'measure-progress'; id: number; progress: MeasureProgress }
	| { type: 'job-done'; id: number; result: JobSpecs[JobKind]['result'] }
	| { type: 'device-lost'; report: BackendReport }
	| { type: 'error'; id: number; message: string };

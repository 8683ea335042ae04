/**
 * Typed messages between the page and the compute worker. One union per direction, so a missing case is a
 * type error on both sides.
 */
import type { BackendName, BackendReport } from '../dph/backend';
import type { SelfTestResult, SelfTestStep } from '../dph/selftest';

export type ToWorker =
	| { type: 'init'; id: number; prefer?: BackendName }
	| { type: 'selftest'; id: number; steps: number; backend?: BackendName; seed?: number }
	| { type: 'stop'; id: number }
	| { type: 'simulate-device-loss'; id: number };

export type FromWorker =
	| { type: 'ready'; id: number; report: BackendReport }
	| { type: 'step'; id: number; step: SelfTestStep }
	| { type: 'selftest-done'; id: number; result: SelfTestResult }
	| { type: 'device-lost'; report: BackendReport }
	| { type: 'error'; id: number; message: string };

/** Progress bars and durations for the commands' stderr lines. */

import { formatDuration } from '../lib/format/duration.ts';

export function bar(done: number, total: number, width = 24): string {
	const n = Math.max(0, Math.min(width, Math.round((done / Math.max(1, total)) * width)));
	return `[${'#'.repeat(n)}${' '.repeat(width - n)}]`;
}

/** "3.2s", "2m5s", "1h3m": the shared formatter in the CLI's compact style. */
export const seconds = (s: number): string => formatDuration(s, { compact: true, tenths: true });

/** Progress bars and durations for the commands' stderr lines. */

export function bar(done: number, total: number, width = 24): string {
	const n = Math.max(0, Math.min(width, Math.round((done / Math.max(1, total)) * width)));
	return `[${'#'.repeat(n)}${' '.repeat(width - n)}]`;
}

export function seconds(s: number): string {
	if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
	return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
}

/**
 * One formatter for durations, shared by the pages, notebook jobs and the CLI's stderr lines: "45 s", "2 min 5 s",
 * "1 h 3 min" (or "45s", "2m5s", "1h3m" compact). Pure: no DOM, no Node.
 *
 * The duration is rounded once, to the precision of its last field, before it is split into fields, so 119.5 s
 * reads "2 min" and never "1 min 60 s" (splitting first and rounding the seconds field alone is what did that).
 */

export interface DurationOptions {
	/** 'up' for a time left: a countdown shows "1 s" rather than "0 s" while work remains. Default 'nearest'. */
	round?: 'nearest' | 'up';
	/** "2m5s" for terminal lines instead of "2 min 5 s". */
	compact?: boolean;
	/** One decimal below 10 s ("3.2 s"), for short times taken. */
	tenths?: boolean;
}

/** What an unknown duration (null, NaN, ±Infinity: no estimate yet) prints as. */
export const UNKNOWN_DURATION = '…';

export function formatDuration(seconds: number | null | undefined, opts: DurationOptions = {}): string {
	if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return UNKNOWN_DURATION;
	// A negative time left is an estimate that overshot: nothing is left.
	const s = Math.max(0, seconds);
	const round = opts.round === 'up' ? Math.ceil : Math.round;
	const [S, M, H, sep] = opts.compact ? ['s', 'm', 'h', ''] : [' s', ' min', ' h', ' '];
	const fields = (big: number, bigUnit: string, small: number, smallUnit: string) =>
		small ? `${big}${bigUnit}${sep}${small}${smallUnit}` : `${big}${bigUnit}`;

	if (opts.tenths) {
		const t = round(s * 10) / 10;
		if (t < 10) return `${t.toFixed(1)}${S}`;
	}
	const whole = round(s);
	if (whole < 60) return `${whole}${S}`;
	if (whole < 3600) return fields(Math.floor(whole / 60), M, whole % 60, S);
	// An hour or more: to the minute.
	const minutes = round(s / 60);
	return fields(Math.floor(minutes / 60), H, minutes % 60, M);
}

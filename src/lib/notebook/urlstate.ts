/**
 * Input values in the URL hash (`#eps=0.25&steps=40`), so a link reproduces the view. Values are JSON when they
 * parse as JSON, strings otherwise.
 */
export function readHash(hash: string): Map<string, unknown> {
	const out = new Map<string, unknown>();
	const params = new URLSearchParams(hash.replace(/^#/, ''));
	for (const [k, v] of params) {
		try {
			out.set(k, JSON.parse(v));
		} catch {
			out.set(k, v);
		}
	}
	return out;
}

export function writeHash(values: Map<string, unknown>): string {
	const params = new URLSearchParams();
	for (const [k, v] of values) {
		if (v === undefined || typeof v === 'function' || (typeof v === 'object' && v !== null && !Array.isArray(v)))
			continue;
		params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
	}
	const s = params.toString();
	return s ? `#${s}` : '';
}

/** Whether a view's value can live in a URL (numbers, strings, booleans and arrays of those). */
export function isUrlValue(v: unknown): boolean {
	if (v === null || ['number', 'string', 'boolean'].includes(typeof v))
		return typeof v !== 'number' || Number.isFinite(v);
	return Array.isArray(v) && v.length <= 32 && v.every((x) => ['number', 'string', 'boolean'].includes(typeof x));
}

/**
 * Keeps view values (sliders, inputs) in the URL hash: restores each view from the hash it was opened with once,
 * then records the values the reader changes. Browser only.
 */
import { isUrlValue, readHash, writeHash } from './urlstate';

export type ViewElement = HTMLElement & { value: unknown };

/** A handler for LiveNotebook's onView, for a page opened with `hash`. */
export function makeViewSync(hash: string): (name: string, el: ViewElement) => void {
	const initial = readHash(hash);
	const values = new Map<string, unknown>();
	const restored = new Set<string>();
	const wired = new WeakSet<HTMLElement>();
	return (name, el) => {
		if (!restored.has(name) && initial.has(name)) {
			restored.add(name);
			try {
				el.value = initial.get(name);
				el.dispatchEvent(new Event('input', { bubbles: true }));
			} catch {
				// A value this input cannot take: keep the default.
			}
		}
		const record = () => {
			if (!isUrlValue(el.value)) return;
			values.set(name, el.value);
			history.replaceState(history.state, '', `${location.pathname}${location.search}${writeHash(values)}`);
		};
		// Only values the reader changed go into the URL; defaults stay implicit. A view cell that re-runs hands us
		// the same element again: wire it once.
		if (wired.has(el)) return;
		wired.add(el);
		if (values.has(name)) record();
		el.addEventListener('input', record);
	};
}

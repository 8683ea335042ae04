/**
 * The `component` library entry: mount a Svelte component as a cell's output, unmounted when the cell is
 * invalidated (re-run or deleted).
 */
import { type Component, mount, unmount } from 'svelte';

export function makeComponentHelper() {
	return (
		Comp: Component<Record<string, unknown>>,
		props: Record<string, unknown> = {},
		opts: { invalidation?: Promise<unknown> } = {},
	): HTMLDivElement => {
		const target = document.createElement('div');
		target.className = 'dph-component';
		const instance = mount(Comp, { target, props });
		opts.invalidation?.then(() => unmount(instance));
		return target;
	};
}

// @observablehq/inputs ships no types; cells use it untyped through the runtime, the app only imports it.
declare module '@observablehq/inputs' {
	type InputElement<T> = HTMLElement & { value: T };
	export function range(extent?: [number, number], options?: Record<string, unknown>): InputElement<number>;
	export function select<T>(data: T[], options?: Record<string, unknown>): InputElement<T>;
	export function radio<T>(data: T[], options?: Record<string, unknown>): InputElement<T>;
	export function checkbox<T>(data: T[], options?: Record<string, unknown>): InputElement<T[]>;
	export function toggle(options?: Record<string, unknown>): InputElement<boolean>;
	export function button(content?: unknown, options?: Record<string, unknown>): InputElement<unknown>;
	export function text(options?: Record<string, unknown>): InputElement<string>;
	export function textarea(options?: Record<string, unknown>): InputElement<string>;
	export function number(extent?: [number, number], options?: Record<string, unknown>): InputElement<number>;
	export function table<T>(data: T[], options?: Record<string, unknown>): InputElement<T[]>;
	export function form(inputs: unknown, options?: Record<string, unknown>): InputElement<unknown>;
}

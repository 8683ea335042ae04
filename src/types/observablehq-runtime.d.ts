// @observablehq/runtime 6 ships no types; this covers the part the workbench uses.
declare module '@observablehq/runtime' {
	export interface Observer {
		pending?(): void;
		fulfilled?(value: unknown, name?: string | null): void;
		rejected?(error: unknown, name?: string | null): void;
	}
	export type VariableDefinition = (...inputs: never[]) => unknown;
	export class Variable {
		define(name: string | null, inputs: string[], definition: VariableDefinition): Variable;
		define(inputs: string[], definition: VariableDefinition): Variable;
		define(definition: VariableDefinition): Variable;
		delete(): Variable;
		_version: number;
	}
	export class Module {
		variable(observer?: Observer | boolean, options?: { shadow?: Record<string, unknown> }): Variable;
		define(name: string | null, inputs: string[], definition: VariableDefinition): Variable;
		redefine(name: string, inputs: string[], definition: VariableDefinition): Variable;
		value(name: string): Promise<unknown>;
	}
	export class Runtime {
		constructor(builtins?: Record<string, unknown>, global?: (name: string) => unknown);
		module(): Module;
		dispose(): void;
	}
	export class RuntimeError extends Error {
		input?: string;
	}
}

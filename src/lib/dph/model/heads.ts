/**
 * Named reward heads. The reference's LSWTForDPH holds one shared `pooler_pipeline` and a `reward_heads` ModuleDict
 * (config.json `reward_heads`: the names in order, state-dict keys `reward_heads.NAME.weight`, each [1, d_model]);
 * `compute_rewards` returns every head's reward and the caller picks one by name (the reference's evaluation takes
 * `reward_heads[0]`). Scoring and training here pick one the same way: by name, defaulting to the first.
 */
/** The one config field head resolution reads; every family's config has it. */
type HeadsView = { reward_heads: string[] | null };

/** A head name the model does not have; the message lists the ones it has. */
export class HeadError extends Error {
	override name = 'HeadError';
	constructor(
		message: string,
		readonly head: string,
		readonly available: readonly string[],
	) {
		super(message);
	}
}

export const headKey = (name: string): string => `reward_heads.${name}.weight`;

export function headNames(c: HeadsView): string[] {
	return [...(c.reward_heads ?? [])];
}

export function describeHeads(c: HeadsView): string {
	const names = headNames(c);
	return names.length ? names.map((n) => JSON.stringify(n)).join(', ') : 'none (config.json reward_heads is empty)';
}

/** The head to read: `name` when given (it must exist), else the first; throws HeadError when there is none. */
export function resolveHead(c: HeadsView, name?: string | null): string {
	const names = headNames(c);
	if (name === undefined || name === null) {
		const first = names[0];
		if (first === undefined) {
			throw new HeadError('This model has no reward head: config.reward_heads is empty', '', names);
		}
		return first;
	}
	if (!names.includes(name)) throw new HeadError(unknownHead(c, name), name, names);
	return name;
}

/** "reward head "x" does not exist; the checkpoint has 2 heads: "a", "b"". */
export function unknownHead(c: HeadsView, name: string): string {
	const n = headNames(c).length;
	return `reward head ${JSON.stringify(name)} does not exist; the checkpoint has ${n === 1 ? 'one head' : `${n} heads`}: ${describeHeads(c)}`;
}

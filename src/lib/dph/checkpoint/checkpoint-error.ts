/** A checkpoint folder that cannot be used; `file` names the file at fault (e.g. "config.json"). */
export class CheckpointError extends Error {
	override name = 'CheckpointError';
	constructor(
		message: string,
		readonly file: string,
	) {
		super(message);
	}
}

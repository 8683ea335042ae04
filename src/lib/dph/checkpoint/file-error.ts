/** An error in one file of a checkpoint folder; `file` names it (e.g. "heads/dph_config.json") for the caller. */
export class FileError extends Error {
	constructor(
		message: string,
		readonly file: string,
	) {
		super(message);
	}
}

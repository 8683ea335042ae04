/** Saving something the page made (a CSV, a notebook, a checkpoint file) as a download. Browser only. */

/**
 * How long the object URL outlives the click. `a.click()` only starts the download; the browser reads the blob
 * afterwards, and revoking the URL right after the click can cancel the download in some browsers. A minute is far
 * more than any browser needs to take hold of the blob, and keeping one URL alive that long costs only its memory.
 */
const REVOKE_AFTER_MS = 60_000;

/** Download `blob` as `filename`. */
export function downloadBlob(blob: Blob, filename: string): void {
	const a = document.createElement('a');
	a.href = URL.createObjectURL(blob);
	a.download = filename;
	// In the document while clicked: older Firefox ignored a click on a detached anchor.
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(a.href), REVOKE_AFTER_MS);
}

/** Download `text` as `filename`, with the given MIME type. */
export function downloadText(text: string, filename: string, type = 'text/plain'): void {
	downloadBlob(new Blob([text], { type }), filename);
}

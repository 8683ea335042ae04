// Notebook slugs name files in notebooks/. Shared by the Node server (save endpoint) and the pages, so both accept
// exactly the same names. Plain JS with JSDoc so the server can import it without a build step.

/** Largest notebook file the save endpoint accepts, in bytes. */
export const MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024;

/** Names with a route of their own under /notebooks/. */
export const RESERVED_SLUGS = ['open', 'new'];

const SLUG = /^[a-z0-9][a-z0-9_-]{0,79}$/;

// Windows opens these as devices whatever the extension ("con.html" is the console), so a notebook named one of
// them could never be saved or read there.
const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Whether `name` (with or without an extension, any case) is a Windows device name.
 * @param {string} name
 * @returns {boolean}
 */
export function isWindowsDeviceName(name) {
	return DEVICE_NAME.test(name);
}

/**
 * Why `slug` is not a valid notebook name, or null when it is. Only lower-case letters, digits, `-` and `_`,
 * so no `/`, `..`, NUL, drive letters or absolute paths can ever reach the file system.
 * @param {unknown} slug
 * @returns {string | null}
 */
export function slugProblem(slug) {
	if (typeof slug !== 'string' || slug === '') return 'the notebook name is empty';
	if (slug.includes('\0')) return 'the notebook name contains a NUL character';
	if (slug.includes('/') || slug.includes('\\'))
		return `"${slug}" contains a path separator; use a plain name like "my-notes"`;
	if (slug.includes('..')) return `"${slug}" contains ".."; use a plain name like "my-notes"`;
	if (isWindowsDeviceName(slug))
		return `"${slug}" is a device name on Windows (con, nul, aux, prn, com1–9, lpt1–9); choose another name`;
	if (!SLUG.test(slug)) {
		return `"${slug}" is not a valid notebook name: use 1–80 lower-case letters, digits, "-" or "_", starting with a letter or digit`;
	}
	if (RESERVED_SLUGS.includes(slug)) return `"${slug}" is reserved; choose another name`;
	return null;
}

/**
 * A valid slug derived from a title or file name ("Loss Landscapes.html" → "loss-landscapes").
 * @param {string} text
 * @returns {string}
 */
export function toSlug(text) {
	const s = text
		.replace(/\.html?$/i, '')
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[^a-z0-9_]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 80);
	const slug = s || 'untitled';
	return RESERVED_SLUGS.includes(slug) || isWindowsDeviceName(slug) ? `${slug}-notebook` : slug;
}

/**
 * Where the optional Node server (server/serve.mjs) answers: under SvelteKit's `base`, like the pages, so a
 * workbench served from a sub-path finds it. A static host has no server; the health check then fails and the
 * notebook downloads instead of saving.
 */
export function serverUrls(base: string) {
	const root = base.replace(/\/$/, '');
	return {
		health: `${root}/api/health`,
		notebook: (slug: string) => `${root}/api/notebooks/${encodeURIComponent(slug)}`,
	};
}

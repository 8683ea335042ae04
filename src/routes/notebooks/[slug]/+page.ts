import { error } from '@sveltejs/kit';
import { findNotebook, notebooks } from '$lib/notebook/catalog';
import type { EntryGenerator, PageLoad } from './$types';

export const entries: EntryGenerator = () => notebooks.map((n) => ({ slug: n.slug }));

export const load: PageLoad = ({ params }) => {
	const nb = findNotebook(params.slug);
	if (!nb) error(404, `No notebook "${params.slug}" in notebooks/`);
	return { notebook: nb };
};

import { describe, expect, it } from 'vitest';
import { localNotebookPath } from '../../../src/lib/notebook/local';
import { serverUrls } from '../../../src/lib/notebook/server';

// The notebook page used to fetch /api/health at the root, so a workbench under a base path never found its server.
describe('serverUrls', () => {
	it('puts the endpoints under the base path', () => {
		expect(serverUrls('').health).toBe('/api/health');
		expect(serverUrls('').notebook('welcome')).toBe('/api/notebooks/welcome');
		expect(serverUrls('/dph').health).toBe('/dph/api/health');
		expect(serverUrls('/dph/').notebook('label-noise')).toBe('/dph/api/notebooks/label-noise');
	});

	it('and so are the pages of browser-only notebooks', () => {
		expect(localNotebookPath('untitled-2')).toBe('/notebooks/open?slug=untitled-2');
		expect(localNotebookPath('untitled-2', '/dph')).toBe('/dph/notebooks/open?slug=untitled-2');
	});
});

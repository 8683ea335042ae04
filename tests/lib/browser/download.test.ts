// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadText } from '$lib/browser/download';

describe('downloadBlob / downloadText', () => {
	afterEach(() => {
		vi.useRealTimers();
		vi.restoreAllMocks();
	});

	it('clicks a named link in the document and revokes its URL only later, never at the click', () => {
		vi.useFakeTimers();
		const revoked: string[] = [];
		URL.createObjectURL = vi.fn(() => 'blob:x');
		URL.revokeObjectURL = vi.fn((u: string) => void revoked.push(u));
		let clicked: { name: string; href: string; attached: boolean } | null = null;
		vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
			clicked = { name: this.download, href: this.href, attached: this.isConnected };
		});

		downloadText('a,b\n1,2\n', 'table.csv', 'text/csv');
		expect(clicked).toEqual({ name: 'table.csv', href: 'blob:x', attached: true });
		expect(document.querySelector('a')).toBeNull();
		expect(revoked).toEqual([]);
		vi.advanceTimersByTime(1000);
		expect(revoked).toEqual([]);
		vi.runAllTimers();
		expect(revoked).toEqual(['blob:x']);
		const blob = vi.mocked(URL.createObjectURL).mock.calls[0][0] as Blob;
		expect(blob.type).toBe('text/csv');
	});
});

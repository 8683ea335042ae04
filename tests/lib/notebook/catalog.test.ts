import { describe, expect, it } from 'vitest';
import { notebooks, parseEntry } from '../../../src/lib/notebook/catalog';

describe('notebook catalog', () => {
	it('reads title, one-line description and cells from a Notebook Kit file', () => {
		const src = `<!doctype html>
<notebook theme="air">
  <title>Loss &amp; landscapes</title>
  <script id="1" type="text/markdown">
    # Loss landscapes
  </script>
  <script id="2" type="text/markdown">
    SepDPH and **ConDPH** side by side, see [the paper](https://example.org).
  </script>
  <script id="3" type="module">
    1 + 1
  </script>
</notebook>`;
		const e = parseEntry('/notebooks/loss-landscapes.html', src);
		expect(e.slug).toBe('loss-landscapes');
		expect(e.title).toBe('Loss & landscapes');
		expect(e.description).toBe('SepDPH and ConDPH side by side, see the paper.');
		expect(e.cells.map((c) => c.type)).toEqual(['text/markdown', 'text/markdown', 'module']);
	});

	it('lists the shipped notebooks with Welcome first', () => {
		expect(notebooks.length).toBeGreaterThan(0);
		expect(notebooks[0].slug).toBe('welcome');
		for (const n of notebooks) {
			expect(n.title).not.toBe('');
			expect(n.description).not.toBe('');
		}
	});
});

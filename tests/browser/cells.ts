import type { Locator, Page } from '@playwright/test';

/**
 * Notebook cells by name, not numeric id: a name the cell defines (`const eps = …` is "eps"), or its Notebook Kit
 * `output` name for a figure cell that defines none. CellView sets `data-cell-name` from the notebook's code, so a
 * renumbered or reordered notebook does not break its tests.
 */
export function cellNamed(page: Page, name: string): Locator {
	return page.locator(`[data-testid="cell"][data-cell-name~="${name}"]`);
}

export function outputOf(page: Page, name: string): Locator {
	return cellNamed(page, name).getByTestId('cell-output');
}

/** The cell's ▶ button. */
export function runButtonOf(page: Page, name: string): Locator {
	return cellNamed(page, name).getByRole('button', { name: /^Run cell / });
}

/** The cell's numeric id as the page shows it, for a cell about to lose its name (its code is replaced). */
export async function idOf(page: Page, name: string): Promise<string> {
	return (await cellNamed(page, name).getAttribute('data-cell-id')) ?? '';
}

import { expect, test } from '@playwright/test';

// Generation on the shipped demo: its language model is barely trained (its samples are near-random characters),
// its reward head is, so the typed echo "c" must still top the one ranking of typed and generated candidates.
test('the Score page generates N candidates from a link, ranks them with the typed ones, and Stop keeps what was decoded', async ({
	page,
}) => {
	test.setTimeout(180_000);
	const hash = new URLSearchParams({
		ck: 'demo:nano-echo-sepdph',
		prompt: 'Say c',
		candidates: JSON.stringify(['c', 'a']),
		n: '3',
		maxNewTokens: '4',
		temperature: '1',
	});
	await page.goto(`/score#${hash}`);
	// The link opens the demo and restores the prompt, candidates and sampling settings.
	await expect(page.getByTestId('model-card')).toContainText('116,192', { timeout: 90_000 });
	await expect(page.getByTestId('prompt')).toHaveValue('Say c');
	await expect(page.getByTestId('candidate')).toHaveCount(2);
	await expect(page.getByTestId('gen-max-new-tokens')).toHaveValue('4');
	await page.getByRole('button', { name: 'Generate 3' }).click();
	const rows = page.getByTestId('ranking').getByTestId('ranking-row');
	await expect(rows).toHaveCount(5, { timeout: 60_000 });
	await expect(page.locator('[data-testid="ranking-row"][data-source="generated"]')).toHaveCount(3);
	for (let r = 0; r < 5; r++) {
		expect(
			Number.isFinite(Number((await rows.nth(r).getByTestId('ranking-reward').textContent())?.replace('★', ''))),
		).toBe(true);
		expect(
			Number.isFinite(Number((await rows.nth(r).getByTestId('ranking-logprob').textContent())?.replace('★', ''))),
		).toBe(true);
	}
	await expect(rows.first().locator('td').nth(2)).toHaveText('c');
	await expect(rows.first().getByTestId('ranking-reward')).toContainText('★');
	await expect(rows.nth(2).getByTestId('token-heatmap')).toBeVisible();
	await expect(page.getByTestId('stream-text')).toHaveCount(3);

	// Best-of-N over a batch of prompts, with the same settings (3 samples of 4 tokens).
	const prompts = ['a', 'c']
		.map((l) => JSON.stringify({ messages: [{ role: 'user', content: `Say ${l}` }], reference: l }))
		.join('\n');
	await page
		.getByTestId('bestofn-file')
		.setInputFiles({ name: 'p.jsonl', mimeType: 'text/plain', buffer: Buffer.from(prompts) });
	await expect(page.getByTestId('bestofn-summary')).toContainText('2 prompt(s) from p.jsonl, n = 3: at N = 3 random', {
		timeout: 60_000,
	});
	await expect(page.getByTestId('bestofn-chart').locator('svg').first()).toBeVisible();

	// Long, near-uniform samples: Stop ends them early and they are ranked as far as they got.
	await page.getByTestId('gen-n').fill('64');
	await page.getByTestId('gen-max-new-tokens').fill('900');
	await page.getByTestId('gen-temperature').fill('50');
	await expect(page).toHaveURL(/n=64/);
	await page.getByRole('button', { name: 'Generate 64' }).click();
	await expect(page.getByTestId('stream-text')).toHaveCount(64, { timeout: 60_000 });
	await page.getByTestId('generate-stop').click();
	await expect(page.getByTestId('ranking-summary')).toContainText('64 generated, stopped early', { timeout: 60_000 });
	await expect(rows.filter({ hasText: '(stopped)' }).first()).toBeVisible();
	await expect(page.getByRole('button', { name: 'Generate 64' })).toBeEnabled();
	await expect(page.getByRole('alert')).toHaveCount(0);
});

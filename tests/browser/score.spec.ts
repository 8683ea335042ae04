import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const shipped = join(process.cwd(), 'static/checkpoints/nano-echo-sepdph');

test('the Score page opens the shipped checkpoint, ranks candidates by reward and batch-evaluates a JSONL', async ({
	page,
}) => {
	test.setTimeout(240_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	await page.getByTestId('open-shipped').filter({ hasText: 'nano-echo-sepdph' }).click();
	const card = page.getByTestId('model-card');
	await expect(card).toContainText('116,192', { timeout: 60_000 });
	await expect(card).toContainText('swiglu_bert');
	await expect(card).toContainText('F32');
	// The example prompt of the manifest: "Say c" with a–d.
	await expect(page.getByTestId('prompt')).toHaveValue('Say c');
	await page.getByTestId('score').click();
	const results = page.getByTestId('score-results');
	await expect(results.locator('tbody tr')).toHaveCount(4, { timeout: 60_000 });
	// Sorted by reward: the trained head puts the echoed letter first, near the optimum log 9 ≈ 2.2.
	const first = results.locator('tbody tr').first();
	await expect(first.locator('td').nth(1)).toHaveText('c');
	const reward = Number(((await first.locator('td').nth(2).textContent()) ?? '').replace('★', '').trim());
	expect(reward).toBeGreaterThan(1.5);
	await expect(first.getByTestId('token-heatmap')).toBeVisible();

	await page.getByTestId('batch-file').setInputFiles(join(shipped, 'examples.jsonl'));
	const summary = page.getByTestId('batch-summary');
	await expect(summary).toContainText('40 item(s) from examples.jsonl', { timeout: 120_000 });
	await expect(summary).toContainText('DPH accuracy 1.000');
	await expect(page.getByTestId('batch-results').locator('tbody tr')).toHaveCount(40);
	const download = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Export CSV' }).click();
	expect((await download).suggestedFilename()).toBe('examples-nano-echo-sepdph.csv');
});

test('the Score page opens picked files, and says what is wrong with a folder that is not a checkpoint', async ({
	page,
}) => {
	test.setTimeout(120_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	const files = readdirSync(shipped).map((f) => join(shipped, f));
	await page.getByTestId('open-files').setInputFiles(files.filter((f) => !f.endsWith('model.safetensors')));
	await expect(page.getByRole('alert')).toContainText('model.safetensors is missing', { timeout: 60_000 });
	await page.getByTestId('open-files').setInputFiles(files);
	await expect(page.getByTestId('model-card')).toContainText('116,192', { timeout: 60_000 });
	await expect(page.getByRole('alert')).toHaveCount(0);
});

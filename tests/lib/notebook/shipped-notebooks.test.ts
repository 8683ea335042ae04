// @vitest-environment jsdom
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/lib/dph/backend';
import { type HeadlessRun, runNotebookHeadless } from './headless';

// Every shipped notebook is executable, as marimo's are: each runs headless with no cell failing. A notebook that
// breaks (a renamed export, a changed default, a module dropped from the cell list) fails here, not in a reader's tab.

interface Plan {
	/** View values for the run, as a shared link sets them: long jobs run small. */
	hash?: string;
	/** The label each job shows, which says how big it is: proof the run was small. */
	jobs?: RegExp[];
	/** Cells (by a name they define) that fail on purpose, with their message; their dependents may fail upstream. */
	failsOnPurpose?: Record<string, RegExp>;
	/** Text the cell defining a name must show once the jobs are done: proof the run computed something. */
	shows?: Record<string, RegExp>;
}

const PLANS: Record<string, Plan> = {
	// The tour's "Errors stay where they happen" section has a typo cell for the reader to fix.
	welcome: { failsOnPurpose: { bits: /Math\.lgo is not a function/ }, jobs: [/^Training a tiny reward model/] },
	// The training job (150 steps of an LSWT model) and the sweep (2 seeds × 10 runs × 100 steps) run small.
	'train-a-dph-model': { hash: '#steps=2', jobs: [/^Training \(sepdph, ε = 0\.1\)/] },
	'pooler-objective-ablation': { hash: '#seeds=1&steps=20', jobs: [/^10 runs of 20 steps/] },
	// Both runs from the shipped demo checkpoint (served from static/), 2 steps each.
	'align-a-checkpoint': {
		hash: '#steps=2',
		jobs: [/^Frozen backbone, heads only: 2 steps on copy/, /^Full fine-tune: 2 steps on copy/],
		shows: { comparison: /heads only\s*2\s*\d\.\d{3}[\s\S]*full fine-tune\s*2\s*\d\.\d{3}/ },
	},
	// 100 animated SGD steps of 16 pairs instead of 400 of 256: the generator still runs to its end.
	'margin-convergence': { hash: '#steps=100&pairs=16' },
	// One prompt per letter, 8 one-token samples each, from the shipped demo checkpoint (served from static/).
	'inference-time-alignment': {
		hash: '#n=8&repeats=1',
		jobs: [/^4 prompts × 8 samples/],
		shows: { curves: /^4 pools of 8 samples; \d+\.\d% of all samples are correct\.$/ },
	},
};

const slugs = readdirSync('notebooks')
	.filter((f) => f.endsWith('.html'))
	.map((f) => f.replace(/\.html$/, ''));

let run: HeadlessRun | null = null;
afterEach(() => {
	run?.dispose();
	run = null;
	history.replaceState(null, '', '/');
});

beforeAll(async () => {
	// The cpu backend: the same kernels everywhere, and no GPU emulation to wait for.
	await initBackend({ prefer: 'cpu' });
});

describe('shipped notebooks run headless', () => {
	it('covers every notebook in notebooks/', () => {
		expect(slugs.length).toBeGreaterThanOrEqual(6);
		for (const s of Object.keys(PLANS)) expect(slugs).toContain(s);
	});

	for (const slug of slugs) {
		it(`${slug}.html: every cell fulfils`, async () => {
			const plan = PLANS[slug] ?? {};
			run = await runNotebookHeadless(readFileSync(`notebooks/${slug}.html`, 'utf8'), {
				where: `${slug}.html`,
				hash: plan.hash,
			});
			const purposeful = new Map<number, RegExp>();
			for (const { cell, info } of run.cells) {
				for (const name of info.outputs) {
					const re = plan.failsOnPurpose?.[name];
					if (re) purposeful.set(cell.id, re);
				}
			}
			expect(purposeful.size).toBe(Object.keys(plan.failsOnPurpose ?? {}).length);
			const problems: string[] = [];
			for (const { cell, info } of run.cells) {
				const re = purposeful.get(cell.id);
				if (re) {
					if (info.status !== 'error' || !re.test(info.error ?? ''))
						problems.push(`cell ${cell.id} should fail: ${re}`);
				} else if (info.status === 'upstream-error' && info.upstream !== undefined && purposeful.has(info.upstream)) {
					// Downstream of a cell that fails on purpose.
				} else if (info.status !== 'fulfilled') {
					problems.push(
						`cell ${cell.id} (${cell.value.split('\n')[0].slice(0, 60)}): ${info.status} ${info.error ?? ''}`,
					);
				}
			}
			expect(problems).toEqual([]);
			for (const [name, re] of Object.entries(plan.shows ?? {})) {
				const shown = run.cells.find(({ info }) => info.outputs.includes(name));
				expect(shown?.root.textContent?.trim(), `${name}`).toMatch(re);
			}
			expect(run.jobs.map((j) => j.label)).toEqual((plan.jobs ?? []).map((re) => expect.stringMatching(re)));
			for (const { kind, label, done, error, stopped } of run.jobs)
				expect({ kind, label, done, error, stopped }).toMatchObject({ done: true, error: null, stopped: false });
		});
	}
});

/**
 * Specs the Sweeps page offers to start from. The first is the shipped file the CLI and docs/SWEEPS.md run,
 * imported rather than copied so the page and `npx dph sweep docs/examples/…` cannot drift apart.
 */
import poolerObjective from '../../../../docs/examples/sweep-pooler-objective.json';

/** 100 short steps of the nano model on echo: what the ε and η examples vary around. */
const QUICK_BASE = {
	model: { preset: 'nano', initStd: 0.1 },
	data: { trainPairs: 512, validationPairs: 128 },
	optim: { lr: 0.01, warmupSteps: 10 },
	steps: 100,
	batchSize: 8,
	evalEvery: 25,
};

export const DEFAULT_EXAMPLE = 'Pooler × objective (Table 4)';

export const SWEEP_EXAMPLES: Record<string, object> = {
	[DEFAULT_EXAMPLE]: poolerObjective,
	'DPH ε × objective': {
		name: 'eps-objective',
		base: QUICK_BASE,
		grid: { dphEps: [0.05, 0.1, 0.25], objective: ['sepdph', 'condph'], seed: [1, 2] },
	},
	'Label noise η': {
		name: 'label-noise',
		base: QUICK_BASE,
		grid: { noise: [0, 0.1, 0.2, 0.3], seed: [1, 2] },
	},
	'Tiny demo (2 runs, seconds)': {
		name: 'tiny-demo',
		base: {
			batchSize: 2,
			steps: 2,
			evalEvery: 1,
			optim: { warmupSteps: 0 },
			data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
		},
		grid: { seed: [1, 2] },
	},
};

/** An example as the editor shows it. */
export const exampleText = (name: string): string => JSON.stringify(SWEEP_EXAMPLES[name], null, 2);

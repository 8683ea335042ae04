/** Pieces shared by the training-curve charts (Train page, a sweep's opened run), so they read the same. */
import * as Plot from '@observablehq/plot';

/** r_w, r_l and the margin in the same colours wherever they are drawn. */
export const REWARD_COLOR = {
	domain: ['r_w', 'r_l', 'margin'],
	range: ['var(--chosen)', 'var(--rejected)', 'var(--accent)'],
	legend: true,
};

/** A dashed rule at accuracy 0.5: chance, for a choice between two answers. */
export const chanceRule = () => Plot.ruleY([0.5], { stroke: 'var(--fg-faint)', strokeDasharray: '3,3' });

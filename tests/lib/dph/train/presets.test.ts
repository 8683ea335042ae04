/**
 * The acceptance for the demo presets, run exactly as `dph train --preset …` runs them (nano model, echo
 * task at difficulty 1, DPH ε = 0.1, joint with cDPO), on wasm, the fastest backend in Node. The theorems give
 * the targets: SepDPH's validation rewards at ±log((1−ε)/ε) (Theorem 1), ConDPH's margin at log((1−ε)/ε)
 * (Theorem 2), each within 10 %.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG, TRAIN_PRESETS } from '../../../../src/lib/dph/train/config';
import { trainLoop } from '../../../../src/lib/dph/train/loop';
import { DPHTrainer, type EvalMetrics } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('wasm');
});

async function run(preset: string): Promise<{ v: EvalMetrics; target: number }> {
	const cfg = TRAIN_PRESETS[preset](DEFAULT_TRAIN_CONFIG);
	expect(cfg.data.task).toBe('echo');
	// One validation, after the last step.
	const t = new DPHTrainer(tf, { ...cfg, evalEvery: cfg.steps });
	try {
		const { validation, diverged } = await trainLoop(t);
		expect(diverged).toBeNull();
		if (!validation) throw new Error('no validation after the last step');
		const eps = cfg.objective.dphEps;
		return { v: validation, target: Math.log((1 - eps) / eps) };
	} finally {
		t.dispose();
	}
}

describe('demo presets on the decidable task', () => {
	it('sepdph-demo: validation DPH accuracy ≥ 0.9 and mean r_w, r_l within 10 % of ±log 9 (Theorem 1)', async () => {
		const { v, target } = await run('sepdph-demo');
		expect(target).toBeCloseTo(2.1972, 4);
		expect(v.dphAccuracy).toBeGreaterThanOrEqual(0.9);
		expect(Math.abs(v.rewardChosen - target)).toBeLessThan(0.1 * target);
		expect(Math.abs(v.rewardRejected + target)).toBeLessThan(0.1 * target);
	}, 400_000);

	it('condph-demo: validation DPH accuracy ≥ 0.9 and mean margin within 10 % of log 9 (Theorem 2)', async () => {
		const { v, target } = await run('condph-demo');
		expect(v.dphAccuracy).toBeGreaterThanOrEqual(0.9);
		expect(Math.abs(v.margin - target)).toBeLessThan(0.1 * target);
	}, 400_000);
});

import { describe, expect, it } from 'vitest';
import { trainResultNote } from '../../../../src/lib/components/train/result';
import type { TrainResult } from '../../../../src/lib/workers/job-specs';

const files = {
	'config.json': '{}',
	'model.safetensors': new Uint8Array(8),
	'tokenizer.json': '{}',
	'tokenizer_config.json': '{}',
};
const base: TrainResult = {
	validation: null,
	steps: 150,
	weightsStep: 150,
	stopped: false,
	error: null,
	diverged: null,
	backend: 'WebAssembly',
	parameters: 116192,
	from: null,
	trainable: 'all',
	frozenTensors: 0,
	files,
};

describe('the Train page note next to Save and Download', () => {
	it('a finished run: trained weights of the last step', () => {
		expect(trainResultNote(base)).toEqual({
			headline: 'Finished after 150 steps on WebAssembly · 116,192 parameters.',
			weights: 'The checkpoint holds the weights of step 150.',
			untrained: false,
			saveable: true,
		});
	});

	it('diverged and rolled back to step K: says so', () => {
		const n = trainResultNote({
			...base,
			steps: 37,
			weightsStep: 30,
			diverged: { step: 38, quantity: 'the loss', rolledBackTo: 30 },
		});
		expect(n.headline).toBe('Diverged at step 38 (the loss is not finite) on WebAssembly · 116,192 parameters.');
		expect(n.weights).toMatch(/^Rolled back to step 30: the checkpoint holds the weights of step 30/);
		expect([n.untrained, n.saveable]).toEqual([false, true]);
	});

	it('rolled back to step 0, or stopped before any step: the initial weights are labelled untrained', () => {
		const d = trainResultNote({
			...base,
			steps: 0,
			weightsStep: 0,
			diverged: { step: 1, quantity: 'the weight norm after the update', rolledBackTo: 0 },
		});
		expect(d.weights).toBe('Rolled back to step 0 — these are the initial, untrained weights.');
		expect([d.untrained, d.saveable]).toEqual([true, true]);
		const s = trainResultNote({ ...base, steps: 0, weightsStep: 0, stopped: true });
		expect(s.weights).toBe('No step was run — these are the initial, untrained weights.');
		expect(s.untrained).toBe(true);
	});

	it('no good weights at all: nothing to save', () => {
		const n = trainResultNote({
			...base,
			steps: 0,
			weightsStep: 0,
			files: null,
			diverged: { step: 1, quantity: 'the loss', rolledBackTo: null },
		});
		expect(n.weights).toBe('No weights gave a finite loss, so there is no checkpoint to save.');
		expect([n.untrained, n.saveable]).toEqual([false, false]);
	});
});

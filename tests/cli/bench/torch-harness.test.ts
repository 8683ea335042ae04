import { describe, expect, it } from 'vitest';
import { findTorchPython, torchBench } from '../../../src/cli/bench/torch-harness';

describe('dph bench --part torch (PyTorch side by side)', () => {
	it('times the same model in PyTorch and the workbench, or says plainly why it cannot', async () => {
		const notes: Record<string, string> = {};
		const { python, tried } = await findTorchPython();
		const r = await torchBench(true, () => {}, notes);
		const ms = r.result.train_step_ms as Record<string, number | null>;
		if (!python) {
			// No PyTorch on this machine: the part must say so, with what it tried, and measure nothing.
			expect(tried.length).toBeGreaterThan(0);
			expect(r.measured).toBe(false);
			expect(notes['train_step_ms.torch_1_thread']).toMatch(/skipped: no python3 with torch/);
			expect(ms.torch_1_thread).toBeNull();
			return;
		}
		expect(r.measured, JSON.stringify(notes)).toBe(true);
		const b = r.result.torch_step as {
			parameters: number;
			shape: { rows: number; seq: number; vocab: number };
			rounds: { torch: { parameters: number; shape: { rows: number; seq: number; vocab: number } } }[];
			workbenchMs: number;
			torchMs: { threads1: number };
			ratio: number;
		};
		// The script built the same model (the harness throws otherwise) on the same batch shape.
		const t = b.rounds[0].torch;
		expect(t.parameters).toBe(b.parameters);
		expect(t.shape.rows).toBe(b.shape.rows);
		expect(t.shape.seq).toBe(b.shape.seq);
		expect(t.shape.vocab).toBe(b.shape.vocab);
		expect(b.shape.rows).toBe(8); // --quick: nano preset, 4 pairs
		for (const v of [b.workbenchMs, b.torchMs.threads1]) expect(v).toBeGreaterThan(0);
		expect(r.result.train_step_ratio_vs_torch).toBeCloseTo(b.workbenchMs / b.torchMs.threads1, 10);
	}, 120_000);
});

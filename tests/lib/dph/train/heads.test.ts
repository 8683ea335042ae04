import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesFolder } from '../../../../src/lib/dph/checkpoint/folder';
import { loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { HeadError } from '../../../../src/lib/dph/model/heads';
import { scoreItems } from '../../../../src/lib/dph/score';
import { resolveTrainConfig, TrainConfigError } from '../../../../src/lib/dph/train/config';
import { loadStart, type StartPoint } from '../../../../src/lib/dph/train/start';
import { type CheckpointFiles, DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const yesNo = Array.from({ length: 24 }, (_, i) =>
	JSON.stringify({ prompt: `q${i % 17}`, chosen: i % 2 ? 'yes' : 'ok', rejected: 'no' }),
).join('\n');

const base = {
	steps: 2,
	batchSize: 4,
	evalEvery: 3,
	data: { task: 'jsonl', jsonl: yesNo },
	optim: { lr: 1e-2, warmupSteps: 0 },
	// No cDPO term, so the heads-only runs below train on cached backbone vectors (fast) and no reference is loaded.
	objective: { dpoWeight: 0 },
};

const folderOf = (files: CheckpointFiles, name = 'ckpt') =>
	filesFolder(
		Object.entries(files).map(([n, d]) => new File([d as BlobPart], n)),
		name,
	);

const start = (files: CheckpointFiles): Promise<StartPoint> => loadStart(tf, async () => folderOf(files), 'ckpt');

function tensorBytes(files: CheckpointFiles): Map<string, Buffer> {
	const st = readSafetensors(files['model.safetensors']);
	return new Map(
		st.tensors.map((x) => {
			const d = x.data as Float32Array;
			return [x.name, Buffer.from(d.buffer, d.byteOffset, d.byteLength)];
		}),
	);
}

/** A checkpoint as dph train writes one: nano preset, head "reward", trained 2 steps so its head is not the init. */
async function baseCheckpoint(): Promise<CheckpointFiles> {
	const t = new DPHTrainer(tf, resolveTrainConfig({ ...base, steps: 2 }));
	for (let i = 0; i < 2; i++) await t.step();
	const files = await t.export();
	t.dispose();
	return files;
}

async function train(raw: Record<string, unknown>, from: CheckpointFiles | null, steps = 3) {
	const t = new DPHTrainer(tf, resolveTrainConfig({ ...base, steps, ...raw }), from ? await start(from) : undefined);
	const losses: number[] = [];
	for (let i = 0; i < steps; i++) losses.push((await t.step()).loss);
	const ev = await t.evaluate();
	const files = await t.export();
	const info = { head: t.heads.head, notes: t.heads.notes, cached: t.cache !== null, frozen: t.frozenNames };
	t.dispose();
	return { files, losses, ev, info };
}

describe('heads: task-specific heads on a loaded checkpoint', () => {
	let ckpt: CheckpointFiles;
	beforeAll(async () => {
		ckpt = await baseCheckpoint();
	}, 60_000);

	it('a new head trained on the checkpoint leaves the other head bit-identical; export → load keeps both', async () => {
		const before = tensorBytes(ckpt);
		const r = await train({ trainable: 'heads', heads: { reinit: 'head', name: 'task' } }, ckpt, 2);
		expect(JSON.parse(r.files['config.json']).reward_heads).toEqual(['reward', 'task']);
		expect(r.info.notes.join('\n')).toMatch(/added reward head task/);
		const after = tensorBytes(r.files);
		expect(after.get('reward_heads.reward.weight')?.equals(before.get('reward_heads.reward.weight') as Buffer)).toBe(
			true,
		);
		expect(r.info.frozen).toContain('reward_heads.reward.weight');
		expect(after.has('reward_heads.task.weight')).toBe(true);
		// The shared pooler trains with the new head (the note says so) and every non-head tensor stays.
		expect(after.get('pooler_pipeline.0.weight')?.equals(before.get('pooler_pipeline.0.weight') as Buffer)).toBe(false);
		expect(r.info.notes.join('\n')).toMatch(/pooler_pipeline/);
		for (const [k, v] of before)
			if (!k.startsWith('pooler_pipeline.')) expect(v.equals(after.get(k) as Buffer), k).toBe(true);

		// Round trip: the exported folder loads with both heads, in order, with the exported values.
		const ck = await loadCheckpointTensors(tf, folderOf(r.files));
		try {
			expect(ck.config.reward_heads).toEqual(['reward', 'task']);
			expect(ck.card.rewardHeads).toEqual(['reward', 'task']);
			for (const k of ['reward_heads.reward.weight', 'reward_heads.task.weight']) {
				const v = Buffer.from(((await ck.params[k].data()) as Float32Array).buffer);
				expect(v.equals(after.get(k) as Buffer), k).toBe(true);
			}
		} finally {
			ck.dispose();
		}
	}, 60_000);

	it('with the pooler frozen only the new head changes; training it again by name continues it', async () => {
		const r = await train(
			{ trainable: 'heads', frozen: ['pooler_pipeline'], heads: { reinit: 'head', name: 'task' } },
			ckpt,
		);
		const before = tensorBytes(ckpt);
		const after = tensorBytes(r.files);
		const changed = [...after.keys()].filter((k) => !before.get(k)?.equals(after.get(k) as Buffer));
		expect(changed).toEqual(['reward_heads.task.weight']);
		// Continuing the existing head "task" (reinit none) starts from its trained values and trains only it.
		const cfg = resolveTrainConfig({ ...base, trainable: 'heads', heads: { name: 'task' } });
		const t = new DPHTrainer(tf, cfg, await start(r.files));
		expect(t.heads.notes.join('\n')).toMatch(/shared by 1 other head/);
		const initial = tensorBytes(await t.export());
		expect(initial.get('reward_heads.task.weight')?.equals(after.get('reward_heads.task.weight') as Buffer)).toBe(true);
		await t.step();
		const next = tensorBytes(await t.export());
		t.dispose();
		expect(next.get('reward_heads.task.weight')?.equals(initial.get('reward_heads.task.weight') as Buffer)).toBe(false);
		expect(next.get('reward_heads.reward.weight')?.equals(initial.get('reward_heads.reward.weight') as Buffer)).toBe(
			true,
		);
	}, 60_000);

	it('pooler+head re-initialises the pooler as another type; the export loads with it', async () => {
		const r = await train(
			{ trainable: 'heads', heads: { reinit: 'pooler+head', pooler: 'bert', cache: false } },
			ckpt,
			1,
		);
		const cfg = JSON.parse(r.files['config.json']);
		expect(cfg.reward_pooler).toBe('bert');
		expect(cfg.reward_heads).toEqual(['reward']);
		const after = tensorBytes(r.files);
		expect([...after.keys()].filter((k) => k.startsWith('pooler_pipeline.')).sort()).toEqual([
			'pooler_pipeline.0.bias',
			'pooler_pipeline.0.weight',
		]);
		expect(
			readSafetensors(r.files['model.safetensors']).tensors.find((t) => t.name === 'pooler_pipeline.0.weight')?.shape,
		).toEqual([64, 64]);
		const ck = await loadCheckpointTensors(tf, folderOf(r.files));
		expect(ck.config.reward_pooler).toBe('bert');
		ck.dispose();
	}, 60_000);

	it('bad head settings are errors naming the heads the checkpoint has, and leave no tensors behind', async () => {
		const before = tf.memory().numTensors;
		await expect(train({ heads: { name: 'nope' } }, ckpt, 1)).rejects.toThrow(
			/heads\.name: reward head "nope" does not exist; the checkpoint has one head: "reward"\. Set heads\.reinit to "head"/,
		);
		await expect(train({ heads: { pooler: 't5' } }, ckpt, 1)).rejects.toThrow(
			/heads\.pooler is "t5" but the checkpoint's pooler is "swiglu_bert".*"pooler\+head"/,
		);
		expect(tf.memory().numTensors).toBe(before);
		expect(() => resolveTrainConfig({ heads: { reinit: 'all' } })).toThrow(TrainConfigError);
		expect(() => resolveTrainConfig({ heads: { nme: 'x' } })).toThrow(/heads\.nme is not a heads option/);
		expect(() => resolveTrainConfig({ heads: { name: 'a.b' } })).toThrow(/heads\.name/);
	}, 60_000);

	it('scoring picks the head by name; an unknown name lists the heads', async () => {
		const r = await train({ trainable: 'heads', heads: { reinit: 'head', name: 'task' } }, ckpt, 2);
		const ck = await loadCheckpointTensors(tf, folderOf(r.files));
		try {
			const items = [{ messages: [{ role: 'user' as const, content: 'q3' }], candidates: ['yes', 'no', 'ok'] }];
			const first = await scoreItems(tf, ck, items);
			const byName = await scoreItems(tf, ck, items, { head: 'reward' });
			const task = await scoreItems(tf, ck, items, { head: 'task' });
			expect(byName[0].rewards).toEqual(first[0].rewards);
			// Independent check: a model whose only head is "task" (so the default path reads it) scores the same.
			const only = { ...ck, config: { ...ck.config, reward_heads: ['task'] } };
			const alone = await scoreItems(tf, only, items);
			expect(task[0].rewards).toEqual(alone[0].rewards);
			expect(task[0].rewards).not.toEqual(first[0].rewards);
			await expect(scoreItems(tf, ck, items, { head: 'x' })).rejects.toThrow(HeadError);
			await expect(scoreItems(tf, ck, items, { head: 'x' })).rejects.toThrow(
				'reward head "x" does not exist; the checkpoint has 2 heads: "reward", "task"',
			);
		} finally {
			ck.dispose();
		}
	}, 60_000);

	it('a preset run names its head with heads.name', async () => {
		const r = await train({ heads: { name: 'mine' }, objective: { dpoWeight: 0 } }, null, 1);
		expect(JSON.parse(r.files['config.json']).reward_heads).toEqual(['mine']);
		expect(tensorBytes(r.files).has('reward_heads.mine.weight')).toBe(true);
	}, 60_000);
});

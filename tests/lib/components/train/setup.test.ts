import { describe, expect, it } from 'vitest';
import {
	DEFAULT_SETUP,
	presetSetup,
	setupConfig,
	setupFromHash,
	setupToHash,
	startOf,
} from '../../../../src/lib/components/train/setup';
import { resolveTrainConfig, TRAIN_PRESETS } from '../../../../src/lib/dph/train/config';

const resolve = (s: typeof DEFAULT_SETUP, text?: string) =>
	resolveTrainConfig(setupConfig(s, text), TRAIN_PRESETS[s.preset]());

describe('the Train page setup in the URL', () => {
	it('the defaults are the empty hash, and the default setup resolves to the preset’s training config', () => {
		expect(setupToHash(DEFAULT_SETUP)).toBe('');
		expect(setupFromHash('')).toEqual({ setup: DEFAULT_SETUP, problems: [] });
		const c = resolve(DEFAULT_SETUP);
		const p = TRAIN_PRESETS['sepdph-demo']();
		expect(c.objective).toEqual(p.objective);
		expect([c.steps, c.optim.lr, c.model.preset, c.model.pooler, c.trainable]).toEqual([
			p.steps,
			p.optim.lr,
			p.model.preset,
			p.model.pooler,
			'all',
		]);
	});

	it('a link round-trips every changed field, and only those go into it', () => {
		const s = {
			...DEFAULT_SETUP,
			from: 'demo:nano-echo-sepdph',
			trainable: 'heads' as const,
			task: 'arithmetic' as const,
			steps: 3,
			eps: 0.25,
			seed: 7,
		};
		const hash = setupToHash(s);
		expect(new URLSearchParams(hash.slice(1)).size).toBe(6);
		expect(setupFromHash(hash)).toEqual({ setup: s, problems: [] });
		// A file name that parses as JSON stays a name.
		const j = { ...DEFAULT_SETUP, task: 'jsonl' as const, jsonl: '123' };
		expect(setupFromHash(setupToHash(j)).setup).toEqual(j);
		const c = presetSetup('condph-demo');
		expect(setupToHash(c)).toBe('#preset=condph-demo');
		expect(setupFromHash('#preset=condph-demo').setup.dph).toBe('condph');
	});

	it('what a link gives that the page cannot take is named, and the default kept', () => {
		const { setup, problems } = setupFromHash('#steps=-3&trainable=frozen&from=hub:x&foo=1&eps=0.2');
		expect(setup).toEqual({ ...DEFAULT_SETUP, eps: 0.2 });
		expect(problems).toEqual([
			"the link's steps = -3 cannot be used; kept 150",
			'the link\'s trainable = "frozen" cannot be used; kept "all"',
			'the link\'s from = "hub:x" cannot be used; kept "scratch"',
			'the link\'s "foo" is not a setting of this page; ignored',
		]);
	});

	it('from a checkpoint the config names it and leaves the model to it; a JSONL setup carries the text', () => {
		expect(startOf('stored:dph-a:b')).toEqual({ kind: 'stored', name: 'dph-a:b' });
		expect(startOf('scratch')).toBeNull();
		const raw = setupConfig({ ...DEFAULT_SETUP, from: 'demo:nano-echo-sepdph', trainable: 'no-backbone', steps: 4 });
		expect(raw.from).toBe('nano-echo-sepdph');
		expect(raw.model).toBeUndefined();
		const c = resolve({ ...DEFAULT_SETUP, from: 'demo:nano-echo-sepdph', trainable: 'no-backbone', steps: 4 });
		expect([c.from, c.trainable, c.steps, c.optim.warmupSteps]).toEqual(['nano-echo-sepdph', 'no-backbone', 4, 0]);
		const h = resolve({ ...DEFAULT_SETUP, from: 'demo:nano-echo-sepdph', head: 'task', steps: 4 });
		expect(h.heads).toEqual({ reinit: 'head', name: 'task' });
		expect(resolve(DEFAULT_SETUP).heads).toBeUndefined();
		expect(setupFromHash('#head=a%20b').problems).toEqual(['the link\'s head = "a b" cannot be used; kept ""']);
		const text = '{"prompt":"a","chosen":"b","rejected":"c"}\n';
		const j = resolve({ ...DEFAULT_SETUP, task: 'jsonl', jsonl: 'x.jsonl' }, text);
		expect(j.data).toMatchObject({ task: 'jsonl', jsonl: text });
	});
});

import { getTf, initBackend } from '/work/main/src/lib/dph/backend';
import { resolveTrainConfig } from '/work/main/src/lib/dph/train/config';
import { DPHTrainer } from '/work/main/src/lib/dph/train/trainer';
await initBackend({ prefer: 'wasm' });
const tf = await getTf();
const cfg = resolveTrainConfig({ steps: 100, batchSize: 16, model: { preset: 'tiny' }, data: { trainPairs: 64, validationPairs: 8 }, optim: { warmupSteps: 1 } });
const t = new DPHTrainer(tf, cfg);
await t.step(); await t.step();
const info = await tf.profile(async () => { await t.step(); });
const by = new Map<string, { ms: number; n: number; shapes: Map<string, number> }>();
for (const k of info.kernels) {
  const e = by.get(k.name) ?? { ms: 0, n: 0, shapes: new Map() };
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.ms += ms; e.n++;
  const sh = k.inputShapes.map((s) => JSON.stringify(s)).join('·');
  e.shapes.set(sh, (e.shapes.get(sh) ?? 0) + ms);
  by.set(k.name, e);
}
const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
console.log('kernels', info.kernels.length, 'kernel ms', total.toFixed(1));
for (const [name, e] of [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18)) {
  const top = [...e.shapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([s, ms]) => `${s} ${ms.toFixed(1)}`).join(' | ');
  console.log(name.padEnd(22), e.ms.toFixed(1).padStart(7), String(e.n).padStart(5), ' ', top.slice(0, 150));
}
const t0 = performance.now(); for (let i = 0; i < 3; i++) await t.step(); console.log('step ms', ((performance.now() - t0) / 3).toFixed(0));
t.dispose();

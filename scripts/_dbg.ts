import { getTf, initBackend } from '/work/main/src/lib/dph/backend';
await initBackend({ prefer: 'wasm' });
const tf = await getTf();
for (const tA of [false, true]) {
  const a = tf.ones([5, 7]), b = tf.ones([5, 19]), a2 = tf.ones([7,5]);
  const before = tf.memory().numTensors;
  const c = tf.tidy(() => tf.matMul(tA ? a : a2, b, tA, false).add(0));
  console.log(tA, c.shape, tf.memory().numTensors - before, (tf.backend() as any).numDataIds());
  c.dispose();
}

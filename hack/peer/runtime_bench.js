// ONNX Runtime's side of hack/runtime-bench.sh: one session per model on
// one thread, random input, the mean of 300 runs after 30 warm-up runs.
// Usage: node runtime_bench.js MODEL NxCxHxW [MODEL NxCxHxW]...
const ort = require('onnxruntime-node');

async function bench(path, shape) {
  const s = await ort.InferenceSession.create(path, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const data = Float32Array.from({length: shape.reduce((a, b) => a * b)}, () => Math.random() * 255);
  const feeds = {[s.inputNames[0]]: new ort.Tensor('float32', data, shape)};
  for (let i = 0; i < 30; i++) await s.run(feeds);
  const n = 300, t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await s.run(feeds);
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
}

(async () => {
  const args = process.argv.slice(2);
  for (let i = 0; i + 1 < args.length; i += 2) {
    const shape = args[i + 1].split('x').map(Number);
    try {
      console.log(`onnxruntime\t${args[i]}\t${args[i + 1]}\t${(await bench(args[i], shape)).toFixed(2)} ms`);
    } catch (e) {
      console.log(`onnxruntime\t${args[i]}\t${args[i + 1]}\tcannot run: ${e.message.split('\n')[0]}`);
    }
  }
})();

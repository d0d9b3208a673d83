// `node bench/models.mjs` (after `npx tsc -p tsconfig.build.json`): on 8,000 MNIST digits, times training the MLP,
// the trigger scan of that model over its 10 labels (gradient search), STRIP per input (50 overlays, ONNX Runtime)
// and tracing 50 predictions to the 8,000 training records. Medians of 3. Prints one JSON object on stdout.
const { loadMnistArrays } = await import('../dist/io/builtin/mnist.js')
const { trainMlp } = await import('../dist/models/mlp.js')
const { classifierFromNetwork, predictedClasses } = await import('../dist/models/classifier.js')
const { predictNetwork } = await import('../dist/models/dense-network.js')
const { encodeNetworkModel } = await import('../dist/models/onnx-export.js')
const { loadOnnxClassifier } = await import('../dist/models/onnx-classifier.js')
const { scanForTriggers } = await import('../dist/models/trigger-scan.js')
const { calibrateStrip } = await import('../dist/models/strip.js')
const { traceResponsibleRecords } = await import('../dist/models/trace.js')

const runs = 3
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
async function timed(action) {
  const seconds = []
  let result
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    result = await action()
    seconds.push((performance.now() - started) / 1000)
  }
  return { seconds: median(seconds), result }
}

const mnist = loadMnistArrays()
const rows = (from, count) => ({
  data: mnist.pixels.subarray(from * 784, (from + count) * 784),
  rows: count,
  cols: 784,
})
const train = rows(0, 8000)
const labels = mnist.labels.subarray(0, 8000)
const training = await timed(() => trainMlp(train, labels, { seed: 1 }))
const network = training.result
const test = rows(8000, 2000)
const predicted = predictedClasses(predictNetwork(network, test))
const accuracy = predicted.filter((label, row) => label === mnist.labels[8000 + row]).length / 2000

const scanInputs = rows(8000, 400)
const scan = await timed(() =>
  scanForTriggers({
    classifier: classifierFromNetwork(network),
    x: scanInputs,
    labels: mnist.labels.subarray(8000, 8400),
    classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
  }),
)

const onnx = await loadOnnxClassifier(encodeNetworkModel(network, []))
const calibration = rows(8400, 300)
const strip = await calibrateStrip(onnx, calibration)
const scored = rows(8700, 1000)
const stripTime = await timed(() => strip.score(scored))
await onnx.dispose()

const inputsX = rows(9700, 50)
const trace = await timed(() =>
  traceResponsibleRecords({
    trainX: train,
    trainLabels: labels,
    inputsX,
    inputPredictions: predictedClasses(predictNetwork(network, inputsX)),
    network,
  }),
)

process.stdout.write(
  `${JSON.stringify({
    trainRows: 8000,
    mlp: { seconds: training.seconds, heldOutAccuracy: accuracy, hiddenUnits: 64, epochs: 5 },
    scanTriggers: { seconds: scan.seconds, labels: 10, samplesPerLabel: 32, steps: 60 },
    strip: {
      millisecondsPerInput: (1000 * stripTime.seconds) / scored.rows,
      overlays: strip.overlays,
      inputs: scored.rows,
    },
    trace: { seconds: trace.seconds, trainingRecords: 8000, inputs: 50 },
  })}\n`,
)

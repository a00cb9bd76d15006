// The page: opens WebGPU, loads MNIST through the crate's own reader, trains with a live chart
// and progress bar, then classifies a digit drawn on the pad. `?mode=parity` runs the crate's
// CPU-vs-GPU parity cases instead. Query settings: train=N and test=N (rows kept, 0 = all),
// epochs=N, model=mlp|convnet, chunk=N (steps between redraws). What it did is in window.tg,
// for the browser test.
import init, { openGpu, parityCaseCount, parityCase, Trainer } from './pkg/tensorgears.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const setting = (name, fallback) => (query.has(name) ? Number(query.get(name)) : fallback);
const tg = (window.tg = { phase: 'loading', parity: [], epochs: [], points: [], error: null, prediction: null });

function status(text) {
  $('status').textContent = text;
}

function fail(message) {
  tg.phase = 'error';
  tg.error = String(message);
  status('Error: ' + message);
  console.error(message);
}

async function fetchBytes(name) {
  const response = await fetch('data/' + name);
  if (!response.ok) throw new Error(`data/${name}: HTTP ${response.status} (serve MNIST's .gz files in web/data/)`);
  return new Uint8Array(await response.arrayBuffer());
}

// The loss and accuracy chart: running means through each epoch, test accuracy at its end.
function drawChart() {
  const c = $('chart');
  const g = c.getContext('2d');
  const [w, h, pad] = [c.width, c.height, 30];
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#999';
  g.strokeRect(pad, 10, w - pad - 10, h - pad - 10);
  g.fillStyle = '#222';
  g.font = '12px sans-serif';
  g.fillText('1.0', 4, 16);
  g.fillText('0', 14, h - pad + 4);
  g.fillText('epochs →', w - 70, h - 8);
  const epochs = Math.max(1, setting('epochs', 5));
  const x = (t) => pad + (t / epochs) * (w - pad - 10);
  const y = (v) => 10 + (1 - Math.min(1, Math.max(0, v))) * (h - pad - 20);
  // Accuracy on 0..1; the loss on 0..its largest value so far (at least 1).
  const top = Math.max(1, ...tg.points.map((p) => p.loss));
  const line = (value, color) => {
    g.strokeStyle = color;
    g.beginPath();
    tg.points.forEach((p, i) => (i ? g.lineTo(x(p.t), y(value(p))) : g.moveTo(x(p.t), y(value(p)))));
    g.stroke();
  };
  line((p) => p.accuracy, '#2a2');
  line((p) => p.loss / top, '#c33');
  g.fillStyle = '#47a';
  for (const e of tg.epochs) g.fillRect(x(e.epoch + 1) - 3, y(e.testAccuracy) - 3, 6, 6);
  g.fillStyle = '#c33';
  g.fillText(top > 1 ? `loss (top ${top.toFixed(2)})` : 'loss', pad + 6, h - pad - 6);
  g.fillStyle = '#2a2';
  g.fillText('accuracy', pad + 110, h - pad - 6);
  g.fillStyle = '#47a';
  g.fillText('test accuracy', pad + 175, h - pad - 6);
}

async function runParity() {
  tg.phase = 'parity';
  const n = parityCaseCount();
  const table = $('parity');
  for (let i = 0; i < n; i++) {
    status(`Parity case ${i + 1} of ${n}…`);
    $('progress').value = i / n;
    const r = await parityCase(i);
    tg.parity.push(r);
    const row = table.insertRow();
    row.insertCell().textContent = r.family;
    row.insertCell().textContent = r.name;
    const verdict = row.insertCell();
    verdict.textContent = r.passed ? `ok (max |Δ| ${r.maxError.toExponential(1)})` : 'FAILED: ' + r.failure;
    if (!r.passed) verdict.className = 'fail';
  }
  $('progress').value = 1;
  const failed = tg.parity.filter((r) => !r.passed).length;
  status(`Parity: ${n - failed} of ${n} cases agree with the CPU path${failed ? `; ${failed} differ` : ''}.`);
  tg.phase = 'done';
}

async function train() {
  status('Loading MNIST…');
  const files = await Promise.all(
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(fetchBytes),
  );
  const model = query.get('model') || 'mlp';
  if (model === 'convnet')
    $('about').innerHTML =
      'The small convnet that follows chapter 2 of <i>Deep Learning with Python</i> (three 3x3 convolutions, ' +
      'two max-poolings, a dense layer), trained with Adam by <code>tensorgears</code> compiled to WebAssembly, ' +
      'its kernels run through WebGPU.';
  const trainer = new Trainer(...files, model, setting('train', 0), setting('test', 0), BigInt(setting('seed', 0)));
  tg.trainer = trainer;
  const epochs = setting('epochs', 5);
  const chunk = Math.max(1, setting('chunk', 20));
  const steps = trainer.stepsPerEpoch();
  tg.phase = 'training';
  for (let epoch = 0; epoch < epochs; epoch++) {
    const start = performance.now();
    let done = 0;
    let p = null;
    while (done < steps) {
      const n = trainer.trainSteps(chunk);
      if (n === 0) break;
      done += n;
      p = await trainer.progress();
      tg.points.push({ t: epoch + done / steps, loss: p.loss, accuracy: p.accuracy });
      $('progress').value = (epoch + done / steps) / epochs;
      status(`Epoch ${epoch + 1} of ${epochs}: step ${done} of ${steps}, loss ${p.loss.toFixed(4)}, accuracy ${p.accuracy.toFixed(4)}`);
      drawChart();
    }
    const seconds = (performance.now() - start) / 1000;
    // The last chunk's progress is the epoch's: no second read.
    if (!p) p = await trainer.progress();
    const [testLoss, testAccuracy] = await trainer.evaluate();
    tg.epochs.push({ epoch, seconds, loss: p.loss, accuracy: p.accuracy, testLoss, testAccuracy });
    $('epochs').innerHTML = tg.epochs
      .map((e) => `epoch ${e.epoch + 1}: ${e.seconds.toFixed(1)} s, loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}, test accuracy ${e.testAccuracy.toFixed(4)}`)
      .join('<br>');
    drawChart();
    trainer.nextEpoch();
  }
  $('progress').value = 1;
  const last = tg.epochs[tg.epochs.length - 1];
  status(`Trained: test accuracy ${last ? last.testAccuracy.toFixed(4) : '?'}. Draw a digit.`);
  $('classify').disabled = false;
  tg.phase = 'ready';
}

// The pad: white strokes on black, brought to MNIST's form (the ink's box scaled to 20x20
// pixels, centred by its centre of mass in 28x28) before classifying.
const pad = $('pad');
const pen = pad.getContext('2d');
function clearPad() {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, pad.width, pad.height);
  $('prediction').textContent = '';
  $('probabilities').innerHTML = '';
}
clearPad();
let last = null;
pad.addEventListener('pointerdown', (e) => (last = [e.offsetX, e.offsetY]));
pad.addEventListener('pointerup', () => (last = null));
pad.addEventListener('pointerleave', () => (last = null));
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  pen.strokeStyle = '#fff';
  pen.lineWidth = 22;
  pen.lineCap = 'round';
  pen.beginPath();
  pen.moveTo(...last);
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
  last = [e.offsetX, e.offsetY];
});
$('clear').addEventListener('click', clearPad);

function mnistPixels() {
  const src = pen.getImageData(0, 0, pad.width, pad.height).data;
  let [x0, y0, x1, y1] = [pad.width, pad.height, -1, -1];
  for (let y = 0; y < pad.height; y++)
    for (let x = 0; x < pad.width; x++)
      if (src[(y * pad.width + x) * 4] > 20) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  if (x1 < 0) return null;
  const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = 20 / Math.max(w, h);
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  const s = small.getContext('2d');
  const place = (dx, dy) => {
    s.fillStyle = '#000';
    s.fillRect(0, 0, 28, 28);
    s.imageSmoothingQuality = 'high';
    s.drawImage(pad, x0, y0, w, h, 14 - (w * scale) / 2 + dx, 14 - (h * scale) / 2 + dy, w * scale, h * scale);
    return s.getImageData(0, 0, 28, 28).data;
  };
  let px = place(0, 0);
  let [mass, mx, my] = [0, 0, 0];
  for (let i = 0; i < 784; i++) {
    const v = px[i * 4];
    mass += v;
    mx += v * (i % 28);
    my += v * Math.floor(i / 28);
  }
  px = place(Math.round(13.5 - mx / mass), Math.round(13.5 - my / mass));
  return Uint8Array.from({ length: 784 }, (_, i) => px[i * 4]);
}

$('classify').addEventListener('click', async () => {
  const pixels = mnistPixels();
  if (!pixels) {
    $('prediction').textContent = 'Draw a digit first.';
    return;
  }
  try {
    const p = Array.from(await tg.trainer.classify(pixels));
    const best = p.indexOf(Math.max(...p));
    tg.prediction = { digit: best, probabilities: p };
    $('prediction').textContent = `It is a ${best} (${(100 * p[best]).toFixed(1)}%).`;
    $('probabilities').innerHTML = p
      .map((v, d) => `<tr class="${d === best ? 'best' : ''}"><td>${d}</td><td><div class="bar" style="width:${Math.round(200 * v)}px"></div></td><td>${(100 * v).toFixed(1)}%</td></tr>`)
      .join('');
  } catch (e) {
    fail(e.message || e);
  }
});

async function main() {
  if (!navigator.gpu) {
    const box = $('nogpu');
    box.style.display = 'block';
    box.textContent =
      'This browser has no WebGPU, which this page needs to reach your GPU. Use a recent Chrome, Edge or Safari, ' +
      'or Firefox with WebGPU enabled (and, on Linux, Chrome with chrome://flags/#enable-unsafe-webgpu).';
    tg.phase = 'no-webgpu';
    status('No WebGPU.');
    return;
  }
  try {
    await init();
    $('adapter').textContent = 'GPU: ' + (await openGpu());
    if (query.get('mode') === 'parity') await runParity();
    else await train();
  } catch (e) {
    fail(e.message || e);
  }
}
main();

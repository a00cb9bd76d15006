// The browser test: serves web/ on 127.0.0.1, drives headless Chromium (WebGPU on its
// SwiftShader Vulkan) and checks the page: every parity case agrees with the CPU path inside
// the browser, a short training run learns, a digit drawn with the mouse is classified, the
// page says so when there is no WebGPU, and nothing is logged as an error. Prints
// `web: N passed, M failed` last; exits 1 on any failure.
//
// node run.mjs [--full] [--query Q --threshold T] [--screenshot FILE]
//   --full       trains on all of MNIST for 5 epochs and checks a test accuracy of at least 0.97.
//   --query Q    the training page's query instead (e.g. '?model=convnet&train=1280&epochs=1'),
//   --threshold  with the test accuracy it must reach (default 0.85).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const full = args.includes('--full');
const shotAt = args.indexOf('--screenshot');
const screenshot = shotAt >= 0 ? args[shotAt + 1] : path.join(root, 'web-test.png');
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
  const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
  fs.readFile(target, (err, body) => {
    if (err) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(target)] || 'application/octet-stream' });
    res.end(body);
  });
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
    '--use-webgpu-adapter=swiftshader', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
}

// Console errors and uncaught exceptions, per page.
async function open(query, init) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
    else if (process.env.WEB_TEST_VERBOSE) console.log('  console:', m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (init) await page.addInitScript(init);
  await page.goto(base + 'index.html' + query);
  return { page, errors };
}

async function waitFor(page, phases, minutes) {
  await page.waitForFunction((p) => p.includes(window.tg && window.tg.phase), phases, { timeout: minutes * 60_000, polling: 500 });
  return page.evaluate(() => ({ ...window.tg, trainer: undefined }));
}

try {
  // 1. Parity: every case, each a check of its own.
  {
    const { page, errors } = await open('?mode=parity');
    const tg = await waitFor(page, ['done', 'error'], 15);
    check('parity page opened WebGPU and ran', tg.phase === 'done', tg.error || '');
    for (const r of tg.parity) check(`parity ${r.family}: ${r.name}`, r.passed, r.passed ? `max |diff| ${r.maxError.toExponential(1)}` : r.failure);
    const families = new Set(tg.parity.map((r) => r.family));
    check('parity covers every kernel family', ['copy', 'elementwise', 'gather', 'loss', 'matmul', 'optimizer', 'random', 'reduce', 'window'].every((f) => families.has(f)), [...families].join(' '));
    check('parity page logged no errors', errors.length === 0, errors.join(' | '));
    await page.close();
  }

  // 2. Training, then a digit drawn with the mouse.
  {
    const query = option('--query') || (full ? '?epochs=5' : '?train=12000&test=1000&epochs=1&chunk=10');
    const { page, errors } = await open(query);
    const tg = await waitFor(page, ['ready', 'error'], full ? 120 : 20);
    console.log(`  adapter: ${await page.locator('#adapter').textContent()}`);
    const last = tg.epochs[tg.epochs.length - 1];
    const threshold = Number(option('--threshold') || (full ? 0.97 : 0.85));
    check(`training learns (test accuracy >= ${threshold})`, tg.phase === 'ready' && last && last.testAccuracy >= threshold,
      tg.error || (last ? `test accuracy ${last.testAccuracy.toFixed(4)}` : 'no epoch'));
    for (const e of tg.epochs)
      console.log(`  epoch ${e.epoch + 1}: ${e.seconds.toFixed(1)} s, loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}, test accuracy ${e.testAccuracy.toFixed(4)}`);
    check('the chart got points through the epoch', tg.points.length >= 5, `${tg.points.length} points`);
    if (tg.phase === 'ready') {
      // A "1": one stroke down the middle of the pad.
      const pad = await page.locator('#pad').boundingBox();
      await page.mouse.move(pad.x + 140, pad.y + 40);
      await page.mouse.down();
      for (let y = 40; y <= 240; y += 10) await page.mouse.move(pad.x + 140 + (y - 40) / 40, pad.y + y);
      await page.mouse.up();
      await page.click('#classify');
      await page.waitForFunction(() => window.tg.prediction || window.tg.phase === 'error', null, { timeout: 60_000 });
      const p = await page.evaluate(() => window.tg.prediction);
      const sum = p ? p.probabilities.reduce((a, b) => a + b, 0) : 0;
      const shown = await page.locator('#prediction').textContent();
      check('a drawn 1 is classified as 1', p && p.digit === 1 && Math.abs(sum - 1) < 1e-3 && shown.includes('It is a 1'),
        p ? `digit ${p.digit}, p = ${p.probabilities.map((v) => v.toFixed(3)).join(' ')}; page says "${shown}"` : 'no prediction');
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`  screenshot: ${screenshot}`);
    check('training page logged no errors', errors.length === 0, errors.join(' | '));
    await page.close();
  }

  // 3. Without WebGPU the page says so.
  {
    const { page, errors } = await open('', () => delete Object.getPrototypeOf(navigator).gpu);
    const tg = await waitFor(page, ['no-webgpu', 'error', 'done', 'ready'], 2);
    const box = await page.locator('#nogpu');
    check('without WebGPU the page says so', tg.phase === 'no-webgpu' && (await box.isVisible()) && (await box.textContent()).includes('no WebGPU'));
    check('no-WebGPU page logged no errors', errors.length === 0, errors.join(' | '));
    await page.close();
  }
} catch (e) {
  check('the browser test ran to its end', false, String(e));
} finally {
  await browser.close();
  server.close();
}
const failed = results.filter((r) => !r.ok).length;
console.log(`web: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

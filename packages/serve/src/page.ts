/**
 * The page at `/`: draw or upload a digit (or any image, scaled to the model's input size), send
 * it with a token, see the defended label and the attempts left. Plain HTML and one small script,
 * no build step and nothing fetched from elsewhere; it reads the input shape from `/v1/model`.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mixnsqueeze: defended classifier</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  #pad { border: 1px solid #888; touch-action: none; cursor: crosshair; background: #000; }
  .row { margin: .6rem 0; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  #label { font-size: 3rem; font-weight: bold; min-height: 3.5rem; }
  #error { color: #b00; min-height: 1.2rem; }
  code { background: #eee; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>Defended classifier</h1>
<p id="about">Loading the model's description...</p>
<div class="row"><label for="token">Token</label> <input id="token" type="password" size="40" autocomplete="off" placeholder="mns_..."></div>
<canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
<div class="row">
  <button id="classify" type="button">Classify</button>
  <button id="clear" type="button">Clear</button>
  <label>or upload an image <input id="upload" type="file" accept="image/*"></label>
</div>
<div>Defended label: <span id="label" aria-live="polite"></span></div>
<div>Attempts left: <span id="attempts">?</span> <span id="resets"></span></div>
<div id="error" role="alert"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const pad = $('pad');
const ctx = pad.getContext('2d');
let model = null;

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();

// Drawing: white strokes on black, as MNIST digits are.
let drawing = false;
let last = null;
function point(e) {
  const r = pad.getBoundingClientRect();
  return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
}
pad.addEventListener('pointerdown', (e) => { drawing = true; last = point(e); pad.setPointerCapture(e.pointerId); });
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = point(e);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(p.x, p.y);
  ctx.stroke();
  last = p;
});
pad.addEventListener('pointerup', () => { drawing = false; });
$('clear').addEventListener('click', clearPad);

$('upload').addEventListener('change', () => {
  const file = $('upload').files[0];
  if (!file) return;
  const img = new Image();
  img.onload = () => { clearPad(); ctx.drawImage(img, 0, 0, pad.width, pad.height); URL.revokeObjectURL(img.src); };
  img.onerror = () => { $('error').textContent = 'that file is not an image the browser can read'; };
  img.src = URL.createObjectURL(file);
});

const token = () => $('token').value.trim();
$('token').value = sessionStorage.getItem('mns-token') || '';
$('token').addEventListener('change', () => { sessionStorage.setItem('mns-token', token()); showBudget(); });

function showAttempts(answer) {
  $('attempts').textContent = String(answer.attemptsLeft);
  $('resets').textContent = answer.resetsAt ? '(the budget resets at ' + new Date(answer.resetsAt).toLocaleString() + ')' : '';
}

async function showBudget() {
  if (!token()) return;
  const r = await fetch('/v1/budget', { headers: { Authorization: 'Bearer ' + token() } });
  const body = await r.json();
  if (r.ok) { showAttempts(body); $('error').textContent = ''; } else $('error').textContent = body.error;
}

// The pad scaled down to the model's input (H x W x C) in its value bounds, as JSON.
function sample() {
  const [h, w, c] = model.inputShape;
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d');
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(pad, 0, 0, w, h);
  const rgba = sctx.getImageData(0, 0, w, h).data;
  const [lo, hi] = model.bounds;
  const data = new Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < c; k++) {
      const v = c === 1 ? (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3 : rgba[4 * i + k];
      data[i * c + k] = lo + (hi - lo) * v / 255;
    }
  }
  return { shape: [1, h, w, c], data };
}

$('classify').addEventListener('click', async () => {
  $('error').textContent = '';
  if (!model) { $('error').textContent = 'the model description has not loaded yet'; return; }
  if (!token()) { $('error').textContent = 'enter a token first (mixnsqueeze token create prints one)'; return; }
  sessionStorage.setItem('mns-token', token());
  $('classify').disabled = true;
  try {
    const r = await fetch('/v1/classify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token() },
      body: JSON.stringify(sample()),
    });
    const body = await r.json();
    if (!r.ok) {
      $('error').textContent = body.error;
      if (body.attemptsLeft !== undefined) showAttempts(body);
      return;
    }
    const label = body.labels[0];
    $('label').textContent = model.classNames ? model.classNames[label] : String(label);
    showAttempts(body);
  } catch (e) {
    $('error').textContent = 'the request failed: ' + e.message;
  } finally {
    $('classify').disabled = false;
  }
});

fetch('/v1/model').then((r) => r.json()).then((m) => {
  model = m;
  if (m.inputShape.length !== 3) {
    $('about').textContent = 'This model takes inputs of shape [' + m.inputShape.join(', ') + ']: not an image; use the API (/openapi.json).';
    $('classify').disabled = true;
    return;
  }
  $('about').textContent = 'Draw a digit or upload an image; it is scaled to ' + m.inputShape[1] + 'x' + m.inputShape[0] +
    ' and classified behind ' + (m.defense.length ? m.defense.join(' + ') : 'no defense') + ', with fresh random keys for every request. Each classification spends one attempt of your token.';
  showBudget();
}).catch((e) => { $('about').textContent = 'could not load /v1/model: ' + e.message; });
</script>
</body>
</html>
`;

// The page: model and media loading, sliders, the before/after view, URL mode (docs/web.md).
import {evaluateFilmMlp} from './film.js';
import {loadModelFromFiles, loadModelFromUrl} from './model.js';
import {WebGpuNetwork} from './network.js';
import {LiveConditioning, parseConditioningCsv} from './live.js';
import {conditioningNames as condNames, applyReactivity, maxReactivity} from './generated/plan.js';
import {isSceneCut, lumaThumbnail} from './scene_cut.js';

// The models installed beside web/ (DATADIR/cnnv3/weights; the install test checks the list). The
// page starts with the one weights/DEFAULT names, the first here when that file is missing.
export const shippedModels = ['toon-816', 'toon-48', 'paint-816', 'paint-48', 'poster-816', 'poster-48'];

const $ = (id) => document.getElementById(id);
const statusLine = $('status');
const state = {net: null, model: null, source: null, sourcePixels: null, output: null, ms: 0, rendering: false,
               again: false, live: null, csv: null,
               feedback: {keep: false, thumbnail: null}};  // prev.rgb (SPEC 2): see playedFrame()

function oneLine(e) {
  return String(e && e.message ? e.message : e).replace(/\s+/g, ' ').trim();
}

function showStatus(extra = '') {
  const net = state.net;
  const precision = !net ? '' : net.f16 ? ' (shader-f16)' : net.f16Refused ? ' (f32: its compiler refused the f16 shaders)' : ' (f32)';
  const parts = [net ? `adapter ${net.adapterName}${precision}` : 'no adapter'];
  if (state.model) parts.push(`model ${state.model.name} [${state.model.shape.c0},${state.model.shape.c1}]`);
  if (state.sourcePixels) parts.push(`size ${state.sourcePixels.width}x${state.sourcePixels.height}`);
  if (state.output) parts.push(`${state.ms.toFixed(1)} ms/frame`);
  if (state.live) parts.push(state.live.describe(currentCond()));
  statusLine.className = '';
  statusLine.textContent = parts.join(' | ') + (extra ? ` | ${extra}` : '');
}

function showError(e) {
  statusLine.className = 'error';
  statusLine.textContent = `error: ${oneLine(e)}`;
}

function slider(name) { return Number($(name).value); }

// The five conditioning values: the sliders; in video mode the music moves the first three around
// the sliders' values (the rest values: the model's default_cond until moved) by the reactivity R,
// as in SPEC 6 and docs/formats.md (applyReactivity, generated from shadergen/conditioning_names.h).
function currentCond() {
  const manual = condNames.map(slider);
  if (!state.live) return manual;
  const live = state.live.valuesAt($('video').currentTime, manual);
  return applyReactivity([live[0], live[1], live[2], manual[3], manual[4]], manual, slider('reactivity'));
}

// prev.rgb of a played video frame: the previous frame's network output ('keep'), or zero on the
// first frame after opening or seeking and at a scene cut (scene_cut.js). Stills and re-renders of
// a paused frame use zero.
function playedFrame(pixels) {
  const thumbnail = lumaThumbnail(pixels);
  const fb = state.feedback;
  const keep = fb.keep && fb.thumbnail !== null && !isSceneCut(fb.thumbnail, thumbnail);
  fb.thumbnail = thumbnail;
  fb.keep = true;
  return keep ? 'keep' : 'zero';
}

function pixelsOf(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', {colorSpace: 'srgb'});
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height, {colorSpace: 'srgb'});
}

function draw() {
  const view = $('view');
  const src = state.sourcePixels, out = state.output;
  if (!src) return;
  if (view.width !== src.width || view.height !== src.height) {
    view.width = src.width;
    view.height = src.height;
  }
  const ctx = view.getContext('2d');
  ctx.putImageData(src, 0, 0);
  if (out) {
    const x = Math.round(slider('split') * src.width);
    ctx.putImageData(out, 0, 0, x, 0, src.width - x, src.height);
    ctx.fillStyle = '#fff';
    if (x > 0 && x < src.width) ctx.fillRect(x, 0, 1, src.height);
  }
}

// Runs the network on the current pixels; coalesces requests that arrive while one runs. `prev`:
// what network.js's run() takes for channels 9-11.
async function render(prev = 'zero') {
  if (!state.net || !state.model || !state.sourcePixels) return;
  if (state.rendering) {
    state.again = true;
    return;
  }
  state.rendering = true;
  try {
    const cond = currentCond();
    if (state.live) condNames.forEach((n, i) => { if (i < 3) $(n).nextElementSibling.value = cond[i].toFixed(3); });
    const film = evaluateFilmMlp(state.model.mlp, cond);
    const t0 = performance.now();
    state.output = await state.net.run(state.sourcePixels, film, slider('strength'), prev);
    state.ms = performance.now() - t0;
    draw();
    showStatus();
    $('save').disabled = false;
  } finally {
    state.rendering = false;
  }
  if (state.again) {
    state.again = false;
    await render();
  }
}

async function setModel(model) {
  await state.net.setModel(model);
  state.feedback.keep = false;
  state.model = model;
  model.defaultCond.forEach((v, i) => setSlider(condNames[i], v));
}

function setSlider(name, value) {
  $(name).value = value;
  $(name).nextElementSibling.value = Number(value).toFixed(3);
}

async function imageFromBlob(blob) {
  return createImageBitmap(blob, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'});
}

function stopVideo() {
  const video = $('video');
  video.pause();
  if (state.live) state.live.stop();
  state.live = null;
  clearInterval(state.statusTimer);
  $('play').disabled = true;
}

async function openFiles(files) {
  const list = Array.from(files);
  const modelFiles = list.filter((f) => f.name === 'model.json' || f.name.endsWith('.bin'));
  const csv = list.find((f) => f.name.endsWith('.csv'));
  const media = list.find((f) => f.type.startsWith('image/') || f.type.startsWith('video/'));
  if (modelFiles.length) {
    await setModel(await loadModelFromFiles(modelFiles));
    $('model').value = '';
  }
  // A CSV belongs to the video opened with it, or to the one already open.
  if (csv) state.csv = parseConditioningCsv(await csv.text(), csv.name);
  else if (media && media.type.startsWith('video/')) state.csv = null;
  if (media && media.type.startsWith('image/')) {
    stopVideo();
    const bitmap = await imageFromBlob(media);
    state.sourcePixels = pixelsOf(bitmap, bitmap.width, bitmap.height);
  } else if (media) {
    await openVideo(URL.createObjectURL(media));
  } else if (csv && state.live) {
    await openVideo($('video').src);
  }
  await render();
}

async function openVideo(url) {
  stopVideo();
  // A fresh element each time: WebAudio can take an element's sound only once.
  const video = document.createElement('video');
  video.id = 'video';
  video.playsInline = true;
  $('video').replaceWith(video);
  video.onended = () => { $('play').textContent = 'play'; };
  video.src = url;
  await new Promise((resolve, reject) => {
    video.onloadeddata = resolve;
    video.onerror = () => reject(new Error(`${url}: cannot be decoded (expected a video this browser plays)`));
  });
  state.live = new LiveConditioning(video, state.csv);
  state.feedback = {keep: false, thumbnail: null};
  video.addEventListener('seeking', () => { state.feedback.keep = false; });
  // The status line follows the live values even while a slow frame renders.
  state.statusTimer = setInterval(() => {
    if (!video.paused && state.live && statusLine.className !== 'error') showStatus();
  }, 50);
  state.sourcePixels = pixelsOf(video, video.videoWidth, video.videoHeight);
  $('play').disabled = false;
}

// Each shown video frame: new pixels, new conditioning, one run.
function videoLoop() {
  const video = $('video');
  if (video.paused || video.ended || !state.live) return;
  state.sourcePixels = pixelsOf(video, video.videoWidth, video.videoHeight);
  render(playedFrame(state.sourcePixels)).catch(showError).finally(() => video.requestVideoFrameCallback(videoLoop));
}

// URL mode: ?model=URL&image=URL[&cond=a,b,c,d,e][&strength=S][&precision=f32]. Renders once, puts the
// PNG in <img id="result"> and sets the title to "done" or "error: <one line>".
async function urlMode(params) {
  const modelUrl = params.get('model'), imageUrl = params.get('image');
  if (!modelUrl || !imageUrl) throw new Error('URL mode needs model=URL and image=URL (expected ?model=...&image=...)');
  const number = (text, what) => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new Error(`${what}: "${text}" is not a number in [0, 1]`);
    return v;
  };
  let cond = null;
  if (params.has('cond')) {
    cond = params.get('cond').split(',').map((t) => number(t, 'cond'));
    if (cond.length !== 5)
      throw new Error(`cond has ${cond.length} values (expected 5: beat_phase,beat_norm,audio_intensity,style_p0,style_p1)`);
  }
  const strength = params.has('strength') ? number(params.get('strength'), 'strength') : 1;
  const prevUrl = params.get('prev');
  const model = await loadModelFromUrl(modelUrl);
  await setModel(model);
  (cond || model.defaultCond).forEach((v, i) => setSlider(condNames[i], v));
  setSlider('strength', strength);
  const response = await fetch(imageUrl);
  if (!response.ok) throw new Error(`${imageUrl}: HTTP ${response.status} (expected an image)`);
  let bitmap;
  try {
    bitmap = await imageFromBlob(await response.blob());
  } catch (e) {
    throw new Error(`${imageUrl}: cannot be decoded (expected a PNG or another image this browser reads)`);
  }
  state.sourcePixels = pixelsOf(bitmap, bitmap.width, bitmap.height);
  // prev=URL: an image of the same size as prev.rgb (SPEC 2), for the feedback parity test.
  let prev = 'zero';
  if (prevUrl) {
    const r = await fetch(prevUrl);
    if (!r.ok) throw new Error(`${prevUrl}: HTTP ${r.status} (expected an image)`);
    const p = await imageFromBlob(await r.blob()).catch(() => {
      throw new Error(`${prevUrl}: cannot be decoded (expected a PNG or another image this browser reads)`);
    });
    prev = pixelsOf(p, p.width, p.height);
  }
  await render(prev);
  const canvas = document.createElement('canvas');
  canvas.width = state.output.width;
  canvas.height = state.output.height;
  canvas.getContext('2d').putImageData(state.output, 0, 0);
  $('result').src = canvas.toDataURL('image/png');
}

function savePng() {
  if (!state.output) return;
  const canvas = document.createElement('canvas');
  canvas.width = state.output.width;
  canvas.height = state.output.height;
  canvas.getContext('2d').putImageData(state.output, 0, 0);
  const a = document.createElement('a');
  a.href = canvas.toDataURL('image/png');
  a.download = `cnnv3-${state.model.name}.png`;
  a.click();
}

function wireControls() {
  $('reactivity').max = String(maxReactivity);  // generated with the CLI's and the mpv script's bound
  for (const name of [...condNames, 'strength', 'reactivity', 'split']) {
    const input = $(name);
    input.nextElementSibling.value = Number(input.value).toFixed(3);
    input.addEventListener('input', () => {
      input.nextElementSibling.value = Number(input.value).toFixed(3);
      if (name === 'split') draw();
      else render().catch(showError);
    });
  }
  const select = $('model');
  for (const name of shippedModels) select.add(new Option(name, name));
  select.add(new Option('(dropped files)', ''));
  select.addEventListener('change', () => {
    if (!select.value) return;
    loadModelFromUrl(new URL(`../weights/${select.value}/`, location.href).href)
      .then(setModel).then(render).catch(showError);
  });
  $('files').addEventListener('change', (e) => openFiles(e.target.files).catch(showError));
  const drop = document.body;
  drop.addEventListener('dragover', (e) => { e.preventDefault(); $('drop').classList.add('over'); });
  drop.addEventListener('dragleave', () => $('drop').classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    $('drop').classList.remove('over');
    openFiles(e.dataTransfer.files).catch(showError);
  });
  $('save').addEventListener('click', savePng);
  $('play').addEventListener('click', togglePlay);
}

function togglePlay() {
  const video = $('video');
  if (video.paused) {
    state.live.start();
    video.play().then(() => video.requestVideoFrameCallback(videoLoop)).catch(showError);
    $('play').textContent = 'pause';
  } else {
    video.pause();
    $('play').textContent = 'play';
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const precision = params.get('precision') || 'auto';
  if (precision !== 'auto' && precision !== 'f32') throw new Error(`precision "${precision}" (expected auto or f32)`);
  state.net = await WebGpuNetwork.create(precision);
  wireControls();
  showStatus();
  if (params.has('image') || (params.has('model') && !params.has('video'))) {
    await urlMode(params);
    document.title = 'done';
    return;
  }
  // Interactive start: the default model (weights/DEFAULT, as for cnnv3; or model=URL) on a generated
  // test card, or on video=URL.
  let modelUrl = params.get('model');
  if (!modelUrl) {
    const response = await fetch(new URL('../weights/DEFAULT', location.href)).catch(() => null);
    const name = (response && response.ok ? await response.text() : '').trim() || shippedModels[0];
    modelUrl = new URL(`../weights/${encodeURIComponent(name)}/`, location.href).href;
    $('model').value = name;
  }
  await setModel(await loadModelFromUrl(modelUrl));
  if (params.has('video')) {
    if (params.has('reactivity')) {
      const text = params.get('reactivity'), r = Number(text);
      if (text.trim() === '' || !Number.isFinite(r) || r < 0 || r > maxReactivity)
        throw new Error(`reactivity: "${text}" is not a number in [0, ${maxReactivity}]`);
      setSlider('reactivity', r);
    }
    const csvUrl = params.get('csv');
    if (csvUrl) {
      const r = await fetch(csvUrl);
      if (!r.ok) throw new Error(`${csvUrl}: HTTP ${r.status} (expected a cnnv3 analyze CSV)`);
      state.csv = parseConditioningCsv(await r.text(), csvUrl);
    }
    await openVideo(params.get('video'));
    if (params.get('autoplay') === '1') togglePlay();  // needs the browser's autoplay permission
  } else {
    const card = new OffscreenCanvas(320, 180);
    const ctx = card.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, 320, 180);
    g.addColorStop(0, '#e63946');
    g.addColorStop(0.5, '#f1c453');
    g.addColorStop(1, '#1d3557');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 320, 180);
    ctx.fillStyle = '#fff';
    ctx.font = 'bold 40px sans-serif';
    ctx.fillText('cnnv3', 100, 105);
    state.sourcePixels = ctx.getImageData(0, 0, 320, 180);
  }
  await render();
  document.title = `cnnv3 ${state.model.name}`;  // also tells a test driver the page is ready
}

main().catch((e) => {
  showError(e);
  document.title = `error: ${oneLine(e)}`;
});

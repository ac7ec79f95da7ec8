// The try-on page: loads an export's model_contract.json and .tflite, runs the
// try-on with LiteRT.js (WebAssembly, CPU) on bundled samples, shows the
// outputs and the latency. Everything model-specific comes from the contract.
//
// URL parameters (all optional):
//   model=DIR/      export directory, relative to the page (default "model/")
//   format=int8     which of the contract's files to load (default: int8, else fp32, ...)
//   threads=N       WebAssembly threads (needs cross-origin isolation; default: all cores)
//   repeats=N       timed runs after each try-on, for the steady-state latency (default 5)
//
// State for tests and scripts is on `window.sievenet` (see `state` below):
// the page's own inputs and outputs as raw bytes, the latency and any error.

import {loadAndCompile, loadLiteRt, Tensor} from '@litertjs/core';

import {
  ContractError, elementCount, labelSet, photoGraph, pickModelFile, problemsForPage, problemsWithModel,
  validateContract,
} from './contract.js';
import {
  imageToRgba, labelsToRgba, maskToRgba, packImage, packKeypoints, packLabels, packMask,
  parseNpy, parseOpenPose,
} from './tensors.js';

const $ = (id) => document.getElementById(id);

const OUTPUT_TITLES = {
  tryon: 'Try-on',
  warped_cloth_fine: 'Warped garment (fine)',
  warped_cloth_coarse: 'Warped garment (coarse)',
  expected_segmentation: 'Expected segmentation',
  composition_mask: 'Composition mask',
};

const state = {
  status: 'loading', // loading | ready | running | done | error
  error: null, // the error text shown on the page
  contract: null,
  model: null, // {format, file, url, bytes}
  runtime: null, // {litertjs, wasm, threads, crossOriginIsolated}
  selection: {person: 0, garment: 0},
  inputs: {}, // name -> {dtype, shape, data: typed array} (what was fed)
  outputs: {}, // name -> {dtype, shape, data: typed array} (what came out)
  firstRunMs: null, // the first run of the compiled model (at load, on zeros)
  latency: null, // {first_ms, tryon_ms, steady_ms, runs_ms: [...]}
  runs: 0, // completed "Try on" presses
  /** Raw little-endian bytes of an input or output, base64 (exact, for tests). */
  dump(kind, name) {
    const entry = (kind === 'input' ? state.inputs : state.outputs)[name];
    if (!entry) return null;
    const bytes = new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return {dtype: entry.dtype, shape: entry.shape, base64: btoa(text)};
  },
};
window.sievenet = state;

const params = new URLSearchParams(location.search);
const modelDir = withSlash(params.get('model') || 'model/');
let repeats = 5; // read in main(), where a bad value can be reported on the page

let runner = null; // the contract's signature of the compiled model
let samples = null; // samples/index.json
const sampleCache = new Map();

// Lines LiteRT's WebAssembly module prints. It reports why a model does not
// load on the console and throws a shorter error; and when an operator is
// missing (an unresolved custom op, say) LiteRT.js 2.5 only *logs* "ERROR: ..."
// and run() still resolves, with outputs that were never computed. So the
// page keeps these lines, shows them with errors, and treats an ERROR line
// printed during a run as a failed run.
const runtimeLog = [];
let droppedLines = 0;
for (const level of ['error', 'warn', 'log', 'info']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    runtimeLog.push(args.map(String).join(' '));
    if (runtimeLog.length > 2000) {
      runtimeLog.splice(0, 1000);
      droppedLines += 1000;
    }
    original(...args);
  };
}
const logMark = () => droppedLines + runtimeLog.length;
const logSince = (mark) => runtimeLog.slice(Math.max(0, mark - droppedLines));

window.addEventListener('unhandledrejection', (event) => {
  fail('Unexpected error', event.reason);
});
window.addEventListener('error', (event) => {
  fail('Unexpected error', event.error || event.message);
});

main().catch((error) => fail('The page could not start', error));

async function main() {
  repeats = intParam('repeats', 5, 0, 1000);
  // Written by the build; only used to name versions on the page, so a page
  // copied without it still runs (and says "unknown").
  const buildInfo = await fetchJson('build_info.json', 'the page build').catch((error) => {
    console.warn(message(error));
    return null;
  });
  setStatus('Reading the model contract…');
  const contractUrl = `${modelDir}model_contract.json`;
  let contract;
  try {
    contract = validateContract(await fetchJson(contractUrl, 'the model contract'), contractUrl);
  } catch (error) {
    return fail('The model contract could not be read', error, [
      `The page looks for the export in "${modelDir}" next to it (URL parameter model=DIR/).`,
    ]);
  }
  state.contract = contract;
  const problems = problemsForPage(contract);
  if (problems.length) return fail(`This page cannot drive the model in ${contractUrl}`, null, problems);

  describePhotoUpload(contract);
  if (!(await loadSamples(contract))) return;

  let picked;
  try {
    picked = pickModelFile(contract, params.get('format'));
  } catch (error) {
    return fail('No model to load', error);
  }
  const modelUrl = modelDir + picked.file;
  state.model = {format: picked.format, file: picked.file, url: modelUrl};

  setStatus('Loading the LiteRT.js runtime…');
  const runtime = await startRuntime(buildInfo);
  if (!runtime) return; // fail() was called
  state.runtime = runtime;

  setStatus(`Downloading ${modelUrl}…`);
  let modelBytes;
  try {
    const response = await fetch(modelUrl);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    modelBytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return fail(`The model file ${modelUrl} could not be downloaded`, error);
  }
  state.model.bytes = modelBytes.byteLength;

  setStatus(`Compiling ${picked.file} (${picked.format})…`);
  const logStart = logMark();
  let compiled;
  try {
    compiled = await loadAndCompile(modelBytes, {
      accelerator: 'wasm',
      cpuOptions: {numThreads: runtime.threads},
    });
  } catch (error) {
    return fail(`The model ${picked.file} could not be loaded by LiteRT.js`, error, [
      ...runtimeMessages(logStart),
      describeModelBytes(modelBytes),
    ]);
  }
  const signatures = compiled.signatures || {};
  runner = signatures[contract.signature || 'serving_default'];
  if (!runner) {
    return fail(`The model ${picked.file} has no signature '${contract.signature}'`, null, [
      `Its signatures: ${Object.keys(signatures).join(', ') || 'none'}.`,
    ]);
  }
  const mismatch = problemsWithModel(contract, runner.getInputDetails(), runner.getOutputDetails());
  if (mismatch.length) return fail(`The model ${picked.file} does not match its contract`, null, mismatch);

  // One run on zero inputs before the page says "ready": LiteRT.js prepares
  // the operators on the first run, not at compile time, so this is where an
  // operator the runtime lacks shows up. It is also the first run's cost.
  setStatus(`Checking that ${picked.file} runs…`);
  try {
    const check = await checkedRun(zeroInputs(contract));
    for (const tensor of Object.values(check.results)) tensor.delete();
    state.firstRunMs = check.elapsed;
  } catch (error) {
    return fail(`The model ${picked.file} does not run in LiteRT.js`, error, [
      'An operator this runtime does not have (a custom or Flex op, or a builtin newer than ' +
        `LiteRT.js ${buildInfo ? buildInfo.litertjs_version : ''}) stops the model here; the ` +
        'exporter only writes builtin ops, so re-export the model with this project.',
    ]);
  }

  describeRuntime(contract, buildInfo);
  state.status = 'ready';
  setStatus('Ready: pick a person and a garment, then press “Try on”.');
  const button = $('tryon');
  button.disabled = false;
  button.addEventListener('click', () => {
    // checkedRun's errors carry the runtime's own lines already.
    tryOn().catch((error) => fail('The try-on failed', error));
  });
}

// ------------------------------------------------------------------ runtime

async function startRuntime(buildInfo) {
  const cores = navigator.hardwareConcurrency || 1;
  const requested = params.get('threads');
  let threads = requested ? intParam('threads', cores, 1, 64) : cores;
  // The threaded WebAssembly build needs SharedArrayBuffer, which browsers
  // only give to cross-origin isolated pages (COOP + COEP headers, see
  // web_demo/tools/serve.py). Without them the page runs single-threaded.
  const useThreads = threads > 1 && window.crossOriginIsolated;
  const notes = [];
  if (threads > 1 && !window.crossOriginIsolated) {
    notes.push('single-threaded: the page is not cross-origin isolated (serve it with ' +
      'COOP/COEP headers for threads)');
    threads = 1;
  }
  const logStart = logMark();
  try {
    await loadLiteRt('wasm/', useThreads ? {threads: true} : {});
  } catch (error) {
    if (!useThreads) {
      fail('The LiteRT.js WebAssembly runtime could not be loaded', error, [
        ...runtimeMessages(logStart),
        'It is loaded from the "wasm/" folder next to the page (copied from ' +
          'node_modules/@litertjs/core/wasm by the build).',
      ]);
      return null;
    }
    // Threads need relaxed SIMD and SharedArrayBuffer; fall back rather than fail.
    notes.push(`single-threaded: the threaded runtime did not load (${message(error)})`);
    threads = 1;
    try {
      await loadLiteRt('wasm/', {});
    } catch (error2) {
      fail('The LiteRT.js WebAssembly runtime could not be loaded', error2, runtimeMessages(logStart));
      return null;
    }
  }
  const wasmFile = performance.getEntriesByType('resource')
    .map((entry) => entry.name.split('/').pop())
    .find((name) => name.startsWith('litert_wasm') && name.endsWith('.wasm')) || 'unknown';
  return {
    litertjs: buildInfo ? buildInfo.litertjs_version : 'unknown',
    wasm: wasmFile,
    threads,
    crossOriginIsolated: window.crossOriginIsolated,
    notes,
  };
}

/** The runtime's warnings and errors since `mark`, as one detail line (or none). */
function runtimeMessages(mark) {
  const lines = logSince(mark).filter((line) => /^(ERROR|WARNING|E\d{4}|W\d{4})|error/i.test(line))
    // Always printed at start-up: LiteRT.js probes for an NPU the web has no access to.
    .filter((line) => !line.includes('npu_registry'));
  return lines.length ? [`The runtime reported: ${lines.slice(-8).join(' | ')}`] : [];
}

/** Errors LiteRT printed since `mark` ("ERROR: ..."), which mean the run did not happen. */
function runtimeErrors(mark) {
  return logSince(mark).filter((line) => line.startsWith('ERROR'));
}

/**
 * Runs the signature on typed arrays (by input name) and returns
 * {results, elapsed}. Throws when LiteRT reported an error during the run:
 * its outputs would be uninitialised memory.
 */
async function checkedRun(inputs) {
  const tensors = {};
  for (const [name, entry] of Object.entries(inputs)) {
    tensors[name] = new Tensor(entry.data, entry.shape);
  }
  const mark = logMark();
  let results;
  let elapsed;
  try {
    const start = performance.now();
    results = await runner.run(tensors);
    elapsed = performance.now() - start;
  } finally {
    for (const tensor of Object.values(tensors)) tensor.delete();
  }
  const errors = runtimeErrors(mark);
  if (errors.length) {
    for (const tensor of Object.values(results)) tensor.delete();
    const error = new Error(`LiteRT.js reported: ${errors.slice(0, 4).join(' | ')}`);
    error.runtimeErrors = errors;
    throw error;
  }
  return {results, elapsed};
}

// ------------------------------------------------------------------ samples

/** Reads samples/index.json and shows the choices; false (after fail()) if they cannot be used. */
async function loadSamples(contract) {
  try {
    samples = await fetchJson('samples/index.json', 'the sample index');
  } catch (error) {
    fail('The bundled samples could not be loaded', error);
    return false;
  }
  const [height, width] = contract.image_size;
  const size = samples.image_size || [];
  if (size[0] !== height || size[1] !== width) {
    fail('The bundled samples do not fit this model', null, [
      `The samples are ${size[1]}x${size[0]}, the model takes ${width}x${height}. Rebuild the ` +
        'page for this export: python web_demo/tools/build.py --export EXPORT_DIR',
    ]);
    return false;
  }
  const parseSpec = contract.inputs.find((spec) => spec.name === 'parse');
  const parseSet = parseSpec && labelSet(contract, parseSpec.label_set);
  const parseName = parseSet && parseSet.name ? parseSet.name : parseSpec && parseSpec.label_set;
  if (parseSpec && samples.parse_label_set && parseName !== samples.parse_label_set) {
    fail('The bundled samples do not fit this model', null, [
      `Their parse maps use the '${samples.parse_label_set}' label set, the model's parse input ` +
        `takes '${parseName}'.`,
    ]);
    return false;
  }
  renderChoices('persons', 'person', samples.persons, 'person.jpg');
  renderChoices('garments', 'garment', samples.garments, 'cloth.jpg');
  $('about').textContent = `Samples: ${samples.source || 'bundled'}.`;
  return true;
}

function renderChoices(containerId, kind, items, thumbnail) {
  const container = $(containerId);
  container.replaceChildren();
  items.forEach((item, index) => {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = kind;
    input.value = String(index);
    input.checked = index === state.selection[kind];
    input.addEventListener('change', () => {
      state.selection[kind] = index;
    });
    const img = document.createElement('img');
    img.src = `samples/${item.dir}/${thumbnail}`;
    img.alt = item.title;
    const caption = document.createElement('span');
    caption.textContent = item.title;
    label.append(input, img, caption);
    container.append(label);
  });
}

async function samplePixels(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  // colorSpaceConversion 'none': the decoded bytes as they are in the file,
  // as PIL reads them (no colour management between the file and the tensor).
  const bitmap = await createImageBitmap(await response.blob(), {
    colorSpaceConversion: 'none', premultiplyAlpha: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', {willReadFrequently: true});
  context.drawImage(bitmap, 0, 0);
  const {data} = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return {rgba: data, width: bitmap.width, height: bitmap.height};
}

async function cached(url, read) {
  if (!sampleCache.has(url)) sampleCache.set(url, read(url));
  return sampleCache.get(url);
}

/** The page's inputs for the selected person and garment, by contract name. */
async function buildInputs(contract) {
  const person = samples.persons[state.selection.person];
  const garment = samples.garments[state.selection.garment];
  const p = `samples/${person.dir}/`;
  const g = `samples/${garment.dir}/`;
  const [photo, cloth, mask, parse, pose] = await Promise.all([
    cached(`${p}person.jpg`, samplePixels),
    cached(`${g}cloth.jpg`, samplePixels),
    cached(`${g}cloth_mask.jpg`, samplePixels),
    cached(`${p}parse.npy`, async (url) => parseNpy(await fetchBuffer(url), url)),
    cached(`${p}keypoints.json`, async (url) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return parseOpenPose(await response.text(), contract.keypoint_names || [], url);
    }),
  ]);
  const normalization = contract.normalization.image;
  const inputs = {};
  for (const spec of contract.inputs) {
    let data;
    if (spec.name === 'person') {
      data = packImage(spec, normalization, photo.rgba, photo.width, photo.height);
    } else if (spec.name === 'cloth') {
      data = packImage(spec, normalization, cloth.rgba, cloth.width, cloth.height);
    } else if (spec.name === 'cloth_mask') {
      data = packMask(spec, mask.rgba, mask.width, mask.height);
    } else if (spec.name === 'parse') {
      data = packLabels(spec, parse, `${p}parse.npy`);
    } else if (spec.name === 'keypoints') {
      data = packKeypoints(spec, pose);
    }
    inputs[spec.name] = {dtype: spec.dtype, shape: spec.shape, data};
  }
  return {inputs, photo, cloth};
}

// ------------------------------------------------------------------ try-on

async function tryOn() {
  const contract = state.contract;
  const button = $('tryon');
  button.disabled = true;
  state.status = 'running';
  setStatus('Running the try-on…');
  try {
    const {inputs, photo, cloth} = await buildInputs(contract);
    state.inputs = inputs;

    // The first run of a compiled model pays one-off costs (operator
    // preparation, XNNPACK weight packing); it happened at load (state.firstRunMs).
    // The steady state is the median of `repeats` runs after this one.
    const first = await checkedRun(inputs);
    const outputs = readOutputs(contract, first.results);
    const steady = [];
    for (let i = 0; i < repeats; i++) {
      const run = await checkedRun(inputs);
      for (const tensor of Object.values(run.results)) tensor.delete();
      steady.push(run.elapsed);
    }
    state.outputs = outputs;
    state.latency = {
      first_ms: state.firstRunMs,
      tryon_ms: first.elapsed,
      steady_ms: steady.length ? median(steady) : null,
      runs_ms: steady,
    };
    renderOutputs(contract, outputs, photo, cloth);
    renderLatency();
    state.runs += 1;
    state.status = 'done';
    setStatus('Done. Pick another pair and press “Try on” again.');
  } finally {
    if (state.status !== 'error') button.disabled = false;
  }
}

function readOutputs(contract, results) {
  const outputs = {};
  for (const spec of contract.outputs) {
    const tensor = results[spec.name];
    if (!tensor) continue; // optional outputs the model does not have
    // toTypedArray() returns a view into WebAssembly memory: copy it before
    // the tensor is deleted or the memory grows.
    const data = tensor.toTypedArray().slice();
    outputs[spec.name] = {dtype: spec.dtype, shape: spec.shape, data};
  }
  for (const tensor of Object.values(results)) tensor.delete();
  if (!outputs.tryon) throw new Error("the model returned no 'tryon' output");
  return outputs;
}

// ------------------------------------------------------------------ display

function renderOutputs(contract, outputs, photo, cloth) {
  const container = $('outputs');
  container.replaceChildren();
  const [height, width] = contract.image_size;
  const scale = Math.max(1, Math.floor(200 / height));
  const add = (title, rgba, id) => {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${width * scale}px`;
    canvas.style.height = `${height * scale}px`;
    if (id) canvas.id = `out-${id}`;
    canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    figure.append(canvas, caption);
    container.append(figure);
  };
  add('Person', new Uint8ClampedArray(photo.rgba), 'person');
  add('Garment', new Uint8ClampedArray(cloth.rgba), 'cloth');
  const normalization = contract.normalization.image;
  // The try-on last, as in the project's grids: person | garment | … | try-on.
  const order = contract.outputs.filter((spec) => spec.name !== 'tryon')
    .concat(contract.outputs.filter((spec) => spec.name === 'tryon'));
  $('legend').replaceChildren();
  for (const spec of order) {
    const output = outputs[spec.name];
    if (!output) continue;
    const title = OUTPUT_TITLES[spec.name] || spec.name;
    if (spec.encoding === 'image') {
      add(title, imageToRgba(spec, normalization, output.data), spec.name);
    } else if (spec.encoding === 'mask') {
      add(title, maskToRgba(spec, output.data), spec.name);
    } else if (spec.encoding === 'label_ids') {
      const set = labelSet(contract, spec.label_set);
      add(title, labelsToRgba(spec, set, output.data), spec.name);
      renderLegend(set, output.data);
    }
  }
}

function renderLegend(set, ids) {
  const counts = new Map();
  for (const id of ids) counts.set(id, (counts.get(id) || 0) + 1);
  const legend = $('legend');
  const heading = document.createElement('span');
  heading.textContent = 'Segmentation classes:';
  legend.append(heading);
  for (const id of [...counts.keys()].sort((a, b) => a - b)) {
    const item = document.createElement('span');
    item.className = 'swatch';
    const [r, g, b] = set.colors[id];
    const box = document.createElement('i');
    box.style.background = `rgb(${r}, ${g}, ${b})`;
    item.append(box, document.createTextNode((set.names && set.names[id]) || `class ${id}`));
    legend.append(item);
  }
}

function renderLatency() {
  const {first_ms: first, tryon_ms: tryon, steady_ms: steady, runs_ms: runs} = state.latency;
  let text = `First run (at load) ${first.toFixed(1)} ms; this try-on ${tryon.toFixed(1)} ms`;
  if (steady !== null) {
    text += `; steady state ${steady.toFixed(1)} ms (median of ${runs.length} more runs, ` +
      `${Math.min(...runs).toFixed(1)}–${Math.max(...runs).toFixed(1)} ms)`;
  }
  $('latency').textContent = `${text}.`;
}

/**
 * Why a file may not load: a .tflite flatbuffer carries the identifier "TFL3"
 * at bytes 4-7, which a wrong file (an HTML error page, a Git LFS pointer)
 * does not.
 */
function describeModelBytes(bytes) {
  const size = `${bytes.byteLength} bytes`;
  const identifier = new TextDecoder('latin1').decode(bytes.subarray(4, 8));
  if (identifier !== 'TFL3') {
    const start = new TextDecoder('latin1').decode(bytes.subarray(0, 24)).replace(/[^ -~]/g, '.');
    return `The file (${size}) is not a TFLite flatbuffer: it lacks the "TFL3" identifier at ` +
      `bytes 4-7 and starts with "${start}".`;
  }
  return `The file (${size}) has the TFLite identifier but its contents do not parse: a ` +
    'truncated or corrupted download, or a model written by a newer converter.';
}

/** Zeros for every input of the contract (the load-time check run). */
function zeroInputs(contract) {
  const inputs = {};
  for (const spec of contract.inputs) {
    const Type = spec.dtype === 'int32' ? Int32Array : Float32Array;
    inputs[spec.name] = {dtype: spec.dtype, shape: spec.shape, data: new Type(elementCount(spec.shape))};
  }
  return inputs;
}

function describeRuntime(contract, buildInfo) {
  const r = state.runtime;
  const mb = (state.model.bytes / 1e6).toFixed(1);
  const parts = [
    `Model: ${state.model.file} (${state.model.format}, ${mb} MB), preset ` +
      `${contract.preset || '?'}, ${contract.image_size[0]} x ${contract.image_size[1]} (H x W).`,
    `Runtime: LiteRT.js ${r.litertjs}, WebAssembly on the CPU (${r.wasm}), ` +
      `${r.threads} thread${r.threads === 1 ? '' : 's'}.`,
  ];
  if (r.notes.length) parts.push(`Note: ${r.notes.join('; ')}.`);
  if (buildInfo && buildInfo.export) parts.push(`Export: ${buildInfo.export}.`);
  $('about').textContent = `${parts.join(' ')} ${$('about').textContent}`;
}

function describePhotoUpload(contract) {
  const graph = photoGraph(contract);
  $('photo').textContent = graph
    ? 'This export has a person-analyzer ("photo") graph, but this version of the page does ' +
      'not run it yet: try on the bundled samples instead.'
    : 'Not offered: this export has no person-analyzer ("photo") graph, so the page cannot ' +
      'compute the parse and keypoints of an uploaded photo. Try on the bundled samples; an ' +
      'export that includes the photo graph will enable uploads.';
}

function setStatus(text) {
  $('status').textContent = text;
}

/**
 * Shows an error on the page (and the console), in words: a title, the
 * error's message and any details. The page stays in the "error" state.
 */
function fail(title, error, details = []) {
  const lines = [];
  if (error) lines.push(message(error));
  lines.push(...details);
  const box = $('error');
  box.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = title;
  box.append(strong);
  if (lines.length) {
    const list = document.createElement('ul');
    for (const line of lines) {
      const item = document.createElement('li');
      item.textContent = line;
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
  state.status = 'error';
  state.error = [title, ...lines].join('\n');
  $('tryon').disabled = true;
  setStatus('Stopped: see the error above.');
  console.error(state.error, error || '');
}

// ------------------------------------------------------------------ helpers

function message(error) {
  if (error instanceof ContractError) return error.message;
  if (error instanceof Error) return error.message || error.name;
  if (typeof Event !== 'undefined' && error instanceof Event) {
    // A <script> that failed to load (LiteRT.js loads its WebAssembly glue that way).
    const target = error.target && (error.target.src || error.target.href);
    return `${error.type} while loading ${target || 'a resource'}`;
  }
  // Emscripten may throw numbers (a C++ exception pointer) or strings.
  return typeof error === 'string' ? error : `${error}`;
}

async function fetchBuffer(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response.arrayBuffer();
}

async function fetchJson(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${what} (${url}) could not be fetched: ${message(error)}`);
  }
  if (!response.ok) {
    throw new Error(`${what} (${url}) could not be fetched: HTTP ${response.status} ` +
      `${response.statusText}`);
  }
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} (${url}) is not valid JSON: ${error.message}`);
  }
}

function withSlash(path) {
  return path.endsWith('/') ? path : `${path}/`;
}

function intParam(name, fallback, low, high) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new Error(`URL parameter ${name}=${raw}: expected an integer in ${low}..${high}`);
  }
  return value;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Loading a CNN v3 model in the page: model.json and the two .bin files (SPEC 4, docs/formats.md).
//
// The same checks, in the same order and with the same one-line messages, as the C++ loader
// (shadergen/model.cpp): every refusal is a ModelError whose message reads "FILE: problem (expected
// ...)". Nothing here touches the GPU.

export const weightsFileName = 'cnn_v3_weights.bin';
export const filmMlpFileName = 'cnn_v3_film_mlp.bin';
export const manifestFileName = 'model.json';
const manifestMaxBytes = 1 << 20;
const manifestMaxDepth = 64;
export const filmHidden = 16;
export const featureChannels = 20;
export const outputChannels = 4;
export const layers = ['enc0', 'enc1', 'bottleneck', 'dec1', 'dec0'];

export class ModelError extends Error {
  constructor(file, problem) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}

// The architecture from enc_channels (shadergen/network.h).
export class NetworkShape {
  constructor(c0, c1, condDim = 5) {
    this.c0 = c0;
    this.c1 = c1;
    this.condDim = condDim;
  }
  conv(layer) {
    const {c0, c1} = this;
    return {
      enc0: {in: featureChannels, out: c0, dilation: 1},
      enc1: {in: c0, out: c1, dilation: 1},
      bottleneck: {in: c1, out: c1, dilation: 2},
      dec1: {in: 2 * c1, out: c0, dilation: 1},
      dec0: {in: 2 * c0, out: outputChannels, dilation: 1},
    }[layer];
  }
  paramCount(layer) {
    const c = this.conv(layer);
    return c.out * c.in * 9 + c.out;
  }
  convParamCount() { return layers.reduce((n, l) => n + this.paramCount(l), 0); }
  // Offset of a layer's weights in the weight file, in halves.
  weightOffset(layer) {
    let n = 0;
    for (const l of layers) {
      if (l === layer) return n;
      n += this.paramCount(l);
    }
    throw new Error(`unknown layer ${layer}`);
  }
  filmChannels(layer) { return layer === 'bottleneck' ? 0 : this.conv(layer).out; }
  filmSize() { return 2 * (this.c0 + this.c1 + this.c0 + outputChannels); }
  filmOffset(layer) {
    let n = 0;
    for (const l of layers) {
      if (l === layer) return n;
      n += 2 * this.filmChannels(l);
    }
    throw new Error(`unknown layer ${layer}`);
  }
  mlpFloatCount() {
    const n = this.filmSize();
    return filmHidden * this.condDim + filmHidden + n * filmHidden + n;
  }
}

// enc_channels from the file sizes (halves, floats); null when none or several fit.
export function inferShape(convHalves, mlpFloats) {
  let found = null;
  for (let c0 = 1; c0 <= 64; ++c0) {
    for (let c1 = 1; c1 <= 128; ++c1) {
      const s = new NetworkShape(c0, c1, 5);
      if (s.convParamCount() === convHalves && s.mlpFloatCount() === mlpFloats) {
        if (found) return null;
        found = s;
      }
    }
  }
  return found;
}

function cutShort(text, max = 60) {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 3).join('') + '...';
}
const brief = (v) => cutShort(JSON.stringify(v));
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const isString = (v) => typeof v === 'string';

function require(obj, key, label, expected) {
  if (!Object.prototype.hasOwnProperty.call(obj, key))
    throw new ModelError(label, `missing "${key}" (expected ${expected})`);
  return obj[key];
}

function requireString(obj, key, label, expected) {
  const v = require(obj, key, label, expected);
  if (!isString(v)) throw new ModelError(label, `"${key}" is ${brief(v)} (expected ${expected})`);
  return v;
}

function requirePositiveInt(obj, key, label, max) {
  const v = require(obj, key, label, 'a positive integer');
  if (!isInt(v) || v < 1 || v > max)
    throw new ModelError(label, `"${key}" is ${brief(v)} (expected an integer in 1..${max})`);
  return v;
}

function parseFileEntry(root, key, label, defaultName) {
  const entry = require(root, key, label, 'an object with "file" and "sha256"');
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    throw new ModelError(label, `"${key}" is not an object (expected "file" and "sha256")`);
  const file = requireString(entry, 'file', label, 'a file name');
  if (file === '' || file.includes('/') || file.includes('\\') || file === '..')
    throw new ModelError(label, `"${key}.file" is "${file}" (expected a plain file name such as ${defaultName})`);
  const sha = requireString(entry, 'sha256', label, '64 hex digits').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new ModelError(label, `"${key}.sha256" is not 64 hex digits`);
  return {file, sha};
}

// The deepest nesting of arrays and objects in JSON text (strings skipped).
function jsonDepth(text) {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; ++i) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') ++i;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if (ch === ']' || ch === '}') --depth;
  }
  return max;
}

// model.json text -> the manifest, or ModelError (messages as parse_manifest in model.cpp).
export function parseManifest(text, label) {
  const nul = text.indexOf('\0');
  if (nul >= 0) throw new ModelError(label, `NUL byte at byte ${nul} (expected a cnnv3 model.json: JSON text)`);
  if (jsonDepth(text) > manifestMaxDepth)
    throw new ModelError(label, `nested deeper than ${manifestMaxDepth} levels (expected a cnnv3 model.json)`);
  let root;
  try {
    root = JSON.parse(text);
  } catch (e) {
    // The C++ loader names the byte (1-based) where parsing failed; JavaScript engines give a
    // 0-based position in UTF-16 units, or none at the end of the text.
    const at = /at position (\d+)/.exec(e.message);
    const before = at ? text.slice(0, Number(at[1])) : /end of JSON input/.test(e.message) ? text : null;
    if (before !== null)
      throw new ModelError(label, `not valid JSON at byte ${new TextEncoder().encode(before).length + 1} ` +
                                  '(expected a cnnv3 model.json)');
    throw new ModelError(label, `not valid JSON: ${cutShort(String(e.message), 120)} (expected a cnnv3 model.json)`);
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    throw new ModelError(label, 'not a JSON object (expected a cnnv3 model.json)');
  if (requireString(root, 'format', label, '"cnnv3-model"') !== 'cnnv3-model')
    throw new ModelError(label, '"format" is not "cnnv3-model"');
  const version = require(root, 'version', label, '1');
  if (!isInt(version) || version !== 1)
    throw new ModelError(label, `unknown version ${brief(version)} (expected version 1)`);
  const m = {name: isString(root.name) ? root.name : ''};
  const enc = require(root, 'enc_channels', label, '[c0, c1]');
  if (!Array.isArray(enc) || enc.length !== 2 || !isInt(enc[0]) || !isInt(enc[1]) || enc[0] < 1 || enc[1] < 1 ||
      enc[0] > 256 || enc[1] > 256)
    throw new ModelError(label, `"enc_channels" is ${brief(enc)} (expected two integers in 1..256)`);
  const condDim = requirePositiveInt(root, 'film_cond_dim', label, 64);
  m.shape = new NetworkShape(enc[0], enc[1], condDim);
  if ('film_hidden' in root && (!isInt(root.film_hidden) || root.film_hidden !== filmHidden))
    throw new ModelError(label, `"film_hidden" is ${brief(root.film_hidden)} (expected ${filmHidden})`);
  m.weights = parseFileEntry(root, 'weights', label, weightsFileName);
  m.filmMlp = parseFileEntry(root, 'film_mlp', label, filmMlpFileName);
  const recipe = require(root, 'recipe', label, 'an object with "name" and "version"');
  if (recipe === null || typeof recipe !== 'object' || Array.isArray(recipe))
    throw new ModelError(label, '"recipe" is not an object (expected "name" and "version")');
  const recipeName = requireString(recipe, 'name', label, 'the recipe name');
  const rv = require(recipe, 'version', label, 'the recipe version');
  if (!isInt(rv)) throw new ModelError(label, '"recipe.version" is not an integer');
  m.recipe = `${recipeName} v${rv}`;
  const cond = require(root, 'default_cond', label, 'film_cond_dim numbers in [0, 1]');
  if (!Array.isArray(cond) || cond.length !== condDim)
    throw new ModelError(label, `"default_cond" is ${brief(cond)} (expected ${condDim} numbers in [0, 1])`);
  for (const v of cond)
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw new ModelError(label, `"default_cond" has ${brief(v)} (expected numbers in [0, 1])`);
  m.defaultCond = cond.map(Math.fround);
  return m;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// IEEE half -> number; null for NaN and Inf.
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0x1f) return null;
  if (exp === 0) return sign * frac * 2 ** -24;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

// The manifest (or null) and both files' bytes -> a validated model (assemble_model in model.cpp).
// weights: Float32Array of every conv half in file order; mlp: {w0, b0, w1, b1} Float32Arrays.
export async function assembleModel(manifest, weightBytes, weightsLabel, mlpBytes, mlpLabel) {
  let shape, name = '', recipe = '', defaultCond = [0, 0, 0.5, 0.5, 0.5].map(Math.fround), inferred = false;
  if (manifest) {
    ({shape, name, recipe, defaultCond} = manifest);
  } else {
    if (weightBytes.length % 2 !== 0)
      throw new ModelError(weightsLabel,
        `${weightBytes.length} bytes is not a whole number of halves (expected 2 bytes per f16 weight)`);
    if (mlpBytes.length % 4 !== 0)
      throw new ModelError(mlpLabel, `${mlpBytes.length} bytes is not a whole number of f32 values`);
    shape = inferShape(weightBytes.length / 2, mlpBytes.length / 4);
    if (!shape)
      throw new ModelError(weightsLabel,
        `${weightBytes.length} bytes together with ${mlpBytes.length} bytes of ${mlpLabel} fit no enc_channels ` +
        '[c0<=64, c1<=128] (expected e.g. 4952 + 3104 bytes for [4,8], 15656 + 5280 for [8,16])');
    inferred = true;
  }
  const wantWeights = shape.convParamCount() * 2;
  if (weightBytes.length !== wantWeights)
    throw new ModelError(weightsLabel, `${weightBytes.length} bytes (expected ${wantWeights} bytes: ` +
      `${shape.convParamCount()} f16 values for enc_channels [${shape.c0},${shape.c1}])`);
  const wantMlp = shape.mlpFloatCount() * 4;
  if (mlpBytes.length !== wantMlp)
    throw new ModelError(mlpLabel, `${mlpBytes.length} bytes (expected ${wantMlp} bytes: ${shape.mlpFloatCount()} ` +
      `f32 values for enc_channels [${shape.c0},${shape.c1}], film_cond_dim ${shape.condDim})`);
  const weightsSha = await sha256Hex(weightBytes), mlpSha = await sha256Hex(mlpBytes);
  if (manifest) {
    if (weightsSha !== manifest.weights.sha)
      throw new ModelError(weightsLabel, `SHA-256 is ${weightsSha} (expected ${manifest.weights.sha} from model.json)`);
    if (mlpSha !== manifest.filmMlp.sha)
      throw new ModelError(mlpLabel, `SHA-256 is ${mlpSha} (expected ${manifest.filmMlp.sha} from model.json)`);
  }
  const wview = new DataView(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength);
  const weights = new Float32Array(shape.convParamCount());
  let index = 0;
  for (const layer of layers) {
    const c = shape.conv(layer);
    for (const [part, count] of [['weight', c.out * c.in * 9], ['bias', c.out]]) {
      for (let i = 0; i < count; ++i, ++index) {
        const v = halfToFloat(wview.getUint16(index * 2, true));
        if (v === null)
          throw new ModelError(weightsLabel, `${layer} ${part} value ${i} is NaN or Inf (expected finite weights)`);
        weights[index] = v;
      }
    }
  }
  const mview = new DataView(mlpBytes.buffer, mlpBytes.byteOffset, mlpBytes.byteLength);
  let fi = 0;
  const take = (part, count) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; ++i, ++fi) {
      const v = mview.getFloat32(fi * 4, true);
      if (!Number.isFinite(v)) throw new ModelError(mlpLabel, `${part} value ${i} is NaN or Inf (expected finite f32)`);
      out[i] = v;
    }
    return out;
  };
  const n = shape.filmSize();
  const mlp = {condDim: shape.condDim, outDim: n};
  mlp.w0 = take('W0', filmHidden * shape.condDim);
  mlp.b0 = take('b0', filmHidden);
  mlp.w1 = take('W1', n * filmHidden);
  mlp.b1 = take('b1', n);
  return {shape, weights, mlp, name, recipe, defaultCond, inferred, weightsSha, mlpSha};
}

// A source of model files: read(name, maxBytes, expected) -> Uint8Array, or null when the file does
// not exist; label(name) -> the file name used in messages.
async function loadFrom(source, fallbackName) {
  const largest = (shape) => shape || new NetworkShape(64, 128, 5);
  let manifest = null;
  const text = await source.read(manifestFileName, manifestMaxBytes, 'a cnnv3 model.json');
  if (text !== null) manifest = parseManifest(new TextDecoder().decode(text), source.label(manifestFileName));
  const shape = largest(manifest && manifest.shape);
  const wName = manifest ? manifest.weights.file : weightsFileName;
  const mName = manifest ? manifest.filmMlp.file : filmMlpFileName;
  const wBytes = await source.read(wName, shape.convParamCount() * 2, 'a CNN v3 weights file of f16 values');
  const mBytes = await source.read(mName, shape.mlpFloatCount() * 4, 'a CNN v3 FiLM MLP file of f32 values');
  if (wBytes === null) throw new ModelError(source.label(wName), 'cannot open: No such file or directory (expected a CNN v3 weights file of f16 values)');
  if (mBytes === null) throw new ModelError(source.label(mName), 'cannot open: No such file or directory (expected a CNN v3 FiLM MLP file of f32 values)');
  const model = await assembleModel(manifest, wBytes, source.label(wName), mBytes, source.label(mName));
  if (!model.name) model.name = fallbackName;
  return model;
}

function tooLarge(label, size, maxBytes, expected) {
  return new ModelError(label, `${size} bytes is too large (expected at most ${maxBytes} bytes: ${expected})`);
}

// A model directory at a URL (ending in "/" or not). model.json is optional, as for the C++ loader.
export async function loadModelFromUrl(url) {
  const base = url.endsWith('/') ? url : url + '/';
  const source = {
    label: (name) => base + name,
    async read(name, maxBytes, expected) {
      let response;
      try {
        response = await fetch(base + name);
      } catch (e) {
        throw new ModelError(base + name, `cannot be fetched: ${e.message} (expected ${expected})`);
      }
      if (response.status === 404) return null;
      if (!response.ok) throw new ModelError(base + name, `HTTP ${response.status} (expected ${expected})`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > maxBytes) throw tooLarge(base + name, bytes.length, maxBytes, expected);
      return bytes;
    },
  };
  const trimmed = base.slice(0, -1);
  return loadFrom(source, decodeURIComponent(trimmed.slice(trimmed.lastIndexOf('/') + 1)));
}

// Dropped or picked files (File objects): model.json (optional) and the two .bin files.
export async function loadModelFromFiles(files) {
  const byName = new Map(Array.from(files, (f) => [f.name, f]));
  const source = {
    label: (name) => name,
    async read(name, maxBytes, expected) {
      const f = byName.get(name);
      if (!f) return null;
      if (f.size > maxBytes) throw tooLarge(name, f.size, maxBytes, expected);
      return new Uint8Array(await f.arrayBuffer());
    },
  };
  return loadFrom(source, 'dropped model');
}

// The CNN v3 network on WebGPU: the generated passes of web/generated/plan.js, one compute pipeline
// each, over a model's weights in a storage buffer and the FiLM vector in a uniform buffer.
//
// A WebGpuNetwork owns its GPUDevice's buffers, textures and pipelines; destroy() frees them. Not
// re-entrant: await one run() before the next.
import {passes} from './generated/plan.js';

const filmVec4Capacity = 386;  // the WGSL Frame.film array (shadergen/wgsl_file.cpp)
const frameBytes = 16 + filmVec4Capacity * 16;
const workgroup = 8;

function levelSize(width, height, level) {
  let w = width, h = height;
  for (let i = 0; i < level; ++i) {
    w = (w + 1) >> 1;
    h = (h + 1) >> 1;
  }
  return [w, h];
}

// The generated shader modules of every pass (suffix '' or '.f16'): {modules} or {error: one line}.
async function compileShaders(device, suffix) {
  const modules = {};
  for (const p of passes) {
    const name = `generated/${p.shader}${suffix}.wgsl`;
    const response = await fetch(new URL(`./${name}`, import.meta.url));
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status} (expected the generated WGSL)`);
    const module = device.createShaderModule({code: await response.text(), label: name});
    const info = await module.getCompilationInfo();
    const error = info.messages.find((m) => m.type === 'error');
    if (error) return {error: `${name}:${error.lineNum}: ${error.message.replace(/\s+/g, ' ')}`};
    modules[p.shader] = module;
  }
  return {modules};
}

export class WebGpuNetwork {
  // Picks the adapter and device; f16 intermediates where the adapter has shader-f16 and `precision`
  // is not 'f32'. Throws an Error with a one-line message when WebGPU is missing.
  static async create(precision = 'auto') {
    if (!navigator.gpu) throw new Error('this browser has no WebGPU (expected Chromium with WebGPU enabled; see docs/web.md)');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter (expected a GPU or SwiftShader; see docs/web.md)');
    const info = adapter.info || {};
    const adapterName = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    const wantF16 = precision !== 'f32' && adapter.features.has('shader-f16');
    // The adapter's own buffer limits: the defaults (128 MiB a binding) stop at about 4 megapixels.
    const {maxStorageBufferBindingSize, maxBufferSize} = adapter.limits;
    const device = await adapter.requestDevice({requiredFeatures: wantF16 ? ['shader-f16'] : [],
                                                requiredLimits: {maxStorageBufferBindingSize, maxBufferSize}});
    // The f16 shaders are not exercised by the headless test (SwiftShader has no shader-f16): should
    // this compiler refuse them, the f32 ones run instead and the status line says so.
    let compiled = wantF16 ? await compileShaders(device, '.f16') : {};
    const f16 = Boolean(compiled.modules);
    if (compiled.error) console.warn(`using the f32 shaders: ${compiled.error}`);
    if (!f16) compiled = await compileShaders(device, '');
    if (compiled.error) throw new Error(`${compiled.error} (expected WGSL this browser compiles)`);
    const net = new WebGpuNetwork(device, compiled.modules, f16, adapterName);
    net.f16Refused = wantF16 && !f16;
    return net;
  }

  constructor(device, modules, f16, adapterName) {
    this.device = device;
    this.modules = modules;
    this.f16 = f16;
    this.adapterName = adapterName;
    this.frame = device.createBuffer({size: frameBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST});
    this.model = null;
    this.sized = null;  // resources of the current frame size
  }

  // Uploads a model (web/model.js) and builds one pipeline per pass with its channel counts.
  async setModel(model) {
    const {device} = this;
    device.pushErrorScope('validation');
    if (this.weights) this.weights.destroy();
    this.weights = device.createBuffer({size: model.weights.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST});
    device.queue.writeBuffer(this.weights, 0, model.weights);
    const shape = model.shape;
    const producer = {};
    for (const p of passes) if (p.output) producer[p.output] = p;
    this.pipelines = passes.map((p) => {
      const conv = shape.conv(p.layer);
      const values = {OUT_CH: conv.out, IN_CH: conv.in, W_OFF: shape.weightOffset(p.layer),
                      FILM_OFF: shape.filmOffset(p.layer)};
      for (const s of p.sources) values[s.constant] = shape.conv(producer[s.tensor].layer).out;
      const constants = Object.fromEntries(p.constants.map((name) => [name, values[name]]));
      return device.createComputePipeline({layout: 'auto', label: p.shader,
                                           compute: {module: this.modules[p.shader], entryPoint: 'main', constants}});
    });
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU refused the pipelines: ${error.message}`);
    this.model = model;
    this.tensorLayer = producer;
    this.releaseSized();
  }

  releaseSized() {
    if (!this.sized) return;
    for (const r of this.sized.resources) r.destroy();
    this.sized = null;
  }

  prepare(width, height) {
    if (this.sized && this.sized.width === width && this.sized.height === height) return this.sized;
    this.releaseSized();
    const {device, model} = this;
    const resources = [];
    const track = (r) => (resources.push(r), r);
    const named = {frame: {buffer: this.frame}, weights: {buffer: this.weights}};
    const image = track(device.createTexture({size: [width, height], format: 'rgba8unorm',
                                              usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST}));
    const result = track(device.createTexture({size: [width, height], format: 'rgba8unorm',
                                               usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_SRC}));
    named.image = image.createView();
    named.result = result.createView();
    // SPEC 2 prev.rgb: dec0 leaves the network output (before the strength mix) here, enc0 of the next
    // run reads it; one vec4<f32> per pixel, row-major. A new buffer is zero.
    const prev = track(device.createBuffer({size: width * height * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST}));
    named.prev = {buffer: prev};
    for (const [tensor, p] of Object.entries(this.tensorLayer)) {
      const [w, h] = levelSize(width, height, p.level);
      const groups = Math.ceil(model.shape.conv(p.layer).out / 4);
      named[tensor] = {buffer: track(device.createBuffer({size: groups * w * h * (this.f16 ? 8 : 16),
                                                          usage: GPUBufferUsage.STORAGE}))};
    }
    const steps = passes.map((p, i) => {
      const pipeline = this.pipelines[i];
      const entries = p.binds.map((name, binding) => ({binding, resource: named[name]}));
      const [w, h] = levelSize(width, height, p.level);
      return {pipeline, bindGroup: device.createBindGroup({layout: pipeline.getBindGroupLayout(0), entries}),
              groups: [Math.ceil(w / workgroup), Math.ceil(h / workgroup), Math.ceil(model.shape.conv(p.layer).out / 4)]};
    });
    const bytesPerRow = Math.ceil((width * 4) / 256) * 256;
    const readback = track(device.createBuffer({size: bytesPerRow * height, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST}));
    this.sized = {width, height, image, result, prev, steps, readback, bytesPerRow, resources};
    return this.sized;
  }

  // Runs the network on RGBA8 pixels (ImageData) with a FiLM vector (Float32Array, SPEC 3 order) and
  // a strength in [0, 1]; returns the stylized ImageData (alpha passed through). `prev` gives SPEC 2's
  // channels 9-11: 'zero' (stills, a video's first frame, after a seek or a scene cut), 'keep' (the
  // previous run's network output, before its strength mix: video playback; zero after a change of
  // size or model) or an ImageData of the same size (URL mode's prev=URL, for tests).
  async run(imageData, film, strength, prev = 'zero') {
    if (!this.model) throw new Error('no model loaded');
    const {device} = this;
    const {width, height} = imageData;
    device.pushErrorScope('validation');
    const s = this.prepare(width, height);
    const frame = new ArrayBuffer(frameBytes);
    const view = new DataView(frame);
    view.setInt32(0, width, true);
    view.setInt32(4, height, true);
    view.setFloat32(8, strength, true);
    new Float32Array(frame, 16, film.length).set(film);
    device.queue.writeBuffer(this.frame, 0, frame);
    device.queue.writeTexture({texture: s.image}, imageData.data, {bytesPerRow: width * 4}, [width, height]);
    if (prev instanceof ImageData) {
      if (prev.width !== width || prev.height !== height)
        throw new Error(`prev is ${prev.width}x${prev.height} (expected the frame's ${width}x${height})`);
      device.queue.writeBuffer(s.prev, 0, Float32Array.from(prev.data, (v) => v / 255));
    }
    const encoder = device.createCommandEncoder();
    if (prev === 'zero') encoder.clearBuffer(s.prev);
    else if (prev !== 'keep' && !(prev instanceof ImageData)) throw new Error(`prev "${prev}" (expected zero, keep or an image)`);
    const pass = encoder.beginComputePass();
    for (const step of s.steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(...step.groups);
    }
    pass.end();
    encoder.copyTextureToBuffer({texture: s.result}, {buffer: s.readback, bytesPerRow: s.bytesPerRow}, [width, height]);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU refused the frame: ${error.message}`);
    await s.readback.mapAsync(GPUMapMode.READ);
    const mapped = new Uint8Array(s.readback.getMappedRange());
    const out = new ImageData(width, height);
    for (let y = 0; y < height; ++y)
      out.data.set(mapped.subarray(y * s.bytesPerRow, y * s.bytesPerRow + width * 4), y * width * 4);
    s.readback.unmap();
    return out;
  }
}

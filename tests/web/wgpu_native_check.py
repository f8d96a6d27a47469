#!/usr/bin/env python3
"""The browser tool's f16 shaders outside the browser: web/generated's WGSL on wgpu-native (naga).

usage: wgpu_native_check.py SOURCE_ROOT CNNV3_SHADERGEN PNG_TOOL

The headless Chromium test (web_test.py) cannot reach the .f16.wgsl files: SwiftShader has no
shader-f16. Mesa's lavapipe has it, and wgpu-native (the `wgpu` Python package, installed into the
venv by scripts/install-deps.sh) runs on it. This binds and dispatches the passes as web/network.js
does (plan.js, override constants from enc_channels, weights in a storage buffer, FiLM in the
uniform) for the random-weight [4,8] and [8,16] models at 173x97, 3x2 and 1x1, with f16 and f32
intermediates, and compares each result with `cnnv3-shadergen reference` within 1.5/255
(`png_tool diff`, 8-bit output). The FiLM MLP here is numpy's (web_test.py checks the page's).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import wgpu

LAYERS = ['enc0', 'enc1', 'bottleneck', 'dec1', 'dec0']


def conv_shape(c0, c1, layer):
    return {'enc0': (20, c0), 'enc1': (c0, c1), 'bottleneck': (c1, c1), 'dec1': (2 * c1, c0),
            'dec0': (2 * c0, 4)}[layer]


def read_plan(root):
    text = open(os.path.join(root, 'web', 'generated', 'plan.js')).read()
    start = text.index('export const passes = [') + len('export const passes = ')
    body = text[start:text.index('\n];', start) + 2]  # the passes array (plan.js has more exports)
    body = re.sub(r'(\w+):', r'"\1":', body.replace("'", '"'))
    return json.loads(re.sub(r',\s*([\]}])', r'\1', body))


def run_network(adapter, root, model_dir, image, cond, png_tool, out_png, precision):
    """Runs the generated passes on IN.png; writes the result as a 16-bit PNG."""
    manifest = json.load(open(os.path.join(model_dir, 'model.json')))
    c0, c1 = manifest['enc_channels']
    weights = np.frombuffer(open(os.path.join(model_dir, 'cnn_v3_weights.bin'), 'rb').read(), '<f2').astype(np.float32)
    mlp = np.frombuffer(open(os.path.join(model_dir, 'cnn_v3_film_mlp.bin'), 'rb').read(), '<f4')
    n = 2 * (c0 + c1 + c0 + 4)
    w0, b0 = mlp[:80].reshape(16, 5), mlp[80:96]
    w1, b1 = mlp[96:96 + 16 * n].reshape(n, 16), mlp[96 + 16 * n:]
    c = np.array([float(v) for v in cond.split(',')], np.float32)
    film = (w1 @ np.maximum(w0 @ c + b0, 0) + b1).astype(np.float32)

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, 'in.raw')
        subprocess.run([png_tool, 'to-raw16', image, raw], check=True)
        with open(image, 'rb') as f:
            width, height = struct.unpack('>II', f.read(24)[16:24])
        planes = np.frombuffer(open(raw, 'rb').read(), '<u2').reshape(3, height, width)
        rgba = np.ones((height, width, 4), np.uint8) * 255
        rgba[..., :3] = np.round(planes.transpose(1, 2, 0) / 65535 * 255).astype(np.uint8)

        f16 = precision == 'f16'
        device = adapter.request_device_sync(required_features=['shader-f16'] if f16 else [])
        plan = read_plan(root)
        offsets, at = {}, 0
        for layer in LAYERS:
            cin, cout = conv_shape(c0, c1, layer)
            offsets[layer] = at
            at += cout * cin * 9 + cout
        film_offsets, at = {}, 0
        for layer in LAYERS:
            film_offsets[layer] = at
            at += 0 if layer == 'bottleneck' else 2 * conv_shape(c0, c1, layer)[1]

        def level_size(level):
            w, h = width, height
            for _ in range(level):
                w, h = (w + 1) // 2, (h + 1) // 2
            return w, h

        frame = np.zeros(4 + 386 * 4, np.float32)
        frame[:2] = np.array([width, height], np.int32).view(np.float32)
        frame[2] = 1.0
        frame[4:4 + n] = film
        named = {
            'frame': device.create_buffer_with_data(data=frame.tobytes(), usage=wgpu.BufferUsage.UNIFORM),
            'weights': device.create_buffer_with_data(data=weights.tobytes(), usage=wgpu.BufferUsage.STORAGE),
        }
        image_tex = device.create_texture(size=(width, height, 1), format='rgba8unorm',
                                          usage=wgpu.TextureUsage.TEXTURE_BINDING | wgpu.TextureUsage.COPY_DST)
        device.queue.write_texture({'texture': image_tex}, rgba.tobytes(), {'bytes_per_row': width * 4},
                                   (width, height, 1))
        result = device.create_texture(size=(width, height, 1), format='rgba8unorm',
                                       usage=wgpu.TextureUsage.STORAGE_BINDING | wgpu.TextureUsage.COPY_SRC)
        named['image'] = image_tex.create_view()
        named['result'] = result.create_view()
        # prev.rgb (channels 9-11): zero, as for a still; dec0 writes the output there.
        named['prev'] = device.create_buffer(size=width * height * 16, usage=wgpu.BufferUsage.STORAGE)
        producer = {p['output']: p for p in plan if p['output']}
        for tensor, p in producer.items():
            w, h = level_size(p['level'])
            groups = (conv_shape(c0, c1, p['layer'])[1] + 3) // 4
            named[tensor] = device.create_buffer(size=groups * w * h * (8 if f16 else 16), usage=wgpu.BufferUsage.STORAGE)
        encoder = device.create_command_encoder()
        cp = encoder.begin_compute_pass()
        for p in plan:
            suffix = '.f16' if f16 else ''
            code = open(os.path.join(root, 'web', 'generated', f'{p["shader"]}{suffix}.wgsl')).read()
            module = device.create_shader_module(code=code)
            cin, cout = conv_shape(c0, c1, p['layer'])
            values = {'OUT_CH': cout, 'IN_CH': cin, 'W_OFF': offsets[p['layer']], 'FILM_OFF': film_offsets[p['layer']]}
            for s in p['sources']:
                values[s['constant']] = conv_shape(c0, c1, producer[s['tensor']]['layer'])[1]
            constants = {k: values[k] for k in p['constants']}
            pipeline = device.create_compute_pipeline(layout='auto', compute={'module': module, 'entry_point': 'main',
                                                                              'constants': constants})
            entries = []
            for binding, name in enumerate(p['binds']):
                r = named[name]
                entries.append({'binding': binding, 'resource': r if not isinstance(r, wgpu.GPUBuffer)
                                else {'buffer': r, 'offset': 0, 'size': r.size}})
            bind_group = device.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=entries)
            w, h = level_size(p['level'])
            cp.set_pipeline(pipeline)
            cp.set_bind_group(0, bind_group)
            cp.dispatch_workgroups((w + 7) // 8, (h + 7) // 8, (cout + 3) // 4)
        cp.end()
        device.queue.submit([encoder.finish()])
        data = device.queue.read_texture({'texture': result}, {'bytes_per_row': width * 4}, (width, height, 1))
        out = np.frombuffer(data, np.uint8).reshape(height, -1)[:, :width * 4].reshape(height, width, 4)
        out16 = (out[..., :3].astype(np.uint32) * 257).astype('<u2').transpose(2, 0, 1)
        out_raw = os.path.join(tmp, 'out.raw')
        out16.tofile(out_raw)
        subprocess.run([png_tool, 'from-raw16', out_raw, str(width), str(height), out_png], check=True)


def main():
    root, shadergen, png_tool = sys.argv[1:4]
    cond = '0.25,0.75,0.6,0.3,0.9'
    adapters = [a for a in wgpu.gpu.enumerate_adapters_sync()
                if a.info['backend_type'] == 'Vulkan' and 'shader-f16' in a.features]
    if not adapters:
        print('FAIL: no Vulkan adapter with shader-f16 (expected Mesa lavapipe: mesa-vulkan-drivers)')
        return 1
    adapter = adapters[0]
    print(f'adapter: {adapter.info["device"]}')
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in ['test-random-48', 'test-random-816']:
            model_dir = os.path.join(root, 'tests', 'vectors', model)
            for w, h in [(173, 97), (3, 2), (1, 1)]:
                image, ref = os.path.join(tmp, f'in_{w}x{h}.png'), os.path.join(tmp, f'ref_{model}_{w}x{h}.png')
                subprocess.run([png_tool, 'crop-tile', os.path.join(root, 'samples', 'photo_chelsea.png'), str(w), str(h),
                                image], check=True)
                subprocess.run([shadergen, 'reference', '--model', model_dir, '--cond', cond, image, ref], check=True)
                for precision in ['f16', 'f32']:
                    out = os.path.join(tmp, f'out_{model}_{w}x{h}_{precision}.png')
                    run_network(adapter, root, model_dir, image, cond, png_tool, out, precision)
                    r = subprocess.run([png_tool, 'diff', out, ref, '1.5/255'], capture_output=True, text=True)
                    print(f'{model} {precision}: {r.stdout.strip()}')
                    if r.returncode != 0:
                        failures += 1
                        print(f'FAIL: {model} {w}x{h} {precision}: differs from the reference {r.stderr.strip()}')
    print('wgpu-native check: ' + ('FAILED' if failures else 'all passed'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

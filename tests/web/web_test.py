#!/usr/bin/env python3
"""End-to-end test of the browser tool (docs/web.md, "Testing") in Debian's Chromium, headless.

usage: web_test.py SOURCE_ROOT CNNV3_SHADERGEN PNG_TOOL FILM_TOOL CNNV3 [--screenshots DIR]

Serves a temporary folder (web/, the shipped weights/, the random-weight test models, test images)
on 127.0.0.1 and checks:
  1. URL mode on the random-weight [4,8] and [8,16] models at 173x97, 3x2 and 1x1 matches
     `cnnv3-shadergen reference` within 1.5/255 (8-bit PNG from the page vs the 16-bit reference);
  2. bad model files end in document.title "error: <one line>" with the C++ loader's problem text;
     picked through the page's file input (as by drag and drop) the same files show the same line in
     the status, and good ones load with an image ("save PNG" then downloads the reference's picture
     at the model's default_cond); a bad cond and a missing image are one line too;
  3. the page's FiLM MLP (web/film.js) equals the C++ one (tests/tools/film_tool) within 1e-6 on
     random conditioning vectors, for both models;
  4. video mode: the demo clip (scripts/make-demo-clip.sh: 120 BPM, a kick on every beat from t = 0;
     scaled to 160x90 to keep SwiftShader's work small) autoplays for 3.2 s with FiLM from WebAudio.
     The status line, read every 50 ms, must show the video time advancing past 3.2 s, a tempo of
     120 +- 6 BPM once past 1.5 s, and beat_phase within 0.2 (circularly) of the true phase frac(2 t)
     in at least 80% of those samples, wrapping at least twice. Then with the `cnnv3 analyze` CSV
     beside it (by URL, then picked with the video in the page and played with its button): the
     status shows the CSV's values at the shown time.
With --screenshots DIR it also writes the docs' screenshots (docs/web.md) there.
"""
import base64
import functools
import http.server
import json
import os
import random
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import headless_chromium  # noqa: E402

MODELS = ['test-random-48', 'test-random-816']
SIZES = [(173, 97), (3, 2), (1, 1)]
COND = '0.25,0.75,0.6,0.3,0.9'


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(QuietHandler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_address[1]}'


def fail(message):
    print(f'FAIL: {message}')
    return 1


STATUS_RE = re.compile(r'live (CSV row (\d+)|WebAudio (\d+) BPM|audio idle) t=([\d.]+) beat_phase=([\d.]+) '
                       r'beat_norm=([\d.]+) audio_intensity=([\d.]+)')


def wait_status(browser, done, timeout=60):
    """The status line once done(status) holds (or at the timeout)."""
    end = time.monotonic() + timeout
    status = ''
    while time.monotonic() < end:
        status = browser.evaluate('(document.getElementById("status") || {}).textContent') or ''
        if done(status):
            break
        time.sleep(0.1)
    return status


def play_and_sample(browser, url, seconds):
    """Opens url, samples the status line every 50 ms until the video time passes `seconds`."""
    browser.open(url)
    samples = []
    end = time.monotonic() + 60
    while time.monotonic() < end:
        status = browser.evaluate('(document.getElementById("status") || {}).textContent') or ''
        if status.startswith('error'):
            print(f'video: {status}')
            return samples
        m = STATUS_RE.search(status)
        if m:
            # (source, CSV row or tempo, t, beat_phase, beat_norm, audio_intensity)
            samples.append((m.group(1), int(m.group(2) or m.group(3) or 0), float(m.group(4)), float(m.group(5)),
                            float(m.group(6)), float(m.group(7))))
            if samples[-1][2] >= seconds:
                break
        time.sleep(0.05)
    return samples


def check_video(browser, base, root, tmp, cnnv3):
    failures = 0
    clip = os.path.join(tmp, 'demo_full.mp4')
    subprocess.run(['bash', os.path.join(root, 'scripts', 'make-demo-clip.sh'), clip], check=True)
    subprocess.run(['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-i', clip, '-t', '4', '-vf', 'scale=160:90',
                    '-c:v', 'libx264', '-c:a', 'aac', os.path.join(tmp, 'demo.mp4')], check=True)
    samples = play_and_sample(browser, f'{base}/web/index.html?video=../demo.mp4&autoplay=1', 3.2)
    late = [s for s in samples if s[0].startswith('WebAudio') and s[2] >= 1.5]
    near = [s for s in late if min(abs(s[3] - (2 * s[2]) % 1), 1 - abs(s[3] - (2 * s[2]) % 1)) <= 0.2]
    wraps = sum(1 for a, b in zip(late, late[1:]) if b[3] < a[3] - 0.5)
    tempos = sorted({s[1] for s in late})
    last_t = samples[-1][2] if samples else 0
    print(f'video (WebAudio): {len(samples)} samples up to t={last_t:.2f}; after 1.5 s: tempo {tempos} BPM, '
          f'{len(near)}/{len(late)} phases within 0.2 of frac(2t), {wraps} wraps')
    if last_t < 3.2 or not late or any(abs(t - 120) > 6 for t in tempos) or len(near) < 0.8 * len(late) or wraps < 2:
        failures += fail('video (WebAudio): beat phase does not follow the 120 BPM audio (see the line above)')
    # Before any beat (and without audio running) the live values are the rest values the page passes
    # (the sliders: default_cond), not 0: beat_phase 0 is the full flash for recipe-v2 models.
    rest = [1, 0, 0.25, 0.5, 1]
    idle = browser.evaluate("import('./live.js').then(m => new m.LiveConditioning(document.createElement('video'), null)"
                            f".valuesAt(0, {rest}))")
    print(f'video (no beat yet): live values {idle}')
    if idle != rest:
        failures += fail(f'video (no beat yet): live values {idle}, expected the rest values {rest}')
    # With the analyze CSV: the status shows the CSV row at the shown time.
    csv = os.path.join(tmp, 'demo.csv')
    subprocess.run([cnnv3, 'analyze', os.path.join(tmp, 'demo.mp4'), '-o', csv], check=True, capture_output=True)
    rows = [line.split(',') for line in open(csv).read().split('\n')[1:] if line]
    samples = play_and_sample(browser, f'{base}/web/index.html?video=../demo.mp4&csv=../demo.csv&autoplay=1', 2.0)
    bad = 0
    for _, index, t, phase, norm, intensity in samples:
        row = rows[index]
        # The row shown is the one at the video's time (t printed to 1 ms) with its three values.
        if not float(row[1]) <= t + 0.001 < float(row[1]) + 1 / 24 + 0.002 or \
                any(abs(a - float(b)) > 0.0006 for a, b in zip((phase, norm, intensity), row[2:5])):
            bad += 1
    print(f'video (CSV): {len(samples)} samples, {bad} differ from the CSV row at their time')
    if not samples or not samples[0][0].startswith('CSV') or bad or samples[-1][2] < 2.0:
        failures += fail('video (CSV): the status does not show the CSV values')
    # Reactivity 2 (SPEC 6): the music moves the first three values twice as far from the sliders, which
    # start at the default model's default_cond.
    default = open(os.path.join(root, 'weights', 'DEFAULT')).read().strip()
    rest = json.load(open(os.path.join(root, 'weights', default, 'model.json')))['default_cond']
    samples = play_and_sample(browser, f'{base}/web/index.html?video=../demo.mp4&csv=../demo.csv&autoplay=1'
                                       f'&reactivity=2', 1.5)
    bad = moved = 0
    for _, index, t, *values in samples:
        want = [min(1.0, max(0.0, r + 2 * (float(v) - r))) for r, v in zip(rest, rows[index][2:5])]
        want[1] = float(rows[index][3])  # beat_norm: a phase, never scaled (docs/formats.md)
        bad += any(abs(a - b) > 0.0006 for a, b in zip(values, want))
        moved += any(abs(float(v) - a) > 0.01 for v, a in zip(rows[index][2:5], values))
    print(f'video (CSV, reactivity 2): {len(samples)} samples, {bad} differ from clamp(rest + 2 (row - rest)), '
          f'{moved} differ from the row itself')
    if not samples or bad or not moved or samples[-1][2] < 1.5:
        failures += fail('video (CSV, reactivity 2): the status does not show the scaled values')
    slider_max = browser.evaluate('document.getElementById("reactivity").max')
    if slider_max != '2':
        failures += fail(f'reactivity slider: max {slider_max!r} (expected the generated maxReactivity, 2)')
    browser.open(f'{base}/web/index.html?video=../demo.mp4&reactivity=2.5')
    title = browser.wait_title(120)
    print(f'reactivity=2.5: title {title!r}')
    if title != 'error: reactivity: "2.5" is not a number in [0, 2]':
        failures += fail(f'reactivity=2.5: title {title!r}')
    # The same two files picked in the page, then its play button: the CSV drives the status.
    browser.open(f'{base}/web/index.html')
    browser.wait_title(120)
    browser.set_files('#files', [os.path.join(tmp, 'demo.mp4'), csv])
    wait_status(browser, lambda s: 'size 160x90' in s)
    browser.evaluate('document.getElementById("play").click()')
    status = wait_status(browser, lambda s: ' t=1.' in s)
    print(f'video picked and played: status {status!r}')
    if 'live CSV row' not in status:
        failures += fail(f'video picked with its CSV: status {status!r} (expected live CSV values)')
    return failures


def take_screenshots(browser, base, root, tmp, shots):
    """docs/web.md's pictures: image mode on the bundled photo, video mode on the demo clip."""
    os.makedirs(shots, exist_ok=True)
    browser.open(f'{base}/web/index.html', width=960, height=720)
    browser.wait_title(120)
    photo = os.path.join(root, 'samples', 'photo_chelsea.png')
    browser.evaluate('document.getElementById("status").textContent = "picking"')
    browser.set_files('#files', [photo])
    wait_status(browser, lambda s: 'ms/frame' in s and 'size 320x180' not in s, timeout=180)
    browser.screenshot(os.path.join(shots, 'web-image.png'))
    subprocess.run(['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-i', os.path.join(tmp, 'demo_full.mp4'),
                    '-vf', 'scale=320:180', '-c:v', 'libx264', '-c:a', 'aac', os.path.join(tmp, 'demo320.mp4')],
                   check=True)
    browser.open(f'{base}/web/index.html?video=../demo320.mp4&autoplay=1', width=960, height=720)
    wait_status(browser, lambda s: ' t=2.' in s, timeout=120)
    browser.evaluate('new Promise((r) => setTimeout(r, 1500))')
    browser.screenshot(os.path.join(shots, 'web-video.png'))


def main():
    root, shadergen, png_tool, film_tool, cnnv3 = sys.argv[1:6]
    shots = sys.argv[sys.argv.index('--screenshots') + 1] if '--screenshots' in sys.argv else None
    # The five names, generated from shadergen/conditioning_names.h (the module imports nothing).
    names = runpy.run_path(os.path.join(root, 'training', 'cnnv3', 'conditioning.py'))['CONDITIONING_NAMES']
    if not headless_chromium.chromium_path():
        print('FAIL: chromium not found (scripts/install-deps.sh installs Debian\'s chromium)')
        return 1
    tmp = tempfile.mkdtemp(prefix='cnnv3-web-test-')
    failures = 0
    browser = None
    try:
        os.symlink(os.path.join(root, 'web'), os.path.join(tmp, 'web'))
        os.symlink(os.path.join(root, 'weights'), os.path.join(tmp, 'weights'))
        os.mkdir(os.path.join(tmp, 'models'))
        for m in MODELS:
            os.symlink(os.path.join(root, 'tests', 'vectors', m), os.path.join(tmp, 'models', m))
        for w, h in SIZES:
            subprocess.run([png_tool, 'crop-tile', os.path.join(root, 'samples', 'photo_chelsea.png'), str(w), str(h),
                            os.path.join(tmp, f'in_{w}x{h}.png')], check=True)
        # Bad models: a truncated weights file (model.json intact), a model.json with bad enc_channels,
        # one that is not JSON.
        bad = {}
        src = os.path.join(root, 'tests', 'vectors', 'test-random-48')
        for name in ['truncated', 'badjson', 'notjson']:
            d = os.path.join(tmp, 'models', name)
            os.mkdir(d)
            for f in ['model.json', 'cnn_v3_weights.bin', 'cnn_v3_film_mlp.bin']:
                shutil.copy(os.path.join(src, f), d)
            bad[name] = d
        with open(os.path.join(bad['truncated'], 'cnn_v3_weights.bin'), 'r+b') as f:
            f.truncate(100)
        with open(os.path.join(bad['badjson'], 'model.json')) as f:
            text = f.read()
        with open(os.path.join(bad['badjson'], 'model.json'), 'w') as f:
            f.write(text.replace('"enc_channels": [4, 8]', '"enc_channels": [0, 8]'))
        with open(os.path.join(bad['notjson'], 'model.json'), 'w') as f:
            f.write(text.replace('"version": 1', '"version" 1'))

        server, base = serve(tmp)
        browser = headless_chromium.Browser()

        # 1. URL mode vs the CPU reference.
        for m in MODELS:
            for w, h in SIZES:
                image = f'in_{w}x{h}.png'
                browser.open(f'{base}/web/index.html?model=../models/{m}/&image=../{image}&cond={COND}')
                title = browser.wait_title(180)
                if title != 'done':
                    failures += fail(f'{m} {w}x{h}: title {title!r} (expected "done")')
                    continue
                url = browser.evaluate('document.getElementById("result").src')
                out = os.path.join(tmp, f'web_{m}_{w}x{h}.png')
                with open(out, 'wb') as f:
                    f.write(base64.b64decode(url.split(',', 1)[1]))
                ref = os.path.join(tmp, f'ref_{m}_{w}x{h}.png')
                subprocess.run([shadergen, 'reference', '--model', os.path.join(tmp, 'models', m), '--cond', COND,
                                os.path.join(tmp, image), ref], check=True)
                r = subprocess.run([png_tool, 'diff', out, ref, '1.5/255'], capture_output=True, text=True)
                print(f'{m} {w}x{h}: {r.stdout.strip()}')
                if r.returncode != 0:
                    failures += fail(f'{m} {w}x{h}: page output differs from the reference: {r.stdout.strip()} {r.stderr.strip()}')

        # 1b. prev.rgb (SPEC 2 channels 9-11) reaches enc0: prev=URL with a black image renders exactly
        # what no prev renders; the previous output as prev changes the picture and matches the CPU
        # reference given the same prev (8-bit, as the page reads images).
        m, (w, h) = MODELS[0], SIZES[0]
        black = os.path.join(tmp, f'black_{w}x{h}.png')
        subprocess.run(['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', f'color=black:s={w}x{h},format=rgb24',
                        '-frames:v', '1', black], check=True)
        prev8 = os.path.join(tmp, f'prev8_{w}x{h}.png')
        subprocess.run(['ffmpeg', '-nostdin', '-loglevel', 'error', '-y', '-i', os.path.join(tmp, f'ref_{m}_{w}x{h}.png'),
                        '-pix_fmt', 'rgb24', prev8], check=True)
        ref_prev = os.path.join(tmp, f'ref_prev_{w}x{h}.png')
        subprocess.run([shadergen, 'reference', '--model', os.path.join(tmp, 'models', m), '--cond', COND,
                        '--prev', prev8, os.path.join(tmp, f'in_{w}x{h}.png'), ref_prev], check=True)
        outs = {}
        for name, prev in [('none', None), ('black', f'black_{w}x{h}.png'), ('ref', f'prev8_{w}x{h}.png')]:
            browser.open(f'{base}/web/index.html?model=../models/{m}/&image=../in_{w}x{h}.png&cond={COND}'
                         + (f'&prev=../{prev}' if prev else ''))
            title = browser.wait_title(180)
            if title != 'done':
                failures += fail(f'prev={prev}: title {title!r} (expected "done")')
                continue
            outs[name] = os.path.join(tmp, f'prev_{name}.png')
            with open(outs[name], 'wb') as f:
                f.write(base64.b64decode(browser.evaluate('document.getElementById("result").src').split(',', 1)[1]))
        if len(outs) == 3:
            same = subprocess.run([png_tool, 'diff', outs['black'], outs['none'], '0'], capture_output=True, text=True)
            moved = subprocess.run([png_tool, 'diff', outs['ref'], outs['none'], '1/255'], capture_output=True, text=True)
            print(f'prev black vs none: {same.stdout.strip()}; prev = output vs none: {moved.stdout.strip()}')
            if same.returncode != 0:
                failures += fail('a black prev renders differently from no prev')
            if moved.returncode == 0:
                failures += fail('the previous output as prev changes nothing: channels 9-11 are not read')
            parity = subprocess.run([png_tool, 'diff', outs['ref'], ref_prev, '1.5/255'], capture_output=True, text=True)
            print(f'prev = previous output: page vs CPU reference with --prev: {parity.stdout.strip()}')
            if parity.returncode != 0:
                failures += fail('with a prev, the page differs from the CPU reference given the same prev')

        # 2. Bad model files: one line in the title, the C++ loader's problem.
        for name, d in bad.items():
            browser.open(f'{base}/web/index.html?model=../models/{name}/&image=../in_3x2.png')
            title = browser.wait_title(120) or ''
            cpp = subprocess.run([shadergen, 'info', '--model', d], capture_output=True, text=True).stderr.strip()
            cpp_problem = cpp.split(d + '/', 1)[1].split(': ', 1)[1] if d + '/' in cpp else cpp
            print(f'{name}: page title {title!r}; C++: {cpp!r}')
            if not title.startswith('error: ') or '\n' in title or not title.endswith(': ' + cpp_problem):
                failures += fail(f'{name}: title {title!r} (expected "error: URL/FILE: {cpp_problem}")')

        # Bad URL-mode parameters and a missing image: one line each.
        for query, expected in [('model=../models/test-random-48/&image=../in_3x2.png&cond=0.1,2,0,0,0',
                                 'error: cond: "2" is not a number in [0, 1]'),
                                ('model=../models/test-random-48/&image=../in_3x2.png&cond=0.1,0.2',
                                 'error: cond has 2 values (expected 5: ' + ','.join(names) + ')'),
                                ('model=../models/test-random-48/&image=../missing.png',
                                 'error: ../missing.png: HTTP 404 (expected an image)')]:
            browser.open(f'{base}/web/index.html?{query}')
            title = browser.wait_title(120)
            print(f'{query}: title {title!r}')
            if title != expected:
                failures += fail(f'{query}: title {title!r} (expected {expected!r})')

        # 2b. The same files picked in the page (the drag-and-drop path).
        # Served like an install (web/ beside weights/), the page starts with the model weights/DEFAULT names.
        browser.open(f'{base}/web/index.html')
        title = browser.wait_title(120)
        print(f'interactive start: title {title!r}')
        default = open(os.path.join(root, 'weights', 'DEFAULT')).read().strip()
        if title != f'cnnv3 {default}':
            failures += fail(f'interactive start: title {title!r} (expected "cnnv3 {default}": weights/DEFAULT loaded)')
        for name, d in bad.items():
            browser.evaluate('document.getElementById("status").textContent = "picking"')
            browser.set_files('#files', [os.path.join(d, f) for f in sorted(os.listdir(d))])
            status = wait_status(browser, lambda s: s.startswith('error'))
            cpp = subprocess.run([shadergen, 'info', '--model', d], capture_output=True, text=True).stderr.strip()
            expected = 'error: ' + cpp.split(d + '/', 1)[1] if d + '/' in cpp else cpp
            print(f'{name} picked: status {status!r}')
            if status != expected:
                failures += fail(f'{name} picked: status {status!r} (expected {expected!r})')
        good = os.path.join(tmp, 'models', 'test-random-816')
        browser.set_files('#files', [os.path.join(good, f) for f in sorted(os.listdir(good)) if not f.endswith('.f32')
                                     and f != 'cases.json'] + [os.path.join(tmp, 'in_173x97.png')])
        status = wait_status(browser, lambda s: 'test-random-816' in s and '173x97' in s and 'ms/frame' in s)
        print(f'good model picked: status {status!r}')
        if 'test-random-816 [8,16]' not in status or 'size 173x97' not in status:
            failures += fail(f'good model picked: status {status!r}')
        # "save PNG" downloads the output: the reference at the model's default_cond.
        downloads = os.path.join(tmp, 'downloads')
        os.mkdir(downloads)
        browser.send('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads}, session=False)
        browser.evaluate('document.getElementById("save").click()')
        saved = os.path.join(downloads, 'cnnv3-test-random-816.png')
        end = time.monotonic() + 30
        while not os.path.exists(saved) and time.monotonic() < end:
            time.sleep(0.1)
        ref = os.path.join(tmp, 'ref_saved.png')
        subprocess.run([shadergen, 'reference', '--model', good, os.path.join(tmp, 'in_173x97.png'), ref], check=True)
        r = subprocess.run([png_tool, 'diff', saved, ref, '1.5/255'], capture_output=True, text=True)
        print(f'save PNG: {r.stdout.strip()} {r.stderr.strip()}')
        if r.returncode != 0:
            failures += fail('save PNG: the saved file is not the output at the model\'s default_cond')

        # 3. The FiLM MLP in JavaScript vs C++.
        rng = random.Random(15)
        conds = [','.join(f'{rng.random():.6f}' for _ in range(5)) for _ in range(20)] + ['0,0,0,0,0', '1,1,1,1,1']
        browser.open(f'{base}/web/index.html?model=../models/test-random-48/&image=../in_1x1.png')
        browser.wait_title(120)
        for m in MODELS:
            cpp = subprocess.run([film_tool, os.path.join(tmp, 'models', m), *conds], capture_output=True, text=True,
                                 check=True).stdout.split('\n')
            js = browser.evaluate(f'''(async () => {{
                const {{evaluateFilmMlp}} = await import('/web/film.js');
                const {{loadModelFromUrl}} = await import('/web/model.js');
                const model = await loadModelFromUrl('/models/{m}/');
                return {conds!r}.map((c) => Array.from(evaluateFilmMlp(model.mlp, c.split(',').map(Number))));
            }})()''')
            worst = 0.0
            for line, values in zip(cpp, js):
                ref = [float(v) for v in line.split()]
                if len(ref) != len(values):
                    failures += fail(f'{m}: FiLM has {len(values)} values in JS, {len(ref)} in C++')
                    break
                worst = max([worst] + [abs(a - b) for a, b in zip(ref, values)])
            print(f'{m}: FiLM MLP JS vs C++ on {len(conds)} vectors: max abs difference {worst:.3g}')
            if worst > 1e-6:
                failures += fail(f'{m}: FiLM MLP differs by {worst} (limit 1e-6)')

        # 4. Video with live conditioning.
        failures += check_video(browser, base, root, tmp, cnnv3)

        if shots:
            take_screenshots(browser, base, root, tmp, shots)
        server.shutdown()
    finally:
        if browser:
            browser.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print('web test: ' + ('FAILED' if failures else 'all checks passed'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

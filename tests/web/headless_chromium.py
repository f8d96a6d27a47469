"""Drives Debian's Chromium headless over the DevTools protocol on a pipe (stdlib only).

Chromium reads protocol messages from fd 3 and writes to fd 4 (--remote-debugging-pipe), each a
JSON text ended by a NUL byte. WebGPU runs on SwiftShader's Vulkan with --enable-unsafe-webgpu
(docs/web.md, "Testing"). One Browser owns the chromium process; close() ends it.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox', '--no-first-run',
         '--no-default-browser-check', '--disable-extensions', '--mute-audio',
         '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage']


def chromium_path():
    return shutil.which('chromium') or shutil.which('chromium-browser')


class Browser:
    def __init__(self, extra_flags=()):
        self.profile = tempfile.mkdtemp(prefix='cnnv3-chromium-')
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        def child_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.log = open(os.path.join(self.profile, 'chromium.log'), 'w')
        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, *extra_flags, '--remote-debugging-pipe', f'--user-data-dir={self.profile}',
             'about:blank'],
            pass_fds=(3, 4), preexec_fn=child_fds, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.out = os.fdopen(to_chrome_w, 'wb', buffering=0)
        self.inp = os.fdopen(from_chrome_r, 'rb', buffering=0)
        self.buf = b''
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session and self.session:
            msg['sessionId'] = self.session
        self.out.write(json.dumps(msg).encode() + b'\0')
        while True:
            while b'\0' not in self.buf:
                chunk = self.inp.read(1 << 16)
                if not chunk:
                    raise RuntimeError('chromium closed the DevTools pipe')
                self.buf += chunk
            text, self.buf = self.buf.split(b'\0', 1)
            reply = json.loads(text)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError(f'{method}: {reply["error"]}')
                return reply.get('result', {})

    def open(self, url, width=1000, height=700):
        """Opens url in a fresh tab (closing the previous one)."""
        if self.session:
            self.send('Target.closeTarget', {'targetId': self.target}, session=False)
        self.target = self.send('Target.createTarget', {'url': 'about:blank'},
                                session=False)['targetId']
        self.session = self.send('Target.attachToTarget', {'targetId': self.target, 'flatten': True},
                                 session=False)['sessionId']
        self.send('Emulation.setDeviceMetricsOverride',
                  {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': False})
        self.send('Page.navigate', {'url': url})

    def evaluate(self, expression):
        """The value of a JavaScript expression (promises awaited)."""
        r = self.send('Runtime.evaluate', {'expression': expression, 'awaitPromise': True, 'returnByValue': True})
        if 'exceptionDetails' in r:
            raise RuntimeError(f'{expression[:60]}: {r["exceptionDetails"].get("exception", {}).get("description")}')
        return r['result'].get('value')

    def wait_title(self, timeout, pending=('cnnv3', '', 'about:blank')):
        """Waits until document.title leaves the pending values; returns it (None on timeout)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                title = self.evaluate('document.title')
            except RuntimeError:
                title = None  # navigating
            if title not in pending and title is not None:
                return title
            time.sleep(0.2)
        return None

    def set_files(self, selector, paths):
        """Picks files in an <input type=file> as a user would (fires its change event)."""
        root = self.send('DOM.getDocument')['root']['nodeId']
        node = self.send('DOM.querySelector', {'nodeId': root, 'selector': selector})['nodeId']
        self.send('DOM.setFileInputFiles', {'files': list(paths), 'nodeId': node})

    def screenshot(self, path):
        import base64
        data = self.send('Page.captureScreenshot', {'format': 'png'})['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send('Browser.close', session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

"""A tiny client for mpv's JSON IPC (--input-ipc-server): commands and property reads."""
import json
import os
import socket
import time


class MpvError(RuntimeError):
    def __init__(self, text, error):
        super().__init__(text)
        self.error = error


class Mpv:
    def __init__(self, path, timeout=60.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mpv IPC socket {path} did not open in {timeout} s")
                time.sleep(0.1)
        self.sock.settimeout(30.0)
        self.buf = b""
        self.next_id = 1

    def _line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("mpv closed the IPC connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, *args):
        rid = self.next_id
        self.next_id += 1
        self.sock.sendall(json.dumps({"command": list(args), "request_id": rid}).encode() + b"\n")
        while True:
            msg = self._line()
            if msg.get("request_id") == rid:
                if msg.get("error") != "success":
                    raise MpvError(f"mpv: {args}: {msg.get('error')}", msg.get("error"))
                return msg.get("data")

    def get(self, name):
        """A property's value, None while it is unavailable (e.g. time-pos before the file loads)."""
        try:
            return self.command("get_property", name)
        except MpvError as e:
            if e.error == "property unavailable":
                return None
            raise

    def set(self, name, value):
        return self.command("set_property", name, value)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def wait_for(pred, timeout, step=0.05):
    """Polls pred() until it returns a true value (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return None
        time.sleep(step)

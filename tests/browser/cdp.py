"""A minimal Chrome DevTools Protocol client on the Python standard library: a WebSocket client
(RFC 6455: the HTTP upgrade, masked client frames, fragmented and control frames) and a CDP
session over it, plus a headless Chromium launcher. Loopback only; no PyPI."""
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    def __init__(self, host, port, path, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("connection closed during the WebSocket handshake")
            raw += chunk
        head, self.buf = raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if lines[0].split(" ")[1] != "101":
            raise ConnectionError("WebSocket upgrade refused: " + lines[0])
        headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expect:
            raise ConnectionError("bad Sec-WebSocket-Accept")

    def _send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        # XOR with the repeated mask as one big integer (fast for any size).
        full = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(full, "big")).to_bytes(n, "big") if n else b""
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("WebSocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next complete text or binary message (answers pings, raises on close)."""
        parts = []
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                raise ConnectionError("WebSocket closed by peer")
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class Cdp:
    """A CDP connection to the browser target; commands may name a flattened session."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=15):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send_text(json.dumps(msg))
        deadline = time.time() + timeout
        while True:
            self.ws.sock.settimeout(max(0.1, deadline - time.time()))
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def evaluate(self, session, expression, await_promise=False):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise}, session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, session, expression, timeout=10, interval=0.1):
        """Evaluates `expression` until it is truthy; returns its value. A throwing expression
        (e.g. an element of a page still loading) counts as falsy until the timeout."""
        deadline = time.time() + timeout
        while True:
            try:
                v, last = self.evaluate(session, expression), None
            except RuntimeError as e:
                v, last = None, e
            if v:
                return v
            if time.time() > deadline:
                raise TimeoutError(f"still falsy after {timeout} s: {expression} ({last})")
            time.sleep(interval)


class Chromium:
    """Headless Chromium with a fresh profile; DevTools on a port it picks (read from the
    profile's DevToolsActivePort file). Raises RuntimeError if it cannot start."""

    FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-port=0"]

    def __init__(self, profile_dir, timeout=20):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise RuntimeError("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
        self.log_path = os.path.join(profile_dir, "chromium.log")
        self.profile = os.path.join(profile_dir, "profile")
        os.makedirs(self.profile)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([exe, *self.FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     start_new_session=True)  # its own process group: see stop()
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while True:
            if os.path.exists(port_file):
                lines = open(port_file).read().split()
                if len(lines) >= 2:
                    break
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("chromium did not start: " + open(self.log_path, errors="replace").read()[-2000:])
            time.sleep(0.05)
        self.port, self.path = int(lines[0]), lines[1]
        self.cdp = Cdp(WebSocket("127.0.0.1", self.port, self.path))

    def new_page(self):
        """A new tab attached in flattened mode; returns its session id."""
        target = self.cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        return self.cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def stop(self):
        if getattr(self, "cdp", None) is not None:
            try:
                self.cdp.send("Browser.close", timeout=5)
            except Exception:
                pass
            self.cdp.ws.close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                # The group this launcher created: the browser and its renderer/zygote children.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()

"""Load generation and process measurement for the reliability tests (loopback only).

Clients are plain sockets with keep-alive; each worker thread runs its own connection, so a
few threads of Python are enough to saturate a one-thread server on a costly model. Latency is
measured per request from the first byte sent to the last byte of the answer received."""
import socket
import threading
import time

ROW_BODY = b'{"features": [5.1, 3.5, 1.4, 0.2]}'


def http_request(path, body=None, extra=b""):
    method = b"POST" if body is not None else b"GET"
    req = b"%s %s HTTP/1.1\r\nHost: x\r\n%s" % (method, path.encode(), extra)
    if body is not None:
        req += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return req + b"\r\n" + (body or b"")


class Conn:
    """One keep-alive connection that reads Content-Length responses."""

    def __init__(self, port, timeout=30):
        self.port, self.timeout = port, timeout
        self.sock = None
        self.buf = b""

    def _connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def roundtrip(self, raw):
        """Sends raw request bytes, returns (status, headers_text, body). Reconnects when the
        server closed the previous connection; raises OSError on a failure mid-request."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the response")
            self.buf += chunk
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        text = head.decode("latin1")
        length = 0
        close = False
        for line in text.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "connection" and v.strip().lower() == "close":
                close = True
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            rest += chunk
        self.buf = rest[length:]
        if close:
            self.close()
        return int(text.split(" ")[1]), text, rest[:length]

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100.0 * len(s)))]


class LoadResult:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_status = {}      # status -> [latency seconds]
        self.errors = []         # exceptions (connection failures)
        self.elapsed = 0.0

    def add(self, status, secs):
        with self.lock:
            self.by_status.setdefault(status, []).append(secs)

    def count(self, status=None):
        if status is None:
            return sum(len(v) for v in self.by_status.values())
        return len(self.by_status.get(status, []))


def closed_loop(port, raw, clients, seconds, rate_per_client=None, result=None):
    """`clients` threads, each sending `raw` on its own keep-alive connection, back to back or
    at `rate_per_client` requests/s, for `seconds`. Returns a LoadResult."""
    res = result or LoadResult()
    stop_at = time.monotonic() + seconds

    def worker():
        c = Conn(port)
        nxt = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            if rate_per_client:
                if now < nxt:
                    time.sleep(min(nxt - now, stop_at - now))
                    continue
                nxt += 1.0 / rate_per_client
            t0 = time.monotonic()
            try:
                st, _, _ = c.roundtrip(raw)
                res.add(st, time.monotonic() - t0)
            except OSError as e:
                with res.lock:
                    res.errors.append(repr(e))
                c.close()
        c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.elapsed = time.monotonic() - t0
    return res


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))

"""Behaviour under stress of the real `inferd serve`: graceful drain under sustained load, load
shedding (--max-inflight), deadlines (504), read timeouts (408), --max-connections, request ids.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_prod_stress.py
"""
import concurrent.futures
import http.client
import json
import signal
import socket
import statistics
import threading
import time

import pytest

from prod_util import Server, train, wait_for

ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    train(d)
    return d


def slow_batch(n=400):
    return json.dumps({"instances": [[0.1 * (i % 7), -0.2, 0.3, 0.05 * (i % 5)] for i in range(n)]})


def test_drain_under_sustained_load(models):
    drain = 1.5
    s = Server("--model", models / "iris.pkl", "--threads", "2", "--drain-seconds", drain,
               "--shutdown-timeout-seconds", "10")
    stop = threading.Event()
    lock = threading.Lock()
    res = {"ok": 0, "bad": [], "conn_errors": []}

    def client():
        while not stop.is_set():
            try:
                c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
                for _ in range(20):
                    c.request("POST", "/predict", json.dumps({"features": ROW}), {"Content-Type": "application/json"})
                    r = c.getresponse()
                    body = r.read()
                    with lock:
                        if r.status == 200 and json.loads(body) == {"prediction": 0}:
                            res["ok"] += 1
                        else:
                            res["bad"].append((r.status, body))
                    if r.getheader("Connection") == "close":
                        break
                c.close()
            except (ConnectionError, http.client.HTTPException, OSError):
                with lock:
                    res["conn_errors"].append(time.monotonic())
                time.sleep(0.01)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    before = res["ok"]
    t_term = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    # Readiness turns false at once while predictions keep succeeding.
    time.sleep(0.2)
    st, _, _ = s.request("GET", "/readyz")
    st2, _, _ = s.request("GET", "/v2/health/ready")
    mid = res["ok"]
    time.sleep(0.5)
    during_drain = res["ok"] - mid
    try:
        rc = s.proc.wait(timeout=20)
    except BaseException:
        s.kill()
        stop.set()
        raise
    t_exit = time.monotonic()
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert rc == 0
    assert st == 503 and st2 == 400
    assert before > 100 and during_drain > 20, (before, during_drain)
    assert res["bad"] == []  # zero failed requests among those accepted
    # Connection errors only once the listener closed (after the drain period), never before.
    early = [e for e in res["conn_errors"] if e < t_term + drain - 0.1]
    assert early == [], (len(early), t_exit - t_term)
    # After the exit new connections are refused cleanly.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2)
    s.stop()  # the process has exited: this joins the log reader, so stderr is fully read
    msgs = [r["msg"] for r in s.logs()]
    assert "shutting down" in msgs and "stopped" in msgs


def burst(port, body, n):
    """Sends one request on each of n fresh connections at once (raw sockets, so the burst
    really is concurrent) and returns [(status, headers_text, seconds_to_answer)]."""
    import selectors
    req = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(n)]
    t0 = time.monotonic()
    for so in socks:
        so.sendall(req)
    sel = selectors.DefaultSelector()
    bufs, done = {}, {}
    for so in socks:
        so.setblocking(False)
        sel.register(so, selectors.EVENT_READ)
        bufs[so] = b""
    while len(done) < n and time.monotonic() - t0 < 60:
        for key, _ in sel.select(timeout=1):
            so = key.fileobj
            chunk = so.recv(65536)
            if chunk:
                bufs[so] += chunk
            else:
                done[so] = time.monotonic() - t0
                sel.unregister(so)
                so.close()
    out = []
    for so in socks:
        head = bufs[so].split(b"\r\n\r\n", 1)[0].decode()
        out.append((int(head.split(" ")[1]) if head else 0, head, done.get(so, 999)))
    return out


def test_overload_sheds_fast_503_with_retry_after(models):
    s = Server("--model", models / "slow.pkl", "--threads", "1", "--max-inflight", "2")
    try:
        body = slow_batch(1000).encode()
        t0 = time.monotonic()
        st, _, _ = s.request("POST", "/predict", body)
        single = time.monotonic() - t0
        assert st == 200
        results = burst(s.port, body, 12)
        ok = [r for r in results if r[0] == 200]
        shed = [r for r in results if r[0] == 503]
        assert len(ok) + len(shed) == len(results), results
        assert len(ok) >= 2 and len(shed) >= 5, (len(ok), len(shed))
        assert all("Retry-After: 1" in r[1] for r in shed)
        # Shed requests cost no model run. With one server thread the model runs on the event
        # loop, so a shed answer can leave only between model runs: shed and accepted answers
        # arrive together, within a fraction of a millisecond either way (the ASan build measured
        # the median shed answer 0.1 ms after the last accepted one). Had the 10 shed requests
        # run the model, the last answers would come ~10 model runs after the accepted ones.
        # (Answering sheds while a model runs on the same thread would need the model off the
        # event loop; not done.)
        shed_times = sorted(r[2] for r in shed)
        last_ok = max(r[2] for r in ok)
        assert shed_times[len(shed_times) // 2] < last_ok + 0.5 * single, (results, single)
        assert shed_times[-1] < last_ok + 2 * single, (results, single)
        # Accepted work keeps bounded latency: at most max-inflight requests' worth of work.
        assert max(r[2] for r in ok) < 4 * single + 1.0, (results, single)
        m = s.metrics()
        assert m["inferd_requests_shed_total"] == len(shed)
        assert m["inferd_queue_wait_seconds_count"] >= len(ok)
        assert m["inferd_requests_queued"] == 0 and m["inferd_requests_in_flight"] == 1  # the scrape itself
        assert s.request("POST", "/predict", body)[0] == 200  # still serving normally
    finally:
        assert s.stop() == 0


def raw_predict(body, extra=b""):
    return (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def read_response(sock, timeout=60):
    """Reads one Content-Length response from a blocking socket -> (status, head, body)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, "", b""
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    head = head.decode()
    length = 0
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head.split(" ")[1]), head, rest


def readable_now(sock):
    import select
    return bool(select.select([sock], [], [], 0)[0])


def queued_behind_long_request(port, long_body, reqs):
    """Makes `reqs` complete on the wire while the (single) event loop runs `long_body`.

    Deterministic by construction, not by timing: each request in `reqs` is sent up to its last
    byte beforehand (the idle server reads and parses that much), the long request is sent,
    then the last bytes. If the long request's answer is still not readable right after those
    sends, the last bytes arrived while the loop was busy with it, so the server reads them all
    in its next poll, in send order, and runs them one after another — each one's queue wait
    is the running time of those before it. Returns (held, long_status, [(status, head, body)
    for reqs]); `held` is False if that precondition did not hold (the client was descheduled
    for longer than the long request runs). Every answer is read either way, so the server's
    counters include each attempt's answers."""
    x = socket.create_connection(("127.0.0.1", port), timeout=60)
    socks = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in reqs]
    try:
        for so, r in zip(socks, reqs):
            so.sendall(r[:-1])
        time.sleep(0.3)
        x.sendall(raw_predict(long_body))
        time.sleep(0.03)
        for so, r in zip(socks, reqs):
            so.sendall(r[-1:])
        held = not readable_now(x)
        long_status = read_response(x)[0]
        return held, long_status, [read_response(so) for so in socks]
    finally:
        for so in [x] + socks:
            so.close()


# The long batch runs for a few hundred ms (well above a client's usual scheduling delays), and
# each attempt checks its own precondition: only a client descheduled for longer than that on
# every attempt can fail the test, not a slow or busy machine.
LONG_ROWS = 40000
ATTEMPTS = 10


def test_deadlines_give_504(models):
    s = Server("--model", models / "slow.pkl", "--threads", "1", "--max-batch-rows", LONG_ROWS)
    long_body = slow_batch(LONG_ROWS).encode()
    try:
        st, headers, raw = s.request("POST", "/predict", json.dumps({"features": [0, 0, 0, 0]}),
                                     headers={"X-Request-Timeout-Ms": "0"})
        assert st == 504 and b"deadline" in raw
        # A request queued behind a batch misses its short deadline: A (a 2000-row batch, no
        # deadline) and B (one row, 5 ms) complete while a long batch runs; A runs first, so B
        # waits A's running time (> 5 ms) and is answered 504 without running.
        a = raw_predict(slow_batch(2000).encode())
        b = raw_predict(b'{"features": [0, 0, 0, 0]}', b"X-Request-Timeout-Ms: 5\r\n")
        answered_504 = 1
        for _ in range(ATTEMPTS):
            held, long_status, (ra, rb) = queued_behind_long_request(s.port, long_body, [a, b])
            answered_504 += [long_status, ra[0], rb[0]].count(504)
            if held:
                break
        assert held, "the client was never able to send within the long request's run time"
        assert long_status == 200
        assert ra[0] == 200, ra
        assert rb[0] == 504 and b"deadline" in rb[2], rb
        # Without a deadline the same request succeeds.
        assert s.request("POST", "/predict", json.dumps({"features": [0, 0, 0, 0]}))[0] == 200
        assert s.metrics()["inferd_request_deadline_exceeded_total"] == answered_504
    finally:
        assert s.stop() == 0
    # The server-wide --request-timeout-ms: six 1000-row requests complete together while a
    # long batch runs; at most two of them can start within 1 ms of being read (the first, and
    # the second if the first was itself late), the others wait a batch's run time: 504, unrun.
    s = Server("--model", models / "slow.pkl", "--threads", "1", "--request-timeout-ms", "1",
               "--max-batch-rows", LONG_ROWS)
    try:
        burst_req = raw_predict(slow_batch(1000).encode())
        for _ in range(ATTEMPTS):
            held, long_status, answers = queued_behind_long_request(s.port, long_body, [burst_req] * 6)
            # The long request is itself subject to the 1 ms deadline; if it was late (504) the
            # loop was not busy, so the precondition did not hold either.
            if held and long_status == 200:
                break
        assert held and long_status == 200, (held, long_status)
        codes = sorted(r[0] for r in answers)
        assert codes.count(504) >= 4 and set(codes) <= {200, 504}, codes
    finally:
        assert s.stop() == 0


def test_read_timeout_408_and_max_connections(models):
    s = Server("--model", models / "iris.pkl", "--threads", "1", "--read-timeout-seconds", "1",
               "--max-connections", "3")
    try:
        slow = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        slow.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{\"feat")
        t0 = time.monotonic()
        data = b""
        while True:
            chunk = slow.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 408"), data
        assert 0.9 < time.monotonic() - t0 < 4
        slow.close()
        time.sleep(0.2)
        # Fill the connection limit with keep-alive connections, then one more is refused with 503.
        conns = [http.client.HTTPConnection("127.0.0.1", s.port, timeout=5) for _ in range(3)]
        for c in conns:
            c.request("GET", "/healthz")
            assert c.getresponse().read() == b'{"status":"alive"}\n'
        extra = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        extra.request("GET", "/healthz")
        r = extra.getresponse()
        assert r.status == 503 and r.getheader("Retry-After") == "1" and r.getheader("Connection") == "close"
        r.read()
        extra.close()
        conns[0].close()
        time.sleep(0.3)
        assert s.request("GET", "/healthz")[0] == 200
        for c in conns[1:]:
            c.close()
    finally:
        assert s.stop() == 0


def test_request_id_echoed_or_generated(models):
    s = Server("--model", models / "iris.pkl", "--threads", "1", "--log-requests")
    try:
        st, h, _ = s.request("POST", "/predict", json.dumps({"features": ROW}),
                             headers={"X-Request-Id": "abc-123"})
        assert st == 200 and h["X-Request-Id"] == "abc-123"
        ids = {s.request("GET", "/healthz")[1]["X-Request-Id"] for _ in range(3)}
        assert len(ids) == 3
        # Log lines are read by a thread: wait for the line rather than sleep a fixed time.
        assert wait_for(lambda: any(r["msg"] == "request" and r.get("request_id") == "abc-123" and
                                    r["path"] == "/predict" for r in s.logs()))
    finally:
        assert s.stop() == 0

"""Writes the seed corpus of grpc_server_fuzz: whole gRPC exchanges as HTTP/2 frames, sent after
the client connection preface (the harness writes that). Headers are HPACK literals without
indexing, so every seed stands alone. ModelInfer requests are built with stubs generated from
src/grpc/proto by python3-grpc-tools, for the fuzz server's model "m" (4 features).

Run: /usr/bin/python3 src/app/fuzz/make_grpc_corpus.py
"""
import importlib
import pathlib
import struct
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PROTO = HERE.parents[1] / "grpc" / "proto"
out = tempfile.mkdtemp()
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO}", f"--python_out={out}", "inference.proto"],
               check=True)
sys.path.insert(0, out)
pb = importlib.import_module("inference_pb2")

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS = 0x1, 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def literal(name, value):  # literal header field without indexing, new name
    n, v = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v


def call_headers(stream, method, extra=(), end_stream=False):
    block = b"".join(literal(k, v) for k, v in [(":method", "POST"), (":scheme", "http"), (":path", method),
                                                  (":authority", "x"), ("content-type", "application/grpc"),
                                                  ("te", "trailers"), *extra])
    return frame(HEADERS, END_HEADERS | (END_STREAM if end_stream else 0), stream, block)


def message(body, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(body)) + body


def unary(stream, method, body, extra=()):
    return call_headers(stream, method, extra) + frame(DATA, END_STREAM, stream, message(body))


SVC = "/inference.GRPCInferenceService/"
HELLO = frame(SETTINGS, 0, 0)


def infer(rows, raw=False, datatype="FP64"):
    r = pb.ModelInferRequest(model_name="m", id="1")
    t = r.inputs.add(name="input-0", datatype=datatype, shape=[len(rows), 4])
    values = [v for row in rows for v in row]
    if raw:
        r.raw_input_contents.append(struct.pack(f"<{len(values)}d", *values))
    else:
        t.contents.fp64_contents.extend(values)
    return r.SerializeToString()


ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
seeds = {
    "infer_typed": HELLO + unary(1, SVC + "ModelInfer", infer(ROWS)),
    "infer_raw": HELLO + unary(1, SVC + "ModelInfer", infer(ROWS, raw=True)),
    "infer_two_calls": HELLO + unary(1, SVC + "ModelInfer", infer(ROWS[:1])) + unary(3, SVC + "ModelInfer", infer(ROWS[1:])),
    "infer_timeout": HELLO + unary(1, SVC + "ModelInfer", infer(ROWS), extra=[("grpc-timeout", "1S"),
                                                                             ("x-request-id", "abc")]),
    "infer_split_data": HELLO + call_headers(1, SVC + "ModelInfer")
    + frame(DATA, 0, 1, message(infer(ROWS))[:7]) + frame(DATA, END_STREAM, 1, message(infer(ROWS))[7:]),
    "infer_reset": HELLO + call_headers(1, SVC + "ModelInfer") + frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
    "server_live": HELLO + unary(1, SVC + "ServerLive", b""),
    "model_ready": HELLO + unary(1, SVC + "ModelReady", pb.ModelReadyRequest(name="m").SerializeToString()),
    "model_metadata": HELLO + unary(1, SVC + "ModelMetadata", pb.ModelMetadataRequest(name="m").SerializeToString()),
    "health_check": HELLO + unary(1, "/grpc.health.v1.Health/Check", b""),
    "health_watch": HELLO + unary(1, "/grpc.health.v1.Health/Watch", b""),
    "reflection_list": HELLO + unary(1, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", b"\x3a\x00"),
    "unknown_method": HELLO + unary(1, "/x.Y/Z", b""),
    "ping_window": HELLO + frame(PING, 0, 0, b"12345678") + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))
    + unary(1, SVC + "ServerReady", b""),
    "goaway": HELLO + unary(1, SVC + "ServerLive", b"") + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)),
}
# A message marked compressed (inferd answers UNIMPLEMENTED).
seeds["infer_compressed"] = HELLO + call_headers(1, SVC + "ModelInfer", [("grpc-encoding", "gzip")]) + frame(
    DATA, END_STREAM, 1, message(infer(ROWS), compressed=True))

target = HERE / "corpus_grpc"
target.mkdir(exist_ok=True)
for name, data in seeds.items():
    (target / name).write_bytes(data)
print(f"wrote {len(seeds)} seeds to {target}")

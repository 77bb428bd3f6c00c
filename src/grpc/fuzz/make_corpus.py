"""Writes the seed corpus of infer_codec_fuzz: an options byte + a serialized ModelInferRequest
(stubs generated from src/grpc/proto with python3-grpc-tools).

Run: /usr/bin/python3 src/grpc/fuzz/make_corpus.py
"""
import importlib
import pathlib
import struct
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
out = tempfile.mkdtemp()
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE.parent / 'proto'}", f"--python_out={out}",
                "inference.proto"], check=True)
sys.path.insert(0, out)
pb = importlib.import_module("inference_pb2")


def request(inputs, raw=False, outputs=()):
    r = pb.ModelInferRequest(model_name="m", id="1")
    for name, dt, shape, values in inputs:
        t = r.inputs.add(name=name, datatype=dt, shape=shape)
        if raw:
            if dt == "BYTES":
                r.raw_input_contents.append(b"".join(struct.pack("<I", len(v)) + v for v in values))
            else:
                fmt = {"FP64": "d", "FP32": "f", "INT64": "q", "INT32": "i", "INT8": "b", "UINT8": "B", "BOOL": "?",
                       "FP16": "e", "UINT16": "H"}[dt]
                r.raw_input_contents.append(struct.pack("<" + fmt * len(values), *values))
        else:
            field = {"FP64": "fp64_contents", "FP32": "fp32_contents", "INT64": "int64_contents",
                     "INT32": "int_contents", "BYTES": "bytes_contents", "BOOL": "bool_contents",
                     "UINT8": "uint_contents"}[dt]
            getattr(t.contents, field).extend(values)
    for o in outputs:
        r.outputs.add(name=o)
    return r.SerializeToString()


seeds = {
    "matrix_fp64": (0x02, request([("x", "FP64", [2, 2], [1.0, 2.0, 3.0, float("nan")])], outputs=["predict"])),
    "matrix_raw_fp32": (0x02, request([("x", "FP32", [2, 2], [1.0, 2.0, 3.0, 4.0])], raw=True)),
    "matrix_raw_fp16": (0x02, request([("x", "FP16", [1, 2], [0.5, -2.0])], raw=True)),
    "columns_typed": (0x42, request([("a", "FP64", [2], [1.0, 2.0]), ("b", "BYTES", [2, 1], [b"x", b"z"]),
                                     ("c", "INT64", [2], [3, 4])], outputs=["predict_proba", "contributions"])),
    "columns_raw": (0x42, request([("a", "UINT8", [1], [7]), ("b", "BYTES", [1], [b"y"]), ("c", "BOOL", [1], [True])],
                                  raw=True)),
    "int32": (0x01, request([("x", "INT32", [1, 1], [-5])])),
}
(HERE / "corpus").mkdir(exist_ok=True)
for name, (opt, body) in seeds.items():
    (HERE / "corpus" / name).write_bytes(bytes([opt]) + body)
print(f"wrote {len(seeds)} seeds")

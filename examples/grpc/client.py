"""Calls inferd over gRPC (the Open Inference Protocol) with python3-grpcio.

    python3 -m grpc_tools.protoc -I src/grpc/proto --python_out=. --grpc_python_out=. inference.proto
    python3 examples/grpc/client.py 127.0.0.1:8081 iris 5.1,3.5,1.4,0.2 6.7,3.0,5.2,2.3

Prints one JSON line: the model's predictions and probabilities for the rows given.
"""
import json
import struct
import sys

import grpc

import inference_pb2
import inference_pb2_grpc


def main(target, model, rows):
    rows = [[float(v) for v in r.split(",")] for r in rows]
    n, f = len(rows), len(rows[0])
    request = inference_pb2.ModelInferRequest(model_name=model)
    request.inputs.add(name="input-0", datatype="FP64", shape=[n, f])
    # Raw contents: the row-major little-endian doubles, as Triton's clients send tensors.
    request.raw_input_contents.append(struct.pack(f"<{n * f}d", *(v for r in rows for v in r)))
    request.outputs.add(name="predict")
    request.outputs.add(name="predict_proba")
    with grpc.insecure_channel(target) as channel:
        stub = inference_pb2_grpc.GRPCInferenceServiceStub(channel)
        response = stub.ModelInfer(request, timeout=5)
    # The answer mirrors the request's form: raw outputs, one bytes entry per output.
    labels = struct.unpack(f"<{n}q", response.raw_output_contents[0])
    k = response.outputs[1].shape[1]
    proba = struct.unpack(f"<{n * k}d", response.raw_output_contents[1])
    print(json.dumps({"model": response.model_name, "predict": list(labels),
                      "predict_proba": [list(proba[i * k:(i + 1) * k]) for i in range(n)]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])

#!/usr/bin/env python3
"""moegc's runtime beside onnxruntime on one expert FFN (x·W_in → ReLU → ·W_out, d = 512, hidden 1024),
one thread each, the same row counts, measured in one run (medians).

    pip install onnxruntime onnx numpy
    python3 Tests/Benchmarks/onnxruntime_ffn.py [path/to/moegc]

moegc's numbers come from `moegc bench ffn --json` (the runtime on one device, the matmul's ReLU
epilogue fused); onnxruntime's from an InferenceSession with one intra-op thread. Both include
allocating the step's outputs; neither includes process start-up."""
import json, subprocess, sys, time
import numpy as np
import onnx
from onnx import helper, TensorProto
import onnxruntime as ort

ROWS = [16, 64, 256, 1024]
SAMPLES = 51
moegc = sys.argv[1] if len(sys.argv) > 1 else ".build/release/moegc"

def ffn_model(rows):
    rng = np.random.default_rng(1)
    w_in = helper.make_tensor("w_in", TensorProto.FLOAT, [512, 1024], (rng.standard_normal((512, 1024)) * 0.04).astype(np.float32).ravel())
    w_out = helper.make_tensor("w_out", TensorProto.FLOAT, [1024, 512], (rng.standard_normal((1024, 512)) * 0.03).astype(np.float32).ravel())
    nodes = [helper.make_node("MatMul", ["x", "w_in"], ["h"]), helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("MatMul", ["a", "w_out"], ["y"])]
    g = helper.make_graph(nodes, "ffn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, 512])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, 512])], [w_in, w_out])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])

def ort_seconds(rows):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    s = ort.InferenceSession(ffn_model(rows).SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((rows, 512)).astype(np.float32)
    for _ in range(5):
        s.run(None, {"x": x})
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        s.run(None, {"x": x})
        times.append(time.perf_counter() - t0)
    return float(np.median(times))

ours = {r["rows"]: r["seconds"] for r in json.loads(subprocess.check_output(
    [moegc, "bench", "ffn", "--json", "--rows", ",".join(map(str, ROWS)), "--samples", str(SAMPLES)]))}
print(f"onnxruntime {ort.__version__}, one thread; moegc runtime, one device")
print("| rows | onnxruntime | moegc | onnxruntime GFLOP/s | moegc GFLOP/s | moegc / onnxruntime time |")
print("|---|---|---|---|---|---|")
for r in ROWS:
    o = ort_seconds(r)
    m = ours[r]
    flops = 4 * r * 512 * 1024
    print(f"| {r} | {o * 1e6:.0f} µs | {m * 1e6:.0f} µs | {flops / o / 1e9:.1f} | {flops / m / 1e9:.1f} | {m / o:.2f} |")

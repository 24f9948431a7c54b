#!/usr/bin/env python3
"""moegc's runtime beside onnxruntime on one expert FFN (x·W_in → ReLU → ·W_out, d = 512, hidden 1024),
one thread each, the same row counts, measured in one run (medians).

    pip install onnxruntime onnx numpy
    python3 Tests/Benchmarks/onnxruntime_ffn.py [path/to/moegc]

moegc's numbers come from `moegc bench ffn --json` (the runtime on one device, the weights packed
once when the runtime is made, the matmul's ReLU epilogue fused); onnxruntime's from an
InferenceSession with one intra-op thread. Both include allocating the step's outputs; neither
includes process start-up or packing.

The machine may be shared, so the two are measured in alternating rounds: each round times SAMPLES
steps of moegc, then SAMPLES of onnxruntime, at every row count. The table gives each side's median
over the rounds of its per-round medians, and the median over rounds of the per-round time ratio
(load that comes and goes hits both sides of a round alike)."""
import json, subprocess, sys, time
import numpy as np
import onnx
from onnx import helper, TensorProto
import onnxruntime as ort

ROWS = [16, 64, 256, 1024]
ROUNDS = 11
SAMPLES = 21
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

def ort_session(rows):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    s = ort.InferenceSession(ffn_model(rows).SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((rows, 512)).astype(np.float32)
    for _ in range(5):
        s.run(None, {"x": x})
    return s, x

def ort_seconds(session, x):
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        session.run(None, {"x": x})
        times.append(time.perf_counter() - t0)
    return float(np.median(times))

def moegc_seconds(rows):
    out = json.loads(subprocess.check_output([moegc, "bench", "ffn", "--json", "--rows", str(rows), "--samples", str(SAMPLES)]))
    return out[0]["seconds"]

sessions = {r: ort_session(r) for r in ROWS}
ours = {r: [] for r in ROWS}
theirs = {r: [] for r in ROWS}
for _ in range(ROUNDS):
    for r in ROWS:
        ours[r].append(moegc_seconds(r))
        theirs[r].append(ort_seconds(*sessions[r]))

print(f"onnxruntime {ort.__version__}, one thread; moegc runtime, one device; {ROUNDS} alternating rounds of {SAMPLES} steps each")
print("| rows | onnxruntime | moegc | onnxruntime GFLOP/s | moegc GFLOP/s | moegc / onnxruntime time |")
print("|---|---|---|---|---|---|")
for r in ROWS:
    o, m = float(np.median(theirs[r])), float(np.median(ours[r]))
    ratio = float(np.median([a / b for a, b in zip(ours[r], theirs[r])]))
    flops = 4 * r * 512 * 1024
    print(f"| {r} | {o * 1e6:.0f} µs | {m * 1e6:.0f} µs | {flops / o / 1e9:.1f} | {flops / m / 1e9:.1f} | {ratio:.2f} |")

#!/usr/bin/env python3
"""moegc's runtime against onnxruntime on the same .onnx files, side by side in one run.

For each model: moegc compiles it to a plan on the cpu2 preset (HEFT, evaluation mode) and `moegc
run PLAN --steps N --threads T` reports the median step; onnxruntime 1.31.1 runs the same file on the
CPU execution provider (all graph optimisations, T intra-op threads) N times and the median is
taken. The two alternate for ROUNDS rounds, so a noisy minute hits both; printed: each side's median
over the rounds' medians and the ratio onnxruntime / moegc (> 1: moegc faster), for 1 and 2 threads.

Models: the committed fixtures (Tests/MoegcONNXTests/Fixtures), and com.microsoft.MoE layers at
realistic sizes built here with the onnx helper API (d_model 512, 1024 hidden, ReLU; 16 and 64
experts; 256 and 1024 tokens), random weights from a fixed seed.

    /tmp/onnxenv/bin/python Tests/Benchmarks/onnx_vs_onnxruntime.py [--rounds 5] [--steps 20]

Needs the release binary (`swift build -c release --product moegc`) and onnx + onnxruntime.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOEGC = os.path.join(ROOT, ".build/release/moegc")


def ms_moe(path, tokens, d, h, experts, k=2, seed=0):
    rng = np.random.default_rng(seed)
    fc1 = (rng.standard_normal((experts, h, d)) / np.sqrt(d)).astype(np.float32)
    fc2 = (rng.standard_normal((experts, d, h)) / np.sqrt(h)).astype(np.float32)
    gate = (rng.standard_normal((d, experts)) / np.sqrt(d)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "gate"], ["router"]),
             helper.make_node("MoE", ["x", "router", "fc1", "", "fc2"], ["y"], domain="com.microsoft", k=k,
                              activation_type="relu", normalize_routing_weights=1)]
    g = helper.make_graph(nodes, "moe", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [tokens, d])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [tokens, d])],
                          [numpy_helper.from_array(gate, "gate"), numpy_helper.from_array(fc1, "fc1"),
                           numpy_helper.from_array(fc2, "fc2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)], ir_version=10)
    onnx.save(m, path)


def feeds(path, seed=1):
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    out = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        out[i.name] = rng.integers(0, 90, shape).astype(np.int64) if "int" in i.type else rng.standard_normal(shape).astype(np.float32)
    return out


def moegc_median(plan, steps, threads):
    r = subprocess.run([MOEGC, "run", plan, "--steps", str(steps), "--threads", str(threads)], capture_output=True, text=True, check=True)
    m = re.search(r"step time: measured ([0-9.]+) (µs|ms|s)", r.stdout)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def ort_median(path, f, steps, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    sess.run(None, f)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        sess.run(None, f)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="moegc-bench-")
    models = [(n, os.path.join(ROOT, "Tests/MoegcONNXTests/Fixtures", n, "model.onnx"))
              for n in ["mixtral_moe", "qwen2_moe", "mixtral_lm", "gpt2_lm", "ms_moe"]]
    for experts, tokens in [(16, 256), (16, 1024), (64, 1024)]:
        p = os.path.join(tmp, f"moe_d512_h1024_e{experts}_t{tokens}.onnx")
        ms_moe(p, tokens, 512, 1024, experts)
        models.append((os.path.basename(p)[:-5], p))
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} commit {commit}; medians of {args.rounds} alternating rounds of {args.steps} steps")
    print(f"{'model':32} {'threads':>7} {'moegc':>10} {'onnxruntime':>12} {'ort/moegc':>10}")
    for name, path in models:
        plan = os.path.join(tmp, name + ".plan")
        subprocess.run([MOEGC, "compile", path, "--cluster", "cpu2", "--placer", "heft", "--eval", "-o", plan],
                       capture_output=True, check=True)
        f = feeds(path)
        for threads in [1, 2]:
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(moegc_median(plan, args.steps, threads))
                theirs.append(ort_median(path, f, args.steps, threads))
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{name:32} {threads:>7} {a * 1e3:>8.3f}ms {b * 1e3:>10.3f}ms {b / a:>10.2f}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Profiled-latency graphs: models' ops timed on this machine's runtime, written as opaque ops.

The shape of the real profiled operator graphs placement papers use (each op an `opaque` with its
measured latency and weights, op groups that must share a device, memory-tight devices), made
from moegc's own models so they can be committed and regenerated:

  for each model: compile it single-device, unfused, in evaluation mode; run the plan REPEATS
  times with --trace; per node, the median of its measured durations; then write
    NAME.graph    every op that is not a weight as `opaque` with flops = duration × RATE (so the
                  cluster's roofline gives back the measured time), `weights` = the bytes of the
                  weights it is the first to read, and, for a weight read by several ops, `colocate`
                  on all its readers (they must share the weight's device); inputs and types kept
    NAME.cluster  DEVICES devices of RATE FLOP/s whose memory holds all the weights with SPARE to
                  spare (so no device holds much more than its share) and the model's largest op

Usage, from the repository root after `make build`:  python3 graphs/profiled/make.py
(stdlib only; rewrites graphs/profiled/*.graph and *.cluster; the timings are this machine's).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOEGC = os.environ.get("MOEGC", os.path.join(ROOT, ".build", "release", "moegc"))
OUT = os.path.join(ROOT, "graphs", "profiled")
MODELS = [("transformer-xl-100", "graphs/eval/transformer-xl-100.graph", 4),
          ("gnmt-100", "graphs/eval/gnmt-100.graph", 4),
          ("switch-100", "graphs/eval/switch-100.graph", 8)]
REPEATS = 5
RATE = 1e12          # FLOP/s of the cluster's devices: flops = seconds × RATE
SPARE = 1.5         # total memory = weights × SPARE (and each device 1.5× the largest op's working set)
BYTES = {"f32": 4, "f16": 2, "bf16": 2, "i32": 4, "i64": 8, "bool": 1}

STATEMENT = re.compile(r"^  (%[^=]+?) = (\w+)\(([^)]*)\)(?: \{(.*)\})? : (.*)$")


def run(*args):
    return subprocess.run([MOEGC, *args], cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout


def split_types(text):
    """'f32[a, 2], f32[]' → ['f32[a, 2]', 'f32[]']"""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[": depth += 1
        if ch == "]": depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip()); cur = ""
        else:
            cur += ch
    if cur.strip(): out.append(cur.strip())
    return out


def elements(type_text, dims):
    inner = type_text[type_text.index("[") + 1:-1].strip()
    n = 1
    for d in (x.strip() for x in inner.split(",") if x.strip()):
        if d.startswith("?"):
            d = d.split("<=")[1]
        for factor in d.split("*"):
            factor = factor.strip()
            n *= int(factor) if factor.isdigit() else dims[factor]
    return n


def profile(name, path, devices):
    with tempfile.TemporaryDirectory() as tmp:
        plan = os.path.join(tmp, "m.plan")
        run("compile", path, "--eval", "--cluster", "cpu2", "--placer", "single", "--no-fusion", "-o", plan)
        text = run("inspect", plan, "--graph")
        durations = {}
        for r in range(REPEATS):
            trace = os.path.join(tmp, "t%d.json" % r)
            run("run", plan, "--trace", trace)
            for e in json.load(open(trace))["traceEvents"]:
                if e.get("ph") == "X" and "dur" in e and "→" not in e["name"]:
                    durations.setdefault(e["name"], []).append(e["dur"] * 1e-6)
    lines = text.splitlines()
    header = next(l for l in lines if l.startswith("graph "))
    dims = {k: int(v) for k, v in re.findall(r"(\w+) = (\d+)", header.split("(")[0])}
    nodes = []
    for line in lines:
        m = STATEMENT.match(line)
        if m:
            results = [r.strip() for r in m.group(1).split(",")]
            operands = [o.strip() for o in m.group(3).split(",") if o.strip()]
            nodes.append((results, m.group(2), operands, split_types(m.group(5))))
    value_bytes = {}
    for name_, type_ in re.findall(r"(%[\w.]+): (\w+\[[^\]]*\])", header):
        value_bytes[name_] = elements(type_, dims) * BYTES[type_.split("[")[0]]
    for results, op, operands, types in nodes:
        for r, t in zip(results, types):
            value_bytes[r] = elements(t, dims) * BYTES[t.split("[")[0]]
    weight_bytes, readers = {}, {}
    for results, op, operands, types in nodes:
        if op == "param":
            weight_bytes[results[0]] = elements(types[0], dims) * BYTES[types[0].split("[")[0]]
    for results, op, operands, types in nodes:
        for o in operands:
            if o in weight_bytes: readers.setdefault(o, []).append(results[0])
    body = []
    total = 0
    largest = 0
    for results, op, operands, types in nodes:
        if op == "param":
            continue
        seconds = statistics.median(durations.get(results[0][1:], [0.0]))
        # A weight counts once, on its first reader (its other readers share its device).
        held = sum(weight_bytes[o] for o in operands if o in weight_bytes and readers[o][0] == results[0])
        total += held
        working = held + sum(value_bytes[o] for o in operands if o not in weight_bytes) + sum(value_bytes[r] for r in results)
        largest = max(largest, working)
        attributes = ["flops = %.6g" % (seconds * RATE), 'name = "%s"' % op]
        if held: attributes.append("weights = %d" % held)
        shared = [o for o in operands if o in weight_bytes and len(readers[o]) > 1]
        if shared: attributes.append('colocate = "%s"' % shared[0][1:])
        inputs = ", ".join(o for o in operands if o not in weight_bytes)
        body.append("  %s = opaque(%s) {%s} : %s" % (", ".join(results), inputs, ", ".join(attributes), ", ".join(types)))
    graph = "# %s profiled: %s timed on this machine (graphs/profiled/make.py), each op as an opaque with its\n" % (name, path)
    graph += "# median measured latency (flops = seconds × %g FLOP/s) and the weights it reads.\n\n" % RATE
    graph += header + "\n" + "\n".join(body) + "\n}\n"
    memory = max(total * SPARE / devices, 1.5 * largest)
    cluster = "# %d devices of %g FLOP/s holding %s's weights (%d bytes) with %g× to spare.\n" % (devices, RATE, name, total, SPARE)
    cluster += "cluster %s-x%d\nkind acc flops=%gFLOP/s membw=100GB/s memory=%dB launch=2us\nhost h0\n" % (name, devices, RATE, int(memory))
    cluster += "device acc count=%d kind=acc link=10GB/s latency=5us\n" % devices
    for suffix, content in ((".graph", graph), (".cluster", cluster)):
        target = os.path.join(OUT, name + suffix)
        with open(target + ".tmp", "w") as f: f.write(content)
        os.replace(target + ".tmp", target)
    run("format", "-i", os.path.join(OUT, name + ".graph"))
    print("wrote %s (%d ops, %d weight bytes) and its cluster (%d devices of %d bytes)" % (name, len(body), total, devices, int(memory)))


if __name__ == "__main__":
    for model in MODELS:
        profile(*model)

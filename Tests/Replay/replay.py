#!/usr/bin/env python3
"""Process replay: moegc's outputs on every graph of graphs/ and graphs/eval/, against a record.

A refactor must keep every output byte-identical (tinygrad's "process replay"). This runs, for each
graph, with the release binary:

  compile G                                   the summary
  compile G --emit lowered | --emit fused     the IR (sha-256 and size)
  compile G --cluster C --placer P --emit placed      every placer, policy included, on k40x4 and k40x16
  compile G --cluster C --placer P            the report, wall times removed
  place G --cluster C --compare               the table, its "time to place" column removed
  run G --reference --train | --eval          the tiny models' outputs on the reference interpreter
  place --train-policy --graphs graphs/train …   the shipped policy's command, 200 iterations (sha-256)

The record holds what this machine computes: OpenBLAS cores sum the matmuls' depth in different
blocks, so the learned policy's bytes (and, rarely, its placements) depend on the core. Record and
compare on one machine, with one OPENBLAS_CORETYPE.

and compares what they print (stdout, stderr and the exit status) with Tests/Replay/expected.txt.
A change that is meant to change outputs re-records it (`make replay RECORD=1`) and the diff of
expected.txt shows, in review, every output it changed.

Usage: replay.py [--record | --print] [--jobs N] [--only SUBSTRING]   (from the repository root; stdlib only)
"""

import argparse
import concurrent.futures
import difflib
import glob
import hashlib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(ROOT, ".build", "release", "moegc")
RECORD = os.path.join(ROOT, "Tests", "Replay", "expected.txt")
CLUSTERS = ["k40x4", "k40x16"]
PLACERS = ["single", "round-robin", "expert-parallel", "m-topo", "m-etf", "heft", "metis", "local-search", "policy"]


def graphs():
    files = sorted(glob.glob(os.path.join(ROOT, "graphs", "*.graph"))) + sorted(glob.glob(os.path.join(ROOT, "graphs", "eval", "*.graph")))
    return [os.path.relpath(f, ROOT) for f in files]


def commands(only):
    out = []
    for g in graphs():
        out.append(("text", ["compile", g]))
        out.append(("digest", ["compile", g, "--emit", "lowered"]))
        out.append(("digest", ["compile", g, "--emit", "fused"]))
        for c in CLUSTERS:
            for p in PLACERS:
                out.append(("digest", ["compile", g, "--cluster", c, "--placer", p, "--emit", "placed"]))
                out.append(("report", ["compile", g, "--cluster", c, "--placer", p]))
            out.append(("compare", ["place", g, "--cluster", c, "--compare"]))
        if os.path.basename(g).startswith("tiny-"):
            for mode in ["--train", "--eval"]:
                out.append(("text", ["run", g, "--reference", mode]))
    out.append(("policy", ["place", "--train-policy", "--graphs", "graphs/train", "--clusters", "k40x4,k40x16", "--seed", "1",
                           "--iterations", "200", "--fusion-head", "--out"]))
    return [c for c in out if only is None or only in " ".join(c[1])]


WALL_TIME = re.compile(r"^  wall time .*\n", re.M)
# The policy's note: "<origin>[, its own X]; hint heuristics 47.06 ms, features …" — keep the origin.
POLICY_TIMES = re.compile(r"(^  policy .*?); hint heuristics .*$", re.M)


def clean(kind, text):
    text = text.replace(ROOT + "/", "$ROOT/")
    if kind == "report":
        text = WALL_TIME.sub("", text)
        text = POLICY_TIMES.sub(r"\1", text)
    if kind == "compare":
        lines = []
        for line in text.split("\n"):
            if line.startswith("|"):
                cells = line.split("|")
                line = "|".join(cells[:-2] + [""])   # drop the last column ("time to place")
            lines.append(line)
        text = "\n".join(lines)
    return text


def run(item):
    kind, args = item
    env = dict(os.environ)
    if kind == "policy":
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "replay.policy")
            p = subprocess.run([BINARY] + args + [out], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            data = open(out, "rb").read() if os.path.exists(out) else b""
        body = "sha256 %s, %d bytes\n" % (hashlib.sha256(data).hexdigest(), len(data))
        return "## moegc %s\nstatus %d\n%s" % (" ".join(args + ["FILE"]), p.returncode, body)
    p = subprocess.run([BINARY] + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    stderr = clean("text", p.stderr.decode("utf-8", "replace"))
    if kind == "digest":
        body = "sha256 %s, %d bytes\n" % (hashlib.sha256(p.stdout).hexdigest(), len(p.stdout))
    else:
        body = clean(kind, p.stdout.decode("utf-8", "replace"))
    record = "## moegc %s\nstatus %d\n%s" % (" ".join(args), p.returncode, body)
    if not record.endswith("\n"):
        record += "\n"
    if stderr:
        record += "stderr:\n" + stderr + ("" if stderr.endswith("\n") else "\n")
    return record


def sections(text):
    out, key = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("## moegc "):
            key = line
            out[key] = line
        elif key is not None:
            out[key] += line
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--record", action="store_true", help="write the outputs to expected.txt instead of comparing")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="run only the commands whose arguments contain this string")
    ap.add_argument("--print", action="store_true", help="print the outputs instead of comparing")
    a = ap.parse_args()
    if not os.access(BINARY, os.X_OK):
        sys.exit("error: %s not found: run `make build` first" % BINARY)
    items = commands(a.only)
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        records = list(pool.map(run, items))
    text = "".join(records)
    if a.print:
        sys.stdout.write(text)
        return
    if a.record:
        if a.only:
            sys.exit("error: --record writes the whole record; it cannot be combined with --only")
        tmp = RECORD + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, RECORD)
        print("recorded %d outputs in %s" % (len(records), os.path.relpath(RECORD, ROOT)))
        return
    with open(RECORD) as f:
        expected = sections(f.read())
    got = sections(text)
    differing = [k for k in got if expected.get(k) != got[k]]
    for k in differing:
        if k not in expected:
            print("new output (not in the record): %s" % k.strip())
            continue
        sys.stdout.writelines(difflib.unified_diff(expected[k].splitlines(True), got[k].splitlines(True),
                                                   "expected", "now", n=2))
    print("%d of %d outputs identical to %s" % (len(got) - len(differing), len(got), os.path.relpath(RECORD, ROOT)))
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()

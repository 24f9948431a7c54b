#!/usr/bin/env python3
"""Writes the two large .graph files the streaming front end is measured on (README, "Reading
large graphs"): a 100 MB file of comments and a graph of 2 million statements.

    python3 Tests/Benchmarks/large_graphs.py OUTDIR
    /usr/bin/time -v .build/release/moegc compile OUTDIR/comments-100mb.graph
    /usr/bin/time -v .build/release/moegc compile OUTDIR/statements-2m.graph

Standard library only; the files are deterministic."""
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)

# 100 MB: comments before the header, between statements and at the end, of varying lengths.
with open(os.path.join(out, "comments-100mb.graph"), "w") as f:
    size, i = 0, 0
    target = 100 * 1000 * 1000
    header_done = False
    f.write("# a graph that is almost only comments\n")
    while size < target:
        line = "# comment line %d: %s\n" % (i, "x" * (i % 97))
        if header_done:
            line = "  " + line
        f.write(line)
        size += len(line)
        i += 1
        if not header_done and size > target // 3:
            f.write("graph comments (%x: f32[4]) -> (%y) {\n  %h = relu(%x)\n")
            header_done = True
    f.write("  %y = neg(%h)\n# trailing\n}\n")

# 2 million statements: a chain of unary ops (each line one statement, every value used once).
with open(os.path.join(out, "statements-2m.graph"), "w") as f:
    n = 2_000_000
    f.write("graph chain [n = 8] (%v0: f32[n]) -> (%v%d) {\n" % n)
    ops = ["relu", "neg", "tanh", "sigmoid"]
    for i in range(1, n + 1):
        f.write("  %%v%d = %s(%%v%d)\n" % (i, ops[i % 4], i - 1))
    f.write("}\n")

#!/usr/bin/env python3
"""Writes the ONNX backend node test cases of every op moegc claims, for ConformanceTests.swift.

The cases come from the `onnx` wheel itself (onnx.backend.test.case.node.collect_testcases: each
case is a one-node model, or its function expansion, with inputs and the outputs of the standard's
NumPy reference), so `make test` runs them without Python. Regenerate with the pinned wheel:

    python3 -m venv /tmp/onnxenv && /tmp/onnxenv/bin/pip install onnx==1.23.2
    /tmp/onnxenv/bin/python Tests/MoegcONNXTests/Conformance/generate.py

moegc compiles static shapes: a graph input that feeds an operand moegc must know when it compiles
(a shape, axes, a count, a bound: the positions in STATIC) is made an initializer holding the case's
value, as a static-shape compiler's front end freezes it; nothing else in a case is changed.

Layout: cases/<name>/model.onnx, input_<i>.pb and output_<i>.pb (TensorProto, as the backend's own
test data), and manifest.tsv: one line per case of a claimed op — name, op, status (`run` or
`skip`), rtol, atol, and for a skip the reason. A case is skipped only for a rule stated here:
a model of an opset below 13 (moegc imports opsets 13 to 28), a tensor type moegc does not compute
in, or (for a function expansion) a node of an op moegc does not claim. Zero-size tensors run.
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases

# The ops moegc imports (MoegcONNX/Import/ONNXOps*.swift); ConformanceTests checks this list
# equals ONNXImporter.supportedOps.
CLAIMED = sorted("""
Abs Add And Cast CastLike Concat Constant ConstantOfShape Cos CumSum Div Dropout Einsum Equal Erf
Exp Expand Flatten Gather GatherElements GatherND Gelu Gemm Greater GreaterOrEqual Identity IsNaN
LayerNormalization Less LessOrEqual Log LogSoftmax MatMul Max Mean Min Mul Neg Not OneHot Or Pow
RMSNormalization Range Reciprocal ReduceMax ReduceMean ReduceSum Relu Reshape ScatterElements
ScatterND Shape Sigmoid Sin Size Slice Softmax Softplus Split Sqrt Squeeze Sub Sum Tanh Tile TopK
Transpose Trilu Unsqueeze Where Xor
""".split())

# Operand positions moegc needs at compile time, by op.
STATIC = {
    "ConstantOfShape": [0], "Reshape": [1], "Expand": [1], "Slice": [1, 2, 3, 4], "Tile": [1], "Range": [0, 1, 2],
    "TopK": [1], "Split": [1], "Squeeze": [1], "Unsqueeze": [1], "ReduceSum": [1], "ReduceMean": [1],
    "ReduceMax": [1], "CumSum": [1], "OneHot": [1], "Trilu": [1], "Dropout": [1, 2],
}

# Ops moegc computes in f32 only, with the input positions that must be FLOAT.
FLOAT_ONLY = {"Pow": [0], "TopK": [0], "ReduceMax": [0], "ReduceMean": [0], "ReduceSum": [0], "MatMul": [0, 1],
              "Gemm": [0, 1], "Softmax": [0], "LogSoftmax": [0]}

# Element types moegc holds (FLOAT as f32; INT32, INT64 and BOOL as i32).
TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT32, onnx.TensorProto.INT64, onnx.TensorProto.BOOL}


def op_of(case):
    """The op a case tests: its node's, or for a function expansion the expanded op's."""
    name = case.name
    for suffix in ("_expanded_ver18", "_expanded"):
        if suffix in name:
            return None  # resolved from the unexpanded sibling below
    ops = {n.op_type for n in case.model.graph.node}
    return ops.pop() if len(ops) == 1 else None


def opset(model):
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def freeze_static_inputs(case):
    """Makes every graph input that feeds a STATIC position an initializer with the case's value."""
    g = case.model.graph
    static = {n.input[i] for n in g.node for i in STATIC.get(n.op_type, []) if i < len(n.input) and n.input[i]}
    names = [v.name for v in g.input]
    frozen = [i for i, name in enumerate(names) if name in static]
    if not frozen:
        return case.model, case.data_sets[0][0]
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs = list(case.data_sets[0][0])
    for i in frozen:
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(inputs[i]), names[i]))
    keep = [v for i, v in enumerate(model.graph.input) if i not in frozen]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model, [x for i, x in enumerate(inputs) if i not in frozen]


def skip_reason(case):
    g = case.model.graph
    if opset(case.model) < 13:
        return f"opset {opset(case.model)}, below the 13 moegc imports"
    for n in g.node:
        if n.op_type not in CLAIMED:
            return f"its expansion uses {n.op_type}, which moegc does not claim"
        if n.domain not in ("", "ai.onnx"):
            return f"domain {n.domain}"
    values = list(g.input) + list(g.output)
    for v in values:
        t = v.type.tensor_type
        if not v.type.HasField("tensor_type"):
            return f"{v.name} is not a tensor (sequence or optional)"
        if t.elem_type not in TYPES:
            return f"{v.name} is {onnx.TensorProto.DataType.Name(t.elem_type)}, a type moegc does not compute in"
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type not in TYPES:
                return f"a constant of type {onnx.TensorProto.DataType.Name(a.t.data_type)}"
    types = {v.name: v.type.tensor_type.elem_type for v in list(g.input) + list(g.output)}
    for n in g.node:
        for i in FLOAT_ONLY.get(n.op_type, []):
            t = types.get(n.input[i]) if i < len(n.input) else None
            if t is not None and t != onnx.TensorProto.FLOAT:
                return f"{n.op_type} of {onnx.TensorProto.DataType.Name(t)} (moegc computes {n.op_type} in f32)"
        if n.op_type == "Dropout" and len(n.input) > 2 and n.input[2]:
            return "training-mode Dropout (moegc imports models for inference)"
    for inputs, outputs in case.data_sets:
        for x in list(inputs) + list(outputs):
            if isinstance(x, (list, dict)) or x is None:
                return "a sequence or optional value"
            a = np.asarray(x)
            if a.dtype == np.int64 and a.size and (a.max() > 2**31 - 1 or a.min() < -2**31):
                return "INT64 values outside i32"
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "cases")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cases = [c for c in collect_testcases() if c.kind == "node"]
    ops = {c.name: op_of(c) for c in cases}
    for c in cases:
        if ops[c.name] is None:
            base = c.name.split("_expanded")[0]
            ops[c.name] = ops.get(base)
    lines = []
    for c in sorted(cases, key=lambda c: c.name):
        op = ops[c.name]
        if op not in CLAIMED:
            continue
        reason = skip_reason(c)
        rtol, atol = c.rtol, c.atol
        if reason:
            lines.append(f"{c.name}\t{op}\tskip\t{rtol}\t{atol}\t{reason}")
            continue
        d = os.path.join(out, c.name)
        os.makedirs(d)
        model, inputs = freeze_static_inputs(c)
        onnx.save(model, os.path.join(d, "model.onnx"))
        outputs = c.data_sets[0][1]
        for i, x in enumerate(inputs):
            name = model.graph.input[i].name
            with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(x), name).SerializeToString())
        for i, y in enumerate(outputs):
            name = c.model.graph.output[i].name
            with open(os.path.join(d, f"output_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(y), name).SerializeToString())
        lines.append(f"{c.name}\t{op}\trun\t{rtol}\t{atol}\t")
    with open(os.path.join(here, "manifest.tsv"), "w") as f:
        f.write(f"# onnx {onnx.__version__}: the backend node cases of the {len(CLAIMED)} claimed ops\n")
        f.write("# name\top\tstatus\trtol\tatol\treason\n")
        f.write("\n".join(lines) + "\n")
    run = sum(1 for l in lines if "\trun\t" in l)
    print(f"{len(lines)} cases of {len(CLAIMED)} ops: {run} to run, {len(lines) - run} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the malformed ONNX models of ErrorTests.swift (each must be a precise error, never a
crash). Regenerate with the pinned wheel: /tmp/onnxenv/bin/python Tests/MoegcONNXTests/BadModels/generate.py
"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))


def model(nodes, inputs, outputs, inits=(), opset=18, extra=()):
    g = helper.make_graph(nodes, "bad", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), *extra], ir_version=10)


def x(name="x", shape=(2, 3)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def save(m, name, check=True):
    data = m.SerializeToString()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return data


good = save(model([helper.make_node("Relu", ["x"], ["y"])], [x()], [x("y")]), "good.onnx")
with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
    f.write(good[: len(good) // 2])
save(model([helper.make_node("Relu", ["x"], ["y"])], [x()], [x("y")], opset=30), "opset30.onnx")
save(model([helper.make_node("Relu", ["x"], ["y"])], [x()], [x("y")], opset=12), "opset12.onnx")
save(model([helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"])], [x()], [x("b")]), "cycle.onnx")
save(model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add0")], [x()], [x("y")]), "dangling.onnx")
bad_init = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
bad_init.dims[:] = [4, 3]
save(model([helper.make_node("Add", ["x", "w"], ["y"])], [x()], [x("y")], inits=[bad_init]), "initializer_size.onnx")
save(model([helper.make_node("Mod", ["x", "x"], ["a"], name="m0"), helper.make_node("Relu", ["a"], ["b"]),
            helper.make_node("Frobnicate", ["b"], ["y"], name="f0", domain="org.example")], [x()], [x("y")],
           extra=[helper.make_opsetid("org.example", 1)]), "unknown_ops.onnx")
save(model([helper.make_node("Relu", ["x"], ["y"])], [x(shape=("batch", 3))], [x("y", ("batch", 3))]), "symbolic.onnx")
ext = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
ext.ClearField("raw_data")
ext.data_location = TensorProto.EXTERNAL
e = ext.external_data.add()
e.key, e.value = "location", "../../secret.bin"
save(model([helper.make_node("Add", ["x", "w"], ["y"])], [x()], [x("y")], inits=[ext]), "external_outside.onnx")
# Sub-graphs nested 100 deep (If nodes inside If nodes): refused before protobuf-c recurses. Written
# by hand in the wire format (the protobuf library itself refuses to build it).
def field(number, payload):
    tag, out = (number << 3) | 2, bytearray()
    for v in (tag, len(payload)):
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                break
    return bytes(out) + payload


inner = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "leaf", [], [x("y")]).SerializeToString()
for i in range(100):
    attribute = field(1, b"then_branch") + bytes([0x20, 5]) + field(6, inner)     # name, type = GRAPH, g
    node = field(1, b"c") + field(2, b"y") + field(4, b"If") + field(5, attribute)  # input, output, op_type, attribute
    inner = field(1, node) + field(2, f"g{i}".encode())                             # node, name
head = model([helper.make_node("Relu", ["x"], ["y"])], [x()], [x("y")])
head.ClearField("graph")
with open(os.path.join(HERE, "deep.onnx"), "wb") as f:
    f.write(head.SerializeToString() + field(7, inner))

#!/usr/bin/env python3
"""Builds the ONNX fixtures of FixtureTests.swift from library model definitions, exports them,
and records onnxruntime's outputs for seeded inputs. `make test` needs none of this: the small
.onnx files and the recorded tensors are committed. Regenerate with:

    python3 -m venv /tmp/onnxenv
    /tmp/onnxenv/bin/pip install onnx==1.23.2 onnxruntime==1.31.1 transformers==5.23.0 onnxscript \
        torch==2.13.0 --index-url-for-torch-cpu   # or the CPU wheel of torch 2.13 from its file
    /tmp/onnxenv/bin/python Tests/MoegcONNXTests/Fixtures/generate.py

Each fixture is a folder: model.onnx, and per input set (`random`: N(0, 1) activations or uniform
token ids; `skewed`: every token the same, so the router sends all of them to the same top-k
experts and the other experts receive no token) input_<i>.pb and output_<i>.pb (TensorProto),
the outputs onnxruntime 1.31.1 computed on the CPU (one thread, all graph optimisations off so it
runs the exported graph as written). Every random draw comes from a fixed seed.

Fixtures:
  mixtral_moe   transformers' MixtralSparseMoeBlock (8 experts, top-2, SwiGLU experts, renormalised gates)
  qwen2_moe     transformers' Qwen2MoeSparseMoeBlock (a shared expert with a sigmoid gate)
  mixtral_lm    a 2-layer MixtralForCausalLM (logits of 8 tokens)
  gpt2_lm       a 2-layer GPT2LMHeadModel (logits of 8 tokens)
  ms_moe        one com.microsoft.MoE node built with the onnx helper API (4 experts, top-2, SiLU)
"""
import os
import shutil
import sys
import traceback

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENS = 8
HIDDEN = 32


def save_case(folder, model_path, feeds, label):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    outs = sess.run(None, {n: feeds[n] for n in names})
    d = os.path.join(folder, label)
    os.makedirs(d, exist_ok=True)
    for i, n in enumerate(names):
        with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(feeds[n], n).SerializeToString())
    for i, (o, y) in enumerate(zip(sess.get_outputs(), outs)):
        with open(os.path.join(d, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(y), o.name).SerializeToString())


def export(module, args, names, path, outputs):
    import torch
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=names, output_names=outputs, opset_version=18, dynamo=True,
                          external_data=False)
    m = onnx.load(path)
    onnx.save(m, path)  # one self-contained file


def moe_block(name, make):
    import torch
    folder = os.path.join(HERE, name)
    torch.manual_seed(0)
    block = make()
    # A bare block is not initialised by transformers (its stacked expert weights are torch.empty):
    # every parameter drawn here, from the seed.
    with torch.no_grad():
        for p in block.parameters():
            p.normal_(0.0, 0.2)

    class Wrap(torch.nn.Module):
        def __init__(self, b):
            super().__init__()
            self.b = b

        def forward(self, x):
            y = self.b(x)
            return y[0] if isinstance(y, tuple) else y

    w = Wrap(block)
    x = torch.randn(1, TOKENS, HIDDEN)
    path = os.path.join(folder, "model.onnx")
    export(w, (x,), ["x"], path, ["y"])
    rng = np.random.default_rng(1)
    save_case(folder, path, {"x": rng.standard_normal((1, TOKENS, HIDDEN)).astype(np.float32)}, "random")
    one = rng.standard_normal((1, 1, HIDDEN)).astype(np.float32)
    save_case(folder, path, {"x": np.repeat(one, TOKENS, axis=1)}, "skewed")


def mixtral_moe():
    from transformers import MixtralConfig
    from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock
    c = MixtralConfig(hidden_size=HIDDEN, intermediate_size=64, num_local_experts=8, num_experts_per_tok=2,
                      experts_implementation="batched_mm")
    moe_block("mixtral_moe", lambda: MixtralSparseMoeBlock(c))


def qwen2_moe():
    from transformers import Qwen2MoeConfig
    from transformers.models.qwen2_moe.modeling_qwen2_moe import Qwen2MoeSparseMoeBlock
    c = Qwen2MoeConfig(hidden_size=HIDDEN, moe_intermediate_size=48, shared_expert_intermediate_size=64,
                       num_experts=8, num_experts_per_tok=2, norm_topk_prob=False,
                       experts_implementation="batched_mm")
    moe_block("qwen2_moe", lambda: Qwen2MoeSparseMoeBlock(c))


def causal_lm(name, make, vocab):
    import torch
    folder = os.path.join(HERE, name)
    torch.manual_seed(0)
    model = make()

    class Logits(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, ids):
            return self.m(input_ids=ids, use_cache=False).logits

    ids = torch.randint(0, vocab, (1, TOKENS))
    path = os.path.join(folder, "model.onnx")
    export(Logits(model), (ids,), ["input_ids"], path, ["logits"])
    rng = np.random.default_rng(2)
    save_case(folder, path, {"input_ids": rng.integers(0, vocab, (1, TOKENS)).astype(np.int64)}, "random")
    save_case(folder, path, {"input_ids": np.full((1, TOKENS), 7, dtype=np.int64)}, "skewed")


def mixtral_lm():
    from transformers import MixtralConfig, MixtralForCausalLM
    c = MixtralConfig(vocab_size=96, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, max_position_embeddings=64,
                      experts_implementation="batched_mm")
    causal_lm("mixtral_lm", lambda: MixtralForCausalLM(c), 96)


def gpt2_lm():
    from transformers import GPT2Config, GPT2LMHeadModel
    c = GPT2Config(vocab_size=96, n_positions=64, n_embd=HIDDEN, n_layer=2, n_head=4)
    causal_lm("gpt2_lm", lambda: GPT2LMHeadModel(c), 96)


def ms_moe():
    """com.microsoft.MoE: input [tokens, hidden], router_probs [tokens, experts] (softmax taken inside),
    fc1 [E, inter, hidden], fc2 [E, hidden, inter] (y = act(x·fc1ᵀ)·fc2ᵀ, no biases; onnxruntime 1.31
    reads these layouts, checked against a NumPy evaluation), k = 2, SiLU, renormalised top-k."""
    folder = os.path.join(HERE, "ms_moe")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(3)
    experts, inter = 4, 48
    fc1 = (rng.standard_normal((experts, inter, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    fc2 = (rng.standard_normal((experts, HIDDEN, inter)) / np.sqrt(inter)).astype(np.float32)
    gate = (rng.standard_normal((HIDDEN, experts)) / np.sqrt(HIDDEN)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "gate"], ["router"]),
        helper.make_node("MoE", ["x", "router", "fc1", "", "fc2"], ["y"], domain="com.microsoft", k=2,
                         activation_type="silu", normalize_routing_weights=1),
    ]
    g = helper.make_graph(nodes, "ms_moe", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [TOKENS, HIDDEN])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [TOKENS, HIDDEN])],
                          [numpy_helper.from_array(gate, "gate"), numpy_helper.from_array(fc1, "fc1"),
                           numpy_helper.from_array(fc2, "fc2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)], ir_version=10)
    path = os.path.join(folder, "model.onnx")
    onnx.save(m, path)
    save_case(folder, path, {"x": rng.standard_normal((TOKENS, HIDDEN)).astype(np.float32)}, "random")
    one = rng.standard_normal((1, HIDDEN)).astype(np.float32)
    save_case(folder, path, {"x": np.repeat(one, TOKENS, axis=0)}, "skewed")


def main():
    only = sys.argv[1:]
    for f in [mixtral_moe, qwen2_moe, mixtral_lm, gpt2_lm, ms_moe]:
        if only and f.__name__ not in only:
            continue
        shutil.rmtree(os.path.join(HERE, f.__name__), ignore_errors=True)
        os.makedirs(os.path.join(HERE, f.__name__))
        try:
            f()
            print(f"{f.__name__}: ok", file=sys.stderr)
        except Exception:
            traceback.print_exc()
            print(f"{f.__name__}: FAILED", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Independent reference for MoELossTests.swift: the noisy top-k gate and the importance and load
losses of Shazeer et al. (2017) for one fixed small case, written from the paper's formulas with the
Python standard library only. Run it to regenerate moe_losses.expected (committed beside it):

    python3 Tests/MoegcRuntimeTests/Reference/moe_losses.py > Tests/MoegcRuntimeTests/Reference/moe_losses.expected
"""
import math

k, w_importance, w_load = 2, 0.1, 0.1
clean = [[0.5, -0.2, 0.1, 0.9], [-1.0, 0.3, 0.8, 0.0], [0.2, 0.2, -0.5, 0.4]]      # x . W_g
raw = [[0.0, 1.0, -1.0, 0.5], [0.3, -0.3, 0.0, 2.0], [-2.0, 0.1, 0.4, 0.0]]        # x . W_noise
eps = [[0.3, -1.2, 0.8, 0.1], [1.5, 0.2, -0.4, -0.9], [0.0, 0.7, 1.1, -0.3]]       # N(0, 1) draws

def softplus(z): return math.log1p(math.exp(z)) if z < 30 else z
def phi(z): return 0.5 * (1 + math.erf(z / math.sqrt(2)))
def cv2(v):
    m = sum(v) / len(v)
    var = sum((x - m) ** 2 for x in v) / len(v)
    return var / (m * m + 1e-10)

n = len(clean[0])
importance, load, gates_out = [0.0] * n, [0.0] * n, []
for c, r, e in zip(clean, raw, eps):
    std = [softplus(z) + 0.01 for z in r]
    h = [c[i] + e[i] * std[i] for i in range(n)]
    kept = sorted(range(n), key=lambda i: (-h[i], i))[:k]
    m = max(h[i] for i in kept)
    ex = [math.exp(h[i] - m) for i in kept]
    s = sum(ex)
    for i, v in zip(kept, ex):
        importance[i] += v / s
    gates_out.append([(i, v / s) for i, v in zip(kept, ex)])
    for i in range(n):
        kth_excluding = sorted((h[j] for j in range(n) if j != i), reverse=True)[k - 1]
        load[i] += phi((c[i] - kth_excluding) / std[i])

print("experts", " ".join(str(i) for row in gates_out for i, _ in row))
print("gates", " ".join("%.9g" % g for row in gates_out for _, g in row))
print("importance", " ".join("%.9g" % v for v in importance))
print("load", " ".join("%.9g" % v for v in load))
print("l_importance %.9g" % (w_importance * cv2(importance)))
print("l_load %.9g" % (w_load * cv2(load)))

#!/usr/bin/env bash
# The graph sets the placement policy trains and is evaluated on (issue: transfer to unseen graphs).
# Run from the repository root after building: `bash graphs/make-sets.sh` (rewrites both folders).
#
# train/: five families at training sizes.
# eval/:  never trained on — the Transformer-XL family is held out entirely, and the other families
#         appear at sizes the training set does not have (wider, longer, more experts, more ops).
set -euo pipefail
moegc=${MOEGC:-.build/release/moegc}
rm -f graphs/train/*.graph graphs/eval/*.graph

# Training set: 40 graphs.
$moegc gen moe-lm   --seed 0   --count 12 --out-dir graphs/train
$moegc gen switch   --seed 0   --count 8  --out-dir graphs/train
$moegc gen lstm-lm  --seed 0   --count 6  --out-dir graphs/train
$moegc gen gnmt     --seed 0   --count 6  --out-dir graphs/train
$moegc gen opaque   --seed 0   --count 8  --out-dir graphs/train

# Evaluation set: 20 graphs.
$moegc gen transformer-xl --seed 100 --count 6 --out-dir graphs/eval
$moegc gen moe-lm   --seed 100 --count 4 --out-dir graphs/eval --batch 48 --width 768
$moegc gen switch   --seed 100 --count 4 --out-dir graphs/eval --layers 8 --experts 64
$moegc gen gnmt     --seed 100 --count 3 --out-dir graphs/eval --layers 5
$moegc gen opaque   --seed 100 --count 3 --out-dir graphs/eval --nodes 1200

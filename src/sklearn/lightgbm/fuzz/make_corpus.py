"""Regenerates the seed corpus of lightgbm_model_fuzz from the real LightGBM 4.6 model texts in
tests/data/lightgbm (LightGBM itself cannot be installed here): each seed keeps a model's header,
its first one or two iterations of trees, the parameters that matter (boosting,
categorical_feature) and pandas_categorical, so that seeds stay small but cover binary,
multiclass, multiclassova, rf (average_output), dart, linear trees, categorical bitsets, zero as
missing and pandas categories. Seeds named bad_* are hostile variants (a cycle, a truncated
file, an absurd count) that the reader must refuse.
Run: /usr/bin/python3 src/sklearn/lightgbm/fuzz/make_corpus.py  (writes .../fuzz/corpus/)."""
import os
import re

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "..", "..", "..", "tests", "data", "lightgbm")
out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)

SEEDS = {"lgb_binary": 2, "lgb_multi": 1, "lgb_multi_ova": 1, "lgb_rf": 2, "lgb_dart": 2, "lgb_linear_tree": 2,
         "lgb_zero_missing": 2, "lgb_pandas_cat": 2, "lgb_poisson": 1, "lgb_ranker": 1}


def small(text, iterations):
    header, rest = text.split("\nTree=0\n", 1)
    per_iter = int(re.search(r"^num_tree_per_iteration=(\d+)$", header, re.M).group(1))
    header = "\n".join(l for l in header.split("\n") if not l.startswith("tree_sizes="))
    blocks = ("Tree=0\n" + rest).split("end of trees")[0].strip().split("\n\n\n")
    keep = blocks[: iterations * per_iter]
    tail = text.split("end of trees", 1)[1]
    params = [l for l in tail.split("\n") if l.startswith(("[boosting:", "[categorical_feature:"))]
    pandas = [l for l in tail.split("\n") if l.startswith("pandas_categorical:")]
    return (header + "\n" + "\n\n\n".join(keep) + "\n\n\nend of trees\n\nparameters:\n" + "\n".join(params) +
            "\nend of parameters\n\n" + "\n".join(pandas) + "\n")


for name, iterations in SEEDS.items():
    with open(os.path.join(data, name + ".txt")) as f:
        text = small(f.read(), iterations)
    with open(os.path.join(out, name[len("lgb_"):] + ".txt"), "w") as f:
        f.write(text)

base = small(open(os.path.join(data, "lgb_binary.txt")).read(), 1)
bad = {
    "bad_cycle.txt": re.sub(r"^left_child=(\S+)", r"left_child=1", re.sub(r"^right_child=\S+ (\S+)", r"right_child=-1 1",
                                                                          base, count=1, flags=re.M), count=1, flags=re.M),
    "bad_truncated.txt": base[: len(base) // 2],
    "bad_num_leaves.txt": base.replace("num_leaves=15", "num_leaves=2147483647", 1),
    "bad_feature.txt": re.sub(r"^split_feature=\S+", "split_feature=4096", base, count=1, flags=re.M),
}
for name, text in bad.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)

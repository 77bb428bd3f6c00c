"""Files in the layouts of newer numpy / scikit-learn versions (made by
newer_versions/make_newer_versions.py from locally trained models, see its docstring) must
load in inferd and predict what those versions compute (newer_versions/expected.json)."""
import json
import os
import pickletools

import pytest

from parity_util import max_rel_err, same_json_types

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "newer_versions")
with open(os.path.join(HERE, "expected.json")) as f:
    EXPECTED = json.load(f)
NAMES = sorted(EXPECTED["models"])


def test_files_really_use_the_newer_layouts():
    """Guards the generator: the committed files carry the newer names and dtypes."""
    seen = {}
    for name in NAMES:
        with open(os.path.join(HERE, "files", name), "rb") as f:
            data = f.read()
        strings = set()
        for op, arg, _ in pickletools.genops(data):
            if isinstance(arg, str):
                strings.update(arg.split(" "))
        seen[name] = strings
        assert "numpy.core.multiarray" not in strings and "numpy.core.numeric" not in strings or \
            "numpy2" not in name, name
        if "numpy2" in name:
            assert {"numpy._core.multiarray", "numpy._core.numeric"} & strings, name
        if "sklearn14" in name:
            assert "1.4.2" in strings and "1.2.1" not in strings, name
        if "sklearn13" in name:
            assert "1.3.2" in strings, name
    assert "missing_go_to_left" in seen["dtc_sklearn13_nodes64.pkl"]
    assert "V64" in seen["dtc_sklearn13_nodes64.pkl"]
    assert "V56" in seen["hgbc_sklearn14_layout_numpy2.pkl"]
    assert "HalfMultinomialLoss" in seen["gbc_sklearn14_multi.pkl"]
    assert "MultinomialDeviance" not in seen["gbc_sklearn14_multi.pkl"]
    assert "partial" in seen["hgbr_sklearn14_categorical_preprocessor.pkl"]


@pytest.mark.parametrize("name", NAMES)
def test_newer_version_file(name, tmp_path, run_inferd, record_error):
    exp = EXPECTED["models"][name]
    rows = EXPECTED[exp["rows"]]
    rows_path = tmp_path / "rows.json"
    rows_path.write_text(json.dumps(rows))
    path = os.path.join(HERE, "files", name)
    rc, out, err = run_inferd(path, str(rows_path), "predict")
    assert rc == 0, err
    if exp["kind"] == "clf":
        assert out["predictions"] == exp["predict"]
        assert same_json_types(out["predictions"], exp["predict"])
        rc, pout, err = run_inferd(path, str(rows_path), "proba")
        assert rc == 0, err
        e = max_rel_err(pout["probabilities"], exp["proba"])
    else:
        e = max_rel_err(out["predictions"], exp["predict"])
    record_error("newer-versions", e)
    assert e <= 1e-9, f"{name}: max relative error {e:.3e}"

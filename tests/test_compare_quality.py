"""scripts/compare_quality.py: recipes are compared by their mean over seeds, on one test set."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cq(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))  # it imports bench_quality's targets
    spec = importlib.util.spec_from_file_location(
        "compare_quality", ROOT / "scripts" / "compare_quality.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench(path: Path, spliced_auroc: float, fast_throw=None, parts=("a", "b")) -> Path:
    synthetic = {"auroc": 0.8, "clipping/auroc": 0.6, "morph/auroc": 0.7}
    staged = {} if fast_throw is None else {"fpr/fast_throw": fast_throw}
    served = {
        "test": {"plausible/recall": 0.6, "ece": 0.05},
        "sources": {"synthetic": synthetic, "spliced": {"plausible/auroc": spliced_auroc},
                    "hard-negatives": staged},
    }  # fmt: skip
    result = {"test_data": {"parts": list(parts)}, "runs": {"judge": {"calibrated": served}}}
    path.write_text(json.dumps(result))
    return path


def test_each_figure_is_the_mean_and_range_over_seeds(cq, tmp_path):
    a = _bench(tmp_path / "a.json", 0.70, fast_throw=0.4)
    b = _bench(tmp_path / "b.json", 0.80)  # no fast_throw clip: left out of the mean
    # The same parts merged in another order: the same test set.
    c = _bench(tmp_path / "c.json", 0.75, fast_throw=0.1, parts=("b", "a"))
    got = cq.compare({"old": [a, b], "new": [c]})
    spliced = got["recipes"]["old"]["figures"]["spliced twins AUROC (held-out videos)"]
    assert spliced == pytest.approx({"mean": 0.75, "min": 0.70, "max": 0.80, "n": 2})
    fast = got["recipes"]["old"]["figures"]["... fast_throw"]
    assert fast["n"] == 1 and fast["mean"] == pytest.approx(0.4)
    flat2d = got["recipes"]["new"]["figures"]["flat2d pair accuracy"]
    assert flat2d["mean"] is None and flat2d["n"] == 0
    text = cq.table(got)
    assert "| spliced twins AUROC (held-out videos) | 0.750 (0.700-0.800) | 0.750 |" in text
    assert "| flat2d pair accuracy | - | - |" in text
    worst = got["recipes"]["new"]["figures"]["hard-negative FPR, worst tag"]
    assert worst["mean"] == pytest.approx(0.1)  # bench_quality's targets, its with_worst
    assert "old (2 seeds)" in text and "new (1 seed)" in text


def test_results_on_other_test_sets_or_without_a_served_judge_are_refused(cq, tmp_path):
    a = _bench(tmp_path / "a.json", 0.7)
    b = _bench(tmp_path / "b.json", 0.7, parts=("a",))
    with pytest.raises(ValueError, match="different test sets"):
        cq.compare({"old": [a], "new": [b]})
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"runs": {"judge": {"test": {}}}}))
    with pytest.raises(ValueError, match="bare.json: no calibrated"):
        cq.compare({"old": [bare]})
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match="broken.json: not a readable"):
        cq.compare({"old": [broken]})

"""The input spec: defaults, the stored form, and loading judges stored before `fit` existed."""

from __future__ import annotations

import pytest

from judge.data.input_spec import MEAN, STD, InputSpec
from judge.inference.loading import JudgeLoadError, input_spec


def test_round_trip_through_plain_data():
    spec = InputSpec(num_frames=8, stride=2, fps=15, size=32, fit="pad")
    assert InputSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict() == {
        "num_frames": 8,
        "stride": 2,
        "fps": 15,
        "size": 32,
        "mean": list(MEAN),
        "std": list(STD),
        "fit": "pad",
    }


def test_an_old_description_gets_the_defaults_and_keeps_its_other_keys():
    # What judge-train stored before `fit`: the window config (with its `mode`), size, stats.
    old = {"num_frames": 8, "stride": 1, "fps": None, "mode": "random", "size": 32}
    desc = input_spec(old)
    assert desc["fit"] == "crop"  # every judge so far was trained on centre crops
    assert desc["mean"] == [float(m) for m in MEAN] and desc["std"] == [float(s) for s in STD]
    assert desc["mode"] == "random" and desc["fps"] is None
    assert input_spec(None) == InputSpec().to_dict()
    assert input_spec({"num_frames": "16", "size": 64.0})["num_frames"] == 16


@pytest.mark.parametrize(
    "bad", [{"fit": "stretch"}, {"num_frames": 0}, {"mean": [0.5, 0.5]}, {"fps": -1}]
)
def test_a_bad_description_is_a_load_error(bad):
    with pytest.raises(JudgeLoadError, match="bad input description"):
        input_spec(bad)

"""Loading a judge never runs code from a file: crafted pickles are refused before they run."""

from __future__ import annotations

import pickle

import pytest
import torch
from scoring_fixtures import make_checkpoint

from judge.cli.score import main as score_main
from judge.inference.export import export_judge
from judge.inference.judge import Judge
from judge.inference.loading import JudgeLoadError


class Payload:
    """Unpickling this calls exec(code): a real attack would run anything here."""

    def __init__(self, marker):
        self.code = f"open({str(marker)!r}, 'w').close()"

    def __reduce__(self):
        return (exec, (self.code,))


def malicious_checkpoint(path, marker):
    """A judge checkpoint whose metadata hides the payload."""
    ckpt = torch.load(make_checkpoint(path), weights_only=True)
    ckpt["judge"]["note"] = Payload(marker)
    torch.save(ckpt, path)
    return path


def test_the_payload_is_live(tmp_path):
    # Proof that the files below are dangerous: plain unpickling runs the code.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_malicious_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = malicious_checkpoint(tmp_path / "evil.ckpt", marker)
    with pytest.raises(JudgeLoadError, match=r"refusing to unpickle .*evil\.ckpt"):
        Judge.load(path, device="cpu")
    with pytest.raises(JudgeLoadError, match="refusing to unpickle"):
        export_judge(path, tmp_path / "out")
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_legacy_pickle_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"judge": Payload(marker)}, protocol=2))
    with pytest.raises(JudgeLoadError, match="refusing to unpickle"):
        Judge.load(path, device="cpu")
    assert not marker.exists()


def test_cli_reports_the_refusal(tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = malicious_checkpoint(tmp_path / "evil.ckpt", marker)
    code = score_main(["--judge", str(path), "--out", str(tmp_path / "s.jsonl"), str(tmp_path)])
    assert code == 1
    assert f"refusing to unpickle {path}" in capsys.readouterr().err
    assert not marker.exists()


def test_a_config_cannot_ask_for_pretrained_weights(tmp_path):
    # A crafted description could name a file or a download; loading ignores `pretrained`.
    ckpt = torch.load(make_checkpoint(tmp_path / "a.ckpt"), weights_only=True)
    ckpt["judge"]["model"]["pretrained"] = str(tmp_path / "elsewhere.pt")
    torch.save(ckpt, tmp_path / "b.ckpt")
    judge = Judge.load(tmp_path / "b.ckpt", device="cpu")
    assert judge.labels

"""Log an evaluation (``judge.report.build.evaluate_manifest``'s result) to a W&B run.

Metrics go under ``eval/`` (the judge) and ``eval_baseline/`` (the baseline), the judge's
per-source figures under ``eval/sources/<family>/``, also into the run's summary; the summary
table as a ``wandb.Table``; plots and contact sheets as images; the clips of the worst false
positives and negatives as videos (the files themselves, so no re-encoding and no moviepy).
"""

from __future__ import annotations

import math
import sys

from judge.evaluation.scoring import JUDGE
from judge.report.tables import summary_table

# The containers wandb.Video takes from a path as they are; other clips show as contact sheets.
WANDB_VIDEO = (".mp4", ".webm", ".ogg", ".gif")


def active_run():
    """The active W&B run, or None; never imports wandb when nothing has."""
    wandb = sys.modules.get("wandb")
    return getattr(wandb, "run", None) if wandb is not None else None


def wandb_payload(result: dict) -> dict:
    """The ``run.log`` dictionary for ``result`` (needs wandb installed)."""
    import wandb

    payload: dict = {}
    for name, metrics in result["columns"].items():
        prefix = "eval" if name == JUDGE else "eval_baseline"
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                payload[f"{prefix}/{key}"] = float(value)
    for family, metrics in (result.get("sources") or {}).get(JUDGE, {}).items():
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                payload[f"eval/sources/{family}/{key}"] = float(value)
    header, rows = summary_table(result["columns"])
    payload["eval/summary"] = wandb.Table(columns=header, data=rows)
    for name, path in result["files"].items():
        if str(path).endswith(".png"):
            payload[f"eval/images/{name}"] = wandb.Image(str(path))
    for sheet in result.get("sheets", []):
        if sheet.clip is not None and str(sheet.clip).lower().endswith(WANDB_VIDEO):
            fmt = str(sheet.clip).rsplit(".", 1)[1].lower()
            payload[f"eval/videos/{sheet.name}"] = wandb.Video(
                str(sheet.clip), caption=sheet.caption, format=fmt
            )
    return payload


def log_to_wandb(result: dict, run=None) -> bool:
    """Log ``result`` to ``run`` (default: the active run). Returns False when there is none."""
    run = run if run is not None else active_run()
    if run is None:
        return False
    payload = wandb_payload(result)
    run.log(payload)
    run.summary.update({k: v for k, v in payload.items() if isinstance(v, float)})
    return True

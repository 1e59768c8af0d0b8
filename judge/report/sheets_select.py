"""Which clips the report shows: the judge's worst mistakes and a few reranked groups.

- worst false positives: clean clips with the highest artifact score;
- worst false negatives: artifact clips with the lowest artifact score;
- reranked groups: groups whose winner is an artifact clip first (the judge's visible
  failures), then the others by key.

Each becomes a contact sheet (``judge.report.sheets``); an unreadable clip is noted in the
caption and skipped, never the end of the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from judge.evaluation.clip_metrics import Predictions, Truth
from judge.evaluation.reranking import rank_groups, ranked_rows
from judge.io.video import VideoReadError
from judge.report.sheets import clip_sheet, group_sheet


@dataclass
class Sheet:
    """One contact sheet: ``kind`` is "false positive", "false negative" or "group"."""

    name: str
    kind: str
    path: Path
    caption: str
    clip: str | None = None  # the video shown, for sheets of one clip


def worst_sheets(
    truth: Truth, pred: Predictions, files: list[str], folder: Path, count: int
) -> list[Sheet]:
    """Contact sheets of the ``count`` worst false positives and false negatives.

    ``files``: (N,) each row's resolved video path.
    """
    sheets = []
    clean = np.flatnonzero(pred.ok & (truth.plausible == 1))
    bad = np.flatnonzero(pred.ok & (truth.plausible == 0))
    fps = clean[np.argsort(-pred.artifact[clean], kind="stable")][:count]
    fns = bad[np.argsort(pred.artifact[bad], kind="stable")][:count]
    for kind, picked in (("false positive", fps), ("false negative", fns)):
        for n, i in enumerate(picked):
            sheet = _clip_sheet(truth, pred, files, folder, int(i), kind, n)
            if sheet is not None:
                sheets.append(sheet)
    return sheets


def _clip_sheet(
    truth: Truth, pred: Predictions, files: list[str], folder: Path, i: int, kind: str, n: int
) -> Sheet | None:
    labels = truth.labels
    if kind == "false negative" and truth.onset_label[i] in labels:
        j = labels.index(truth.onset_label[i])  # where the judge looked for the real artifact
    else:
        j = int(np.nanargmax(pred.scores[i]))
    center = int(pred.onset[i, j]) if pred.onset[i, j] >= 0 else 0
    true_onset = int(truth.onset[i]) if truth.onset[i] >= 0 else None
    what = ", ".join(truth.tags[i]) or "no tag"
    if truth.plausible[i] == 0:
        what = f"artifact: {truth.onset_label[i] or '?'}" + (
            f" at frame {true_onset}" if true_onset is not None else ""
        )
    # Two lines, so that a long path does not push the figures out of the sheet's title.
    caption = (
        f"{kind}: {truth.paths[i]} ({what})\nP(artifact) {pred.artifact[i]:.3f}; "
        f"{labels[j]} {pred.scores[i, j]:.3f}, predicted onset frame {center}"
    )
    name = f"{kind.replace(' ', '_')}_{n}"
    try:
        path = clip_sheet(
            files[i],
            folder / f"{name}.png",
            center=center,
            curve=pred.curves[i] if pred.curves else None,
            true_onset=true_onset,
            pred_onset=center,
            title=caption,
        )
    except VideoReadError:
        return None
    return Sheet(name, kind, path, caption, clip=files[i])


def group_sheets(
    truth: Truth, pred: Predictions, files: list[str], folder: Path, count: int
) -> list[Sheet]:
    """Contact sheets of ``count`` reranked groups: every candidate in rank order, with its
    plausibility, its true label and whether the judge flags it."""
    ranking = rank_groups(truth, pred)
    order = [g for g in ranking.ranked if len(ranking.ranked[g]) >= 2]
    # Failures first: a report that hides them would not earn trust.
    order.sort(key=lambda g: (truth.plausible[ranked_rows(ranking, g)[0]] == 1, g))
    flagged = pred.flagged()
    sheets = []
    for n, group in enumerate(order[:count]):
        members = ranked_rows(ranking, group)
        candidates = []
        for rank, i in enumerate(members, 1):
            kind = truth.onset_label[i] or "artifact"
            truth_text = "clean" if truth.plausible[i] == 1 else kind
            j = int(np.nanargmax(pred.scores[i]))
            candidates.append(
                {
                    "path": files[i],
                    "caption": f"#{rank} plausibility {1 - pred.artifact[i]:.3f}\n"
                    f"truth: {truth_text}\nworst: {truth.labels[j]} {pred.scores[i, j]:.2f}",
                    "flagged": bool(flagged[i]),
                }
            )
        winner = "clean" if truth.plausible[members[0]] == 1 else "an artifact clip"
        caption = f"group {group}: {len(members)} candidates; the judge's pick is {winner}"
        path = group_sheet(candidates, folder / f"group_{n}.png", title=caption)
        sheets.append(Sheet(f"group_{n}", "group", path, caption))
    return sheets

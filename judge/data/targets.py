"""Labels of a window, recomputed from the clip's events for the frames the window samples.

An event [frame, end] is in a window when the window straddles its onset (a frame before it
and one at or after it: the change itself is seen), or, for lasting events (end > frame or
null), when a sampled frame falls inside it. So a window that ends before an onset is
plausible, and one that starts after a one-frame teleport (the object already at its new
place) is not labelled teleport.

The window's plausible target follows the clip rule of `judge.targets_rule` (the one rule
evaluation and calibration use) for the frames the window shows: a window showing an event is
not plausible even when the row's other labels are unknown; a window that shows none is
plausible only when the row says what all of the clip holds.
"""

from __future__ import annotations

import numpy as np

from judge.labels import PLAUSIBLE
from judge.targets_rule import plausible_target


def event_in_window(event: dict, idx: np.ndarray, num_frames: int) -> bool:
    """Whether the window with sorted source indices `idx` shows this event."""
    onset = int(event["frame"])
    end = event.get("end")
    end = num_frames - 1 if end is None else int(end)
    if idx[0] < onset <= idx[-1]:
        return True
    lasting = end > onset
    return bool(lasting and ((idx >= onset) & (idx <= end)).any())


def window_targets(
    row: dict, idx: np.ndarray, num_frames: int, label_names: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Targets of one window.

    Returns:
        labels float32 `(L,)` and label_mask bool `(L,)` over `label_names`;
        plausible float32 `()` and plausible_mask bool `()`;
        onset float32 `(T,)` (1 at the first window frame showing an artifact) and
        onset_mask bool `()` (False where the onset is unknown).
    """
    T = len(idx)
    labels = row.get("labels", {})
    events = row.get("events") or []
    seen = [e for e in events if event_in_window(e, idx, num_frames)]
    whole = idx[0] == 0 and idx[-1] >= num_frames - 1  # the window covers the full clip
    out_l = np.zeros(len(label_names), np.float32)
    mask_l = np.zeros(len(label_names), bool)
    for k, name in enumerate(label_names):
        if name not in labels:
            continue
        if labels[name] and not any(e["type"] == name for e in events):
            # Positive without a frame: only a window over the whole clip surely shows it.
            out_l[k], mask_l[k] = 1.0, bool(whole)
            continue
        out_l[k] = float(any(e["type"] == name for e in seen))
        mask_l[k] = True

    plausible, p_mask = 0.0, False
    if PLAUSIBLE in labels:
        if labels[PLAUSIBLE] or events:
            plausible, p_mask = float(not seen), True
        else:
            plausible, p_mask = 0.0, bool(whole)
    elif label_names and mask_l.all():
        plausible, p_mask = float(not out_l.any() and not seen), True
    elif seen:
        # Other labels unknown, but the window shows an artifact: not plausible (the clip rule
        # of judge.targets_rule, applied to the frames the window shows).
        plausible, p_mask = 0.0, True
    elif whole and plausible_target(labels, label_names, events) == 0:
        plausible, p_mask = 0.0, True  # an unlocated artifact, and the window is the whole clip

    onset = np.zeros(T, np.float32)
    typed = {e["type"] for e in events}
    unlocalised = (labels.get(PLAUSIBLE) == 0 and not events) or any(
        v and k != PLAUSIBLE and k not in typed for k, v in labels.items()
    )
    onset_mask = p_mask and not unlocalised
    if seen:
        first = min(int(e["frame"]) for e in seen)
        onset[int(np.searchsorted(idx, first))] = 1.0  # first sampled frame at or after it
    return {
        "labels": out_l,
        "label_mask": mask_l,
        "plausible": np.float32(plausible),
        "plausible_mask": np.bool_(p_mask),
        "onset": onset,
        "onset_mask": np.bool_(onset_mask),
    }

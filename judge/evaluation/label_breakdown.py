"""Why a label is weak: its AUROC broken down by how each positive clip was made.

Each artifact clip of a synthetic manifest records how it was injected (`params`, `events`);
splitting one label's positives by those facts (clipping's partner, morph's mode, the object's
size, the onset's place in the clip) and scoring each subgroup against the same clean clips
shows whether a label is weak everywhere or only for one kind of injection. Each subgroup also
gets the share of its clips the judge flagged (the records' `flagged`, its decision at the
stored thresholds): AUROC says how well the label ranks them, the share how many are caught.

    rows, records = manifest rows and their score records, aligned (None: not scored)
    table = label_breakdown(rows, records, "clipping")   # {"partner=object": {...}, ...}
"""

from __future__ import annotations

import numpy as np

from judge.metrics import auroc

# Object box area as a share of the frame: below SMALL is a few dozen pixels at 64x64.
SMALL, LARGE = 0.02, 0.05


def facts(row: dict) -> list[str]:
    """The `name=value` facts of an artifact row that its breakdown groups by."""
    ev = row["events"][0]
    params = row.get("params") or {}
    out = []
    if ev["type"] == "clipping":
        # Manifests before the partner kind was recorded: geom 0 is the floor.
        partner = params.get("partner") or ("floor" if params.get("partner_geom") == 0 else "?")
        out.append(f"partner={partner}")
    if "mode" in params:
        out.append(f"mode={params['mode']}")
    x0, y0, x1, y1 = ev["bbox"]
    area = max(0, x1 - x0) * max(0, y1 - y0) / float(row["width"] * row["height"])
    out.append("size=" + ("small" if area < SMALL else "medium" if area < LARGE else "large"))
    third = ev["frame"] * 3 // max(1, row["num_frames"])
    out.append("onset=" + ("early", "middle", "late")[min(third, 2)])
    return out


def _scored(rows: list[dict], records: list[dict | None]) -> list[tuple[dict, dict]]:
    """(row, record) pairs of the rows that were scored without error."""
    return [(r, s) for r, s in zip(rows, records, strict=True) if s and s["status"] == "ok"]


def _separation(negatives: list[float], positives: list[float]) -> float:
    """AUROC of positives over negatives; NaN when either side is empty (`judge.metrics`)."""
    y = np.r_[np.zeros(len(negatives)), np.ones(len(positives))]
    return auroc(y, np.r_[negatives, positives])


def label_breakdown(
    rows: list[dict], records: list[dict | None], label: str
) -> dict[str, dict[str, float]]:
    """AUROC of `label`'s score, for all its positives and for each fact's subgroup.

    Negatives are the scored clean clips (`variant == "clean"`) of the same rows; a subgroup's
    entry is `{"n": positives, "auroc": value, "flagged": share}`: AUROC NaN when there are no
    negatives, `flagged` the share of the subgroup's records with `flagged` true, NaN when
    none of them carries the decision (records from before it existed).
    """
    scored = _scored(rows, records)
    negatives = [s["scores"][label] for r, s in scored if r.get("variant") == "clean"]
    groups: dict[str, list[float]] = {}
    decisions: dict[str, list[bool]] = {}
    for r, s in scored:
        if (r.get("labels") or {}).get(label) == 1 and r.get("events"):
            for key in ["all", *facts(r)]:
                groups.setdefault(key, []).append(s["scores"][label])
                if s.get("flagged") is not None:
                    decisions.setdefault(key, []).append(bool(s["flagged"]))
    return {
        key: {
            "n": len(groups[key]),
            "auroc": _separation(negatives, groups[key]),
            "flagged": float(np.mean(decisions[key])) if key in decisions else float("nan"),
        }
        for key in sorted(groups, key=lambda k: (k != "all", k))
    }


def label_confusion(
    rows: list[dict], records: list[dict | None], label: str
) -> dict[str, dict[str, float]]:
    """AUROC of `label`'s score, its positives against each other variant's clips in turn.

    A label can find its artifact against clean clips and still be weak overall because it
    fires on other kinds (morph on teleport, clipping on vanish): this says which. Returns
    `{variant: {"n": negatives, "auroc": value}}`, clean first, for variants other than `label`.
    """
    scored = _scored(rows, records)
    pos = [s["scores"][label] for r, s in scored if (r.get("labels") or {}).get(label)]
    by_variant: dict[str, list[float]] = {}
    for r, s in scored:
        variant = r.get("variant")
        if variant and variant != label and not (r.get("labels") or {}).get(label):
            by_variant.setdefault(variant, []).append(s["scores"][label])
    return {
        variant: {"n": len(by_variant[variant]), "auroc": _separation(by_variant[variant], pos)}
        for variant in sorted(by_variant, key=lambda v: (v != "clean", v))
    }


def worst_misses(
    rows: list[dict], records: list[dict | None], label: str, n: int
) -> list[tuple[dict, dict, float]]:
    """The `n` positives of `label` the judge scored lowest, each with its clean twin.

    Returns `(artifact row, clean row, score)` triples, lowest score first; positives without a
    clean twin in `rows` are left out.
    """
    clean = {r["group"]: r for r in rows if r.get("variant") == "clean" and r.get("group")}
    found = []
    for r, s in _scored(rows, records):
        if (r.get("labels") or {}).get(label) != 1:
            continue
        if r.get("events") and r.get("group") in clean:
            found.append((r, clean[r["group"]], float(s["scores"][label])))
    return sorted(found, key=lambda t: t[2])[:n]

"""The weak-label breakdown: AUROC per injection fact, and the worst misses with their twins."""

from __future__ import annotations

import math

from judge.evaluation.label_breakdown import facts, label_breakdown, label_confusion, worst_misses


def row(group, variant, *, partner=None, frame=8, bbox=(0, 0, 4, 4), mode=None):
    r = {"group": group, "variant": variant, "width": 64, "height": 64, "num_frames": 24}
    if variant == "clean":
        return {**r, "labels": {"clipping": 0, "plausible": 1}, "events": []}
    params = {"partner": partner} if partner else {"partner_geom": 0}
    if mode:
        params["mode"] = mode
    ev = {"type": variant, "frame": frame, "bbox": list(bbox), "object": 0, "end": frame}
    return {**r, "labels": {variant: 1, "plausible": 0}, "events": [ev], "params": params}


def rec(score, label="clipping", flagged=None):
    return {"status": "ok", "scores": {label: score}, "flagged": flagged}


def test_facts_name_the_partner_size_and_onset():
    assert facts(row("a", "clipping", partner="object", frame=2, bbox=(0, 0, 40, 40))) == [
        "partner=object",
        "size=large",
        "onset=early",
    ]
    # Older manifests only have the geom id: 0 is the floor.
    assert facts(row("a", "clipping", frame=20))[0] == "partner=floor"
    assert facts(row("a", "clipping", frame=20))[-1] == "onset=late"


def test_breakdown_scores_each_group_against_the_same_clean_clips():
    rows = [row(f"c{i}", "clean") for i in range(4)]
    rows += [row("p0", "clipping", partner="floor"), row("p1", "clipping", partner="floor")]
    rows += [row("p2", "clipping", partner="object"), row("p3", "clipping", partner="object")]
    records = [rec(s) for s in (0.1, 0.2, 0.3, 0.4)] + [rec(s) for s in (0.9, 0.8, 0.15, 0.05)]
    table = label_breakdown(rows, records, "clipping")
    assert {k: table["partner=floor"][k] for k in ("n", "auroc")} == {"n": 2, "auroc": 1.0}
    assert table["partner=object"]["auroc"] == 0.125  # 1 of 8 pairs ranked right
    assert table["all"]["n"] == 4
    assert list(table)[0] == "all"
    # Records without the decision (older score files): the share is missing, not 0.
    assert math.isnan(table["all"]["flagged"])


def test_breakdown_gives_the_share_flagged_of_each_group():
    rows = [row("c", "clean"), row("s0", "clipping"), row("s1", "clipping")]
    rows += [row("l0", "clipping", bbox=(0, 0, 40, 40)), row("l1", "clipping", bbox=(0, 0, 40, 40))]
    records = [rec(0.1, flagged=True)]  # a clean clip's decision counts for no group
    records += [rec(0.2, flagged=False), rec(0.3, flagged=False)]
    records += [rec(0.9, flagged=True), rec(0.8, flagged=False)]
    table = label_breakdown(rows, records, "clipping")
    assert table["size=small"]["flagged"] == 0.0
    assert table["size=large"]["flagged"] == 0.5
    assert table["all"]["flagged"] == 0.25


def test_breakdown_without_clean_clips_is_missing_not_zero():
    table = label_breakdown([row("p", "clipping")], [rec(0.5)], "clipping")
    assert math.isnan(table["all"]["auroc"])


def test_worst_misses_come_lowest_first_with_their_clean_twin():
    rows = [row("a", "clean"), row("a", "clipping"), row("b", "clean"), row("b", "clipping")]
    rows.append(row("orphan", "clipping"))  # no clean twin: left out
    records = [rec(0.1), rec(0.7), rec(0.1), rec(0.2), rec(0.0)]
    worst = worst_misses(rows, records, "clipping", 5)
    assert [(a["group"], c["variant"], s) for a, c, s in worst] == [
        ("b", "clean", 0.2),
        ("a", "clean", 0.7),
    ]
    skipped = [None, *records[1:]]
    assert len(worst_misses(rows, skipped, "clipping", 1)) == 1


def test_confusion_scores_positives_against_each_other_variant():
    rows = [row("c", "clean"), row("c2", "clean"), row("a", "clipping"), row("b", "clipping")]
    rows.append({**row("v", "clean"), "variant": "vanish"})
    records = [rec(0.1), rec(0.2), rec(0.6), rec(0.7), rec(0.65)]
    against = label_confusion(rows, records, "clipping")
    assert list(against) == ["clean", "vanish"]
    assert against["clean"] == {"n": 2, "auroc": 1.0}
    assert against["vanish"] == {"n": 1, "auroc": 0.5}  # one positive above it, one below

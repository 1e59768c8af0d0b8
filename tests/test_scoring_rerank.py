"""Reranking logic on hand-made score records: grouping, ranking, filters, pairs, links."""

import os

import pytest

from judge.io.pathkey import path_key
from judge.rerank.grouping import (
    GroupingError,
    column_groups,
    compile_pattern,
    folder_groups,
    pattern_groups,
)
from judge.rerank.link_best import link_best, link_names, sanitise
from judge.rerank.pairs import preference_pairs
from judge.rerank.rerank import parse_weights, rank_score, rerank, worst_artifact


def rec(path, plaus, scores=None, onsets=None, status="ok"):
    if status != "ok":
        return {"path": path, "status": "error", "error": "cannot decode"}
    scores = scores or {"teleport": round(1 - plaus, 6), "vanish": 0.01}
    return {
        "path": path,
        "status": "ok",
        "error": None,
        "plausibility": plaus,
        "scores": {**scores, "plausible": plaus},
        "onsets": onsets or {k: None for k in scores},
    }


# ---------------------------------------------------------------- grouping


def test_folder_groups_named_from_common_ancestor():
    paths = ["/x/cands/p1/a.mp4", "/x/cands/p2/b.mp4", "/x/cands/p1/c.mp4"]
    assert folder_groups(paths) == ["cands/p1", "cands/p2", "cands/p1"]
    assert folder_groups(["/x/cands/a.mp4", "/x/cands/b.mp4"]) == ["cands", "cands"]
    # Relative paths resolve against the working directory, like the shell.
    assert folder_groups(["rel/a.mp4"]) == ["rel"]


def test_pattern_groups_all_fields_but_vary():
    paths = ["/v/a_cat_0.mp4", "/v/a_cat_12.mp4", "/v/dog_3.mp4"]
    # Greedy fields: an underscore inside the prompt stays in the prompt.
    assert pattern_groups(paths, "{prompt}_{seed}.mp4") == ["a_cat", "a_cat", "dog"]
    assert pattern_groups(["/v/7_a_cat.mp4"], "{seed:d}_{prompt}.mp4") == ["a_cat"]
    assert pattern_groups(["/v/p1/3.mp4"], "{prompt}/{seed:d}.mp4") == ["p1"]
    keys = pattern_groups(["/v/cat_s1_0.mp4"], "{prompt}_{style}_{seed}.mp4")
    assert keys == ["cat/s1"]
    assert pattern_groups(["/v/cat_s1_0.mp4"], "{prompt}_{style}_{seed}.mp4", vary="style") == [
        "cat/0"
    ]
    assert pattern_groups(["/v/3.mp4"], "{seed}.mp4") == ["all"]


def test_pattern_mismatch_lists_every_offender():
    paths = ["/v/cat_0.mp4", "/v/readme.txt", "/v/other.mp4"]
    with pytest.raises(GroupingError) as e:
        pattern_groups(paths, "{prompt}_{seed}.mp4")
    msg = str(e.value)
    assert "2 file name(s) do not match pattern '{prompt}_{seed}.mp4'" in msg
    assert "/v/readme.txt" in msg and "/v/other.mp4" in msg and "cat_0" not in msg
    assert pattern_groups(paths, "{prompt}_{seed}.mp4", fallback="?") == ["cat", "?", "?"]


@pytest.mark.parametrize(
    "pattern, match",
    [
        ("plain.mp4", "no {field}"),
        ("{a}_{a}.mp4", "twice"),
        ("{a}_{seed.mp4", "stray brace"),
    ],
)
def test_bad_patterns(pattern, match):
    with pytest.raises(ValueError, match=match):
        compile_pattern(pattern)


def test_vary_must_be_a_field():
    with pytest.raises(ValueError, match="--vary 'seed' is not a field"):
        pattern_groups(["/v/a_b.mp4"], "{prompt}_{take}.mp4")


def test_column_groups_and_missing_rows(tmp_path):
    a, b, c = (str(tmp_path / n) for n in ("a.mp4", "b.mp4", "c.mp4"))
    rows = {path_key(a): {"prompt": "cat"}, path_key(b): {"prompt": 7}}
    assert column_groups([a, b], rows, "prompt") == ["cat", "7"]
    rows[path_key(c)] = {"other": 1}
    with pytest.raises(GroupingError) as e:
        column_groups([a, c, str(tmp_path / "d.mp4")], rows, "prompt")
    assert "in no manifest" in str(e.value) and "d.mp4" in str(e.value)
    assert "have no 'prompt' field" in str(e.value) and "c.mp4" in str(e.value)


# ---------------------------------------------------------------- ranking


def test_ranking_order_margins_and_worst_artifact():
    records = [
        rec("g/a.mp4", 0.5, {"teleport": 0.3, "vanish": 0.6}, {"teleport": 0.2, "vanish": 1.4}),
        rec("g/b.mp4", 0.9),
        rec("g/c.mp4", 0.7),
        rec("h/d.mp4", 0.2),
    ]
    r = rerank(records, ["g", "g", "g", "h"])
    rows = r.rows
    assert [(x["group"], x["path"], x["rank"]) for x in rows] == [
        ("g", "g/b.mp4", 1),
        ("g", "g/c.mp4", 2),
        ("g", "g/a.mp4", 3),
        ("h", "h/d.mp4", 1),
    ]
    assert rows[0]["margin"] == pytest.approx(0.2) and rows[1]["margin"] == pytest.approx(0.2)
    assert rows[2]["margin"] is None and rows[3]["margin"] is None
    assert (rows[2]["worst_label"], rows[2]["worst_score"], rows[2]["worst_onset"]) == (
        "vanish",
        0.6,
        1.4,
    )
    assert {x["status"] for x in rows} == {"ok"} and r.groups == 2 and r.candidates == 4
    assert {g: w.path for g, w in r.winners.items()} == {"g": "g/b.mp4", "h": "h/d.mp4"}


def test_ties_rank_by_path_whatever_the_input_order():
    records = [rec("g/z.mp4", 0.5), rec("g/a.mp4", 0.5)]
    for order in (records, records[::-1]):
        rows = rerank(order, ["g", "g"]).rows
        assert [x["path"] for x in rows] == ["g/a.mp4", "g/z.mp4"]
        assert rows[0]["margin"] == 0.0


def test_weights_rank_by_one_minus_weighted_mean():
    assert parse_weights("teleport=2, vanish=1") == {"teleport": 2.0, "vanish": 1.0}
    a = rec("a", 0.9, {"teleport": 0.1, "vanish": 0.7})  # weighted mean 0.3
    b = rec("b", 0.5, {"teleport": 0.4, "vanish": 0.1})  # weighted mean 0.3
    c = rec("c", 0.4, {"teleport": 0.0, "vanish": 0.3})  # weighted mean 0.1
    w = {"teleport": 2.0, "vanish": 1.0}
    assert rank_score(a, w) == pytest.approx(0.7) and rank_score(c, w) == pytest.approx(0.9)
    rows = rerank([a, b, c], ["g"] * 3, weights=w).rows
    assert [x["path"] for x in rows] == ["c", "a", "b"]  # plausibility alone says a, b, c
    assert rows[0]["score"] == pytest.approx(0.9) and rows[0]["margin"] == pytest.approx(0.2)


@pytest.mark.parametrize(
    "text, match",
    [
        ("teleport", "bad weight"),
        ("teleport=x", "bad weight"),
        ("teleport=1,teleport=2", "twice"),
        ("plausible=1", "artifact labels"),
        ("teleport=-1", ">= 0"),
        ("teleport=0", "sum to zero"),
    ],
)
def test_bad_weights(text, match):
    with pytest.raises(ValueError, match=match):
        parse_weights(text)


def test_weight_on_a_label_the_judge_lacks_is_named():
    with pytest.raises(ValueError, match="no score for weighted label.*levitate"):
        rank_score(rec("a", 0.9), {"levitate": 1.0})


def test_top_k_and_min_plausibility():
    records = [rec(f"g/{i}.mp4", p) for i, p in enumerate([0.9, 0.8, 0.3, 0.6])]
    rows = rerank(records, ["g"] * 4, top_k=2).rows
    assert [x["path"] for x in rows] == ["g/0.mp4", "g/1.mp4"]
    # The last kept row's margin is to the next candidate, even if top-k hides it.
    assert rows[1]["margin"] == pytest.approx(0.2)
    r = rerank(records, ["g"] * 4, min_plausibility=0.5)
    assert [x["path"] for x in r.rows] == ["g/0.mp4", "g/1.mp4", "g/3.mp4"]
    assert r.rows[-1]["margin"] is None and r.dropped == 1
    r = rerank(records + [rec("h/x.mp4", 0.1)], ["g"] * 4 + ["h"], min_plausibility=0.5)
    assert "h" not in r.winners and r.groups == 2
    with pytest.raises(ValueError, match="top_k"):
        rerank(records, ["g"] * 4, top_k=0)


def test_error_rows_go_last_with_rank_null():
    records = [
        rec("g/bad2.mp4", 0, status="error"),
        rec("g/a.mp4", 0.4),
        rec("g/bad1.mp4", 0, status="error"),
        rec("g/b.mp4", 0.6),
    ]
    r = rerank(records, ["g"] * 4, top_k=1)
    assert [(x["path"], x["rank"], x["status"]) for x in r.rows] == [
        ("g/b.mp4", 1, "ok"),
        ("g/bad1.mp4", None, "error"),
        ("g/bad2.mp4", None, "error"),
    ]
    assert r.rows[1]["error"] == "cannot decode" and r.rows[1]["score"] is None
    assert r.errors == 2
    only_errors = rerank([rec("k/x", 0, status="error")], ["k"])
    assert only_errors.winners == {} and only_errors.rows[0]["rank"] is None


def test_worst_artifact_without_scores():
    assert worst_artifact({"scores": {"plausible": 0.9}}) == (None, None, None)


# ---------------------------------------------------------------- pairs


def _ranked(scores):
    records = [rec(f"g/{i}.mp4", p) for i, p in enumerate(scores)]
    return rerank(records, ["g"] * len(scores)).ranked


def test_pairs_best_vs_rest_with_margin_filter():
    pairs = preference_pairs(_ranked([0.9, 0.85, 0.8, 0.2]), min_margin=0.1)
    assert [(p["chosen"], p["rejected"]) for p in pairs] == [
        ("g/0.mp4", "g/2.mp4"),  # 0.9 - 0.8 is 0.0999... in floats, still a 0.1 margin
        ("g/0.mp4", "g/3.mp4"),
    ]
    p = pairs[1]
    assert p["group"] == "g" and p["chosen_score"] == 0.9 and p["rejected_score"] == 0.2
    assert p["margin"] == pytest.approx(0.7)
    assert set(p) == {"group", "chosen", "rejected", "chosen_score", "rejected_score", "margin"}


def test_pairs_all_mode():
    pairs = preference_pairs(_ranked([0.9, 0.85, 0.5]), min_margin=0.1, mode="all")
    assert [(p["chosen"], p["rejected"]) for p in pairs] == [
        ("g/0.mp4", "g/2.mp4"),
        ("g/1.mp4", "g/2.mp4"),
    ]
    # A tie states no preference, even with a zero margin.
    assert preference_pairs(_ranked([0.5, 0.5]), min_margin=0.0, mode="all") == []
    with pytest.raises(ValueError, match="pairs mode"):
        preference_pairs({}, mode="some")


def test_pairs_chosen_must_meet_min_plausibility():
    ranked = _ranked([0.6, 0.4, 0.1])
    assert len(preference_pairs(ranked, min_chosen=0.5)) == 2
    assert preference_pairs(ranked, min_chosen=0.7) == []
    pairs = preference_pairs(ranked, min_chosen=0.3, mode="all")
    assert {p["chosen"] for p in pairs} == {"g/0.mp4", "g/1.mp4"}


# ---------------------------------------------------------------- link best


def test_link_names_sanitised_and_unique():
    assert sanitise("cands/a cat?") == "cands_a_cat" and sanitise("..") == "_"
    names = link_names({"a/b": "/x/1.mp4", "a_b": "/y/1.mp4", "c": "/z/my clip.mp4"})
    assert names["c"] == "c__my_clip.mp4"
    assert names["a/b"] != names["a_b"] and names["a/b"].startswith("a_b-")


def test_link_best_symlinks_point_at_winners_and_replace_old_ones(tmp_path):
    src = tmp_path / "cands"
    src.mkdir()
    for n in ("a.mp4", "b.mp4"):
        (src / n).write_bytes(n.encode())
    dest = tmp_path / "best"
    written, problems = link_best({"p1": str(src / "a.mp4")}, dest)
    assert problems == [] and written == [dest / "p1__a.mp4"]
    assert os.readlink(dest / "p1__a.mp4") == str(src / "a.mp4")
    (dest / "keep.txt").write_text("not ours")
    written, _ = link_best({"p1": str(src / "b.mp4"), "p2": str(tmp_path / "missing.mp4")}, dest)
    assert sorted(os.listdir(dest)) == ["keep.txt", "p1__b.mp4"]  # stale p1 link removed
    assert (dest / "p1__b.mp4").resolve() == (src / "b.mp4").resolve()


def test_stale_links_of_other_groups_survive(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"a")
    dest = tmp_path / "best"
    link_best({"a": str(tmp_path / "a.mp4"), "a__b": str(tmp_path / "a.mp4")}, dest)
    # A later run over group "a__b" alone replaces its own link only.
    (tmp_path / "b.mp4").write_bytes(b"b")
    link_best({"a__b": str(tmp_path / "b.mp4")}, dest)
    assert sorted(os.listdir(dest)) == ["a__a.mp4", "a__b__b.mp4"]


def test_link_best_copy(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"video")
    written, problems = link_best({"g": str(tmp_path / "a.mp4")}, tmp_path / "out", copy=True)
    assert not written[0].is_symlink() and written[0].read_bytes() == b"video"
    _, problems = link_best({"g": str(tmp_path / "nope.mp4")}, tmp_path / "out", copy=True)
    assert "not a file" in problems[0]


# ---------------------------------------------------------------- out of domain


def _ood_records():
    far = dict(rec("g/far.mp4", 0.95), out_of_domain=True, ood_distance=4.25)
    return [
        rec("g/a.mp4", 0.6),  # no out_of_domain field: in domain
        far,  # the best plausibility, but out of domain
        dict(rec("g/b.mp4", 0.4), out_of_domain=False, ood_distance=0.9),
        rec("g/bad.mp4", 0, status="error"),
    ]


def test_ood_keep_ranks_as_before_without_the_field():
    r = rerank(_ood_records(), ["g"] * 4)
    assert [(x["path"], x["rank"]) for x in r.rows] == [
        ("g/far.mp4", 1),
        ("g/a.mp4", 2),
        ("g/b.mp4", 3),
        ("g/bad.mp4", None),
    ]
    assert all("out_of_domain" not in x for x in r.rows)
    assert r.out_of_domain == 1 and r.skipped == 0


def test_ood_flag_keeps_the_ranking_and_marks_rows():
    r = rerank(_ood_records(), ["g"] * 4, ood="flag")
    assert [(x["path"], x["rank"], x["out_of_domain"]) for x in r.rows] == [
        ("g/far.mp4", 1, True),
        ("g/a.mp4", 2, False),  # a record without the field counts as in domain
        ("g/b.mp4", 3, False),
        ("g/bad.mp4", None, None),
    ]
    assert r.winners["g"].path == "g/far.mp4" and r.out_of_domain == 1 and r.skipped == 0


def test_ood_skip_leaves_them_out_of_ranking_winners_and_pairs():
    r = rerank(_ood_records(), ["g"] * 4, ood="skip")
    assert [(x["path"], x["rank"], x["status"]) for x in r.rows] == [
        ("g/a.mp4", 1, "ok"),
        ("g/b.mp4", 2, "ok"),
        ("g/far.mp4", None, "skipped"),
        ("g/bad.mp4", None, "error"),
    ]
    skipped = r.rows[2]
    assert skipped["error"] == "out of domain (ood_distance 4.25)" and skipped["score"] is None
    assert skipped["out_of_domain"] is True and skipped["plausibility"] == 0.95
    assert r.rows[0]["margin"] == pytest.approx(0.2) and r.rows[1]["margin"] is None
    assert r.winners["g"].path == "g/a.mp4" and r.skipped == 1 and r.out_of_domain == 1
    assert [c.path for c in r.ranked["g"]] == ["g/a.mp4", "g/b.mp4"]
    pairs = preference_pairs(r.ranked, min_margin=0.0)
    assert all("far" not in p["chosen"] + p["rejected"] for p in pairs) and pairs
    # A group of out-of-domain candidates only has no winner.
    only = rerank([dict(rec("h/x.mp4", 0.9), out_of_domain=True)], ["h"], ood="skip")
    assert only.winners == {} and only.rows[0]["status"] == "skipped"
    with pytest.raises(ValueError, match="ood must be one of"):
        rerank(_ood_records(), ["g"] * 4, ood="drop")

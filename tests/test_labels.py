import dataclasses

import pytest

from judge.labels import (
    ARTIFACT_LABELS,
    ARTIFACTS,
    HARD_NEGATIVE_TAGS,
    HARD_NEGATIVES,
    PLAUSIBLE,
    validate_labels,
)


def test_taxonomy_matches_design():
    assert ARTIFACT_LABELS == (
        "teleport",
        "clipping",
        "vanish",
        "appear",
        "morph",
        "duplicate",
        "levitate",
    )
    assert tuple(ARTIFACTS) == ARTIFACT_LABELS
    assert ARTIFACTS["clipping"].principle == "solidity (impenetrability)"
    assert all(a.description and a.principle for a in ARTIFACTS.values())
    assert PLAUSIBLE not in ARTIFACT_LABELS
    assert HARD_NEGATIVE_TAGS == (
        "exit_frame",
        "occluder_pass",
        "occluder_stay",
        "fast_throw",
        "depth_overlap",
        "bounce",
        "hand_carry",
        "hand_push",
        "platform_ride",
        "string_swing",
        "camera_move",
        "wall_bounce",
        "throw_bounce",
        "fast_occluder",
        "figure_jump",
        "figure_carry",
        "figure_crowd",
        "figure_swing",
        "figure_exit",
    )
    assert all(HARD_NEGATIVES[t] for t in HARD_NEGATIVE_TAGS)


def test_taxonomy_is_read_only():
    with pytest.raises(TypeError):
        ARTIFACTS["teleport"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ARTIFACTS["teleport"].name = "x"  # type: ignore[misc]


def test_validate_keeps_order():
    assert validate_labels(["vanish", "teleport"]) == ("vanish", "teleport")
    assert validate_labels(iter(ARTIFACT_LABELS)) == ARTIFACT_LABELS


def test_unknown_labels_are_all_named_with_the_known_list():
    with pytest.raises(ValueError) as e:
        validate_labels(["teleport", "telport", "explode"])
    msg = str(e.value)
    assert "telport" in msg and "explode" in msg
    assert all(name in msg for name in ARTIFACT_LABELS)


def test_allow_new_accepts_identifiers_only():
    assert validate_labels(["teleport", "explode"], allow_new=True) == ("teleport", "explode")
    with pytest.raises(ValueError, match="malformed"):
        validate_labels(["Bad Name"], allow_new=True)


@pytest.mark.parametrize(
    ("names", "match"),
    [
        ([], "empty"),
        (["vanish", "teleport", "vanish"], "duplicate labels: vanish"),
        (["teleport", PLAUSIBLE], "overall head"),
        (["teleport", ""], "malformed"),
    ],
)
def test_rejects_bad_sets(names, match):
    with pytest.raises(ValueError, match=match):
        validate_labels(names)


def test_rejects_a_bare_string_and_non_strings():
    with pytest.raises(TypeError, match="string"):
        validate_labels("teleport")
    with pytest.raises(TypeError):
        validate_labels(["teleport", 3])

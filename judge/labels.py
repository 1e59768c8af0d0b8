"""The artifact taxonomy: the single source of truth for label names.

Every other module (synth injectors, manifests, model heads, metrics, score output) takes its
label names from here, so a typo anywhere fails loudly in ``validate_labels`` instead of
silently training a head on nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

PLAUSIBLE = "plausible"


@dataclass(frozen=True)
class Artifact:
    """One artifact kind: its label, what happens on screen, and the physics it breaks."""

    name: str
    description: str
    principle: str


_ARTIFACT_TABLE = (
    Artifact(
        "teleport",
        "an object jumps to a new position between two frames",
        "spatio-temporal continuity",
    ),
    Artifact(
        "clipping",
        "an object passes into/through another object, the floor or a wall",
        "solidity (impenetrability)",
    ),
    Artifact(
        "vanish",
        "a visible object disappears in the open (not occluded, not exiting)",
        "permanence",
    ),
    Artifact("appear", "an object appears in the open from nowhere", "permanence"),
    Artifact(
        "morph",
        "an object suddenly changes size, shape or colour",
        "shape/property constancy",
    ),
    Artifact("duplicate", "one object becomes two", "cohesion"),
    Artifact(
        "levitate",
        "motion that ignores gravity/inertia (floats up, stops mid-air)",
        "gravity, inertia",
    ),
)

ARTIFACT_LABELS: tuple[str, ...] = tuple(a.name for a in _ARTIFACT_TABLE)

# Read-only so that no caller can quietly change the taxonomy for everyone else.
ARTIFACTS: Mapping[str, Artifact] = MappingProxyType({a.name: a for a in _ARTIFACT_TABLE})

# Plausible events the generator produces on purpose, so the judge does not learn shortcuts
# such as "an object that stops being visible is an artifact".
HARD_NEGATIVES: Mapping[str, str] = MappingProxyType(
    {
        "exit_frame": "an object leaves the camera's view across the frame edge",
        "occluder_pass": "an object passes behind an occluder and comes out again",
        "occluder_stay": "an object goes behind an occluder and stays hidden",
        "fast_throw": "an object moves fast, covering a large distance per frame",
        "depth_overlap": "an object passes in front of another at a different depth",
        "bounce": "an object bounces off the floor, a wall or another object",
        "hand_carry": "a visible hand lifts, carries or sets down an object it holds",
        "hand_push": "a visible hand pushes an object along the floor",
        "platform_ride": "an object rides a moving platform, sideways or up and down",
        "string_swing": "an object hangs from a visible string and swings on it",
        "camera_move": "the camera pans, dollies, zooms or shakes over a still scene",
        "wall_bounce": "a thrown ball bounces off a board and changes direction",
        "throw_bounce": "a ball thrown fast and low skips along the floor",
        "fast_occluder": "a fast ball passes behind an occluder and comes out again",
        "figure_jump": "a person or animal jumps: airborne for a while, then lands",
        "figure_carry": "a person picks an object up, carries it and may set it down",
        "figure_crowd": "a figure walks in front of another and hides it for a while",
        "figure_swing": "a figure swings its arms fast or runs: limbs move far per frame",
        "figure_exit": "a person or animal walks or runs out of the frame",
    }
)
HARD_NEGATIVE_TAGS: tuple[str, ...] = tuple(HARD_NEGATIVES)

# New kinds become manifest keys, metric names (val/<label>/ap) and config keys.
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def validate_labels(names: Iterable[str], *, allow_new: bool = False) -> tuple[str, ...]:
    """Check a configured label set and return it as a tuple, order kept.

    Args:
        names: artifact label names, e.g. ``["teleport", "vanish"]`` (not ``"plausible"``,
            which is the overall head and always present).
        allow_new: accept names outside ``ARTIFACT_LABELS`` (kinds with their own injector);
            they must still be lower-case identifiers.

    Raises:
        TypeError: ``names`` is a single string, or holds a non-string.
        ValueError: the set is empty, has duplicates, or names unknown / malformed labels;
            the message names every offender and lists the known labels.
    """
    if isinstance(names, str):
        # Iterating "teleport" would yield letters; almost certainly a missing list.
        raise TypeError(f"expected a sequence of label names, got the string {names!r}")
    names = tuple(names)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"label names must be strings, got {n!r} ({type(n).__name__})")
    known = ", ".join(ARTIFACT_LABELS)
    if not names:
        raise ValueError(f"label set is empty; choose from: {known}")

    problems = []
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate labels: {', '.join(dupes)}")
    if PLAUSIBLE in names:
        problems.append(f"{PLAUSIBLE!r} is the overall head, not an artifact label")
    malformed = [n for n in names if n != PLAUSIBLE and not _NAME_RE.match(n)]
    if malformed:
        problems.append(
            "malformed labels (want lower-case identifiers): "
            + ", ".join(repr(n) for n in malformed)
        )
    if not allow_new:
        unknown = [n for n in names if n not in ARTIFACTS and n != PLAUSIBLE and n not in malformed]
        if unknown:
            problems.append(f"unknown labels: {', '.join(unknown)}")
    if problems:
        raise ValueError(f"invalid label set {list(names)}: {'; '.join(problems)}. Known: {known}")
    return names

"""A PNG that shows, per artifact kind, the frames around the onset above the clean twin's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from judge.io.atomic import atomic_path
from judge.io.manifest import read_manifest, resolve_path
from judge.io.writer import decode_video

LABEL_W = 92


def make_contact_sheet(
    manifest: str | Path,
    out_png: str | Path,
    context: int = 2,
    scale: int = 2,
    kinds: tuple[str, ...] | None = None,
    extra_labels: tuple[str, ...] = (),
) -> Path | None:
    """Write the sheet, one row pair per kind in the manifest; None if there is nothing to show."""
    rows = read_manifest(manifest, extra_labels=extra_labels)
    by_group: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_group.setdefault(r["group"], {})[r.get("variant", "")] = r
    picked: dict[str, tuple[dict, dict]] = {}
    for r in rows:
        for ev in r.get("events", []):
            kind = ev["type"]
            clean = by_group[r["group"]].get("clean")
            if kind not in picked and clean is not None and (kinds is None or kind in kinds):
                picked[kind] = (r, clean)
    if not picked:
        return None
    return pair_sheet(manifest, list(picked.values()), out_png, context=context, scale=scale)


def pair_sheet(
    manifest: str | Path,
    pairs: list[tuple[dict, dict]],
    out_png: str | Path,
    context: int = 2,
    scale: int = 2,
    notes: list[str] | None = None,
) -> Path:
    """Write one row pair per `(artifact row, clean row)`: frames around the first event's onset.

    Rows are manifest rows whose paths resolve against `manifest`; `notes` (one per pair) are
    printed under the kind in the row label, e.g. the judge's score.
    """
    strips = []
    for n, (art, clean) in enumerate(pairs):
        kind, onset = art["events"][0]["type"], art["events"][0]["frame"]
        a = decode_video(resolve_path(manifest, art["path"]))
        c = decode_video(resolve_path(manifest, clean["path"]))
        idx = [min(max(0, onset + d), len(a) - 1) for d in range(-context, context + 1)]
        note = f"\n{notes[n]}" if notes else ""
        strips.append(_strip(a[idx], f"{kind}\nframe {onset}{note}", idx.index(onset), scale))
        strips.append(_strip(c[idx], "clean twin", None, scale))
    width = max(s.width for s in strips)
    sheet = Image.new("RGB", (width, sum(s.height for s in strips) + 4 * len(strips)), "white")
    y = 0
    for i, s in enumerate(strips):
        sheet.paste(s, (0, y))
        y += s.height + (8 if i % 2 else 0)
    out_png = Path(out_png)
    with atomic_path(out_png) as tmp:
        sheet.save(tmp, format="PNG")
    return out_png


def _strip(frames: np.ndarray, label: str, onset_col: int | None, scale: int) -> Image.Image:
    """One labelled row of frames `(N, H, W, 3)`; the onset frame gets a red frame."""
    n, h, w, _ = frames.shape
    W, H = w * scale, h * scale
    img = Image.new("RGB", (LABEL_W + n * (W + 2), H + 2), "white")
    draw = ImageDraw.Draw(img)
    draw.multiline_text((4, 4), label, fill="black")
    for i, f in enumerate(frames):
        x = LABEL_W + i * (W + 2)
        img.paste(Image.fromarray(f).resize((W, H), Image.NEAREST), (x, 1))
        if i == onset_col:
            draw.rectangle([x - 1, 0, x + W, H + 1], outline=(230, 0, 0), width=2)
    return img

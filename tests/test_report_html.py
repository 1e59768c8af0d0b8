"""The single-file HTML report (judge/report/html.py), its headless-Chromium screenshot
(judge/report/browser.py) and scripts/ensure_browser.sh.

Everything but the `browser`-marked test runs without a browser: fake browsers are tiny shell
scripts. The browser test renders a real report and checks the screenshot's pixels.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from judge.report.browser import find_browser, screenshot
from judge.report.html import (
    HEADER_BG,
    Figure,
    Section,
    Table,
    is_numeric,
    render_html,
    write_html_report,
)

REPO = Path(__file__).resolve().parents[1]
ENSURE = REPO / "scripts" / "ensure_browser.sh"
EVIL = "<script>alert('x')</script>"


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (400, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def fake_exe(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


# --- HTML --------------------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere():
    sections = [
        Section(
            EVIL,
            f"para {EVIL}",
            tables=[Table([EVIL, "v"], [[EVIL, "1"]], caption=EVIL)],
            figures=[Figure(png_bytes((0, 0, 0)), caption=EVIL)],
        )
    ]
    page = render_html(EVIL, sections, subtitle=EVIL)
    assert "<script" not in page
    assert "alert(" in page  # the text itself survives, escaped
    assert page.count("&lt;script&gt;") >= 8  # title x2, subtitle, TOC, h2, text, table, figure


def test_images_are_embedded_and_nothing_is_external(tmp_path):
    red = png_bytes((255, 0, 0))
    blue_path = tmp_path / "blue.png"
    blue_path.write_bytes(png_bytes((0, 0, 255)))
    page = render_html("r", [Section("figs", figures=[Figure(red, "a"), Figure(blue_path, "b")])])
    srcs = re.findall(r'src="([^"]*)"', page)
    assert len(srcs) == 2
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    decoded = [base64.b64decode(s.split(",", 1)[1]) for s in srcs]
    assert decoded == [red, blue_path.read_bytes()]
    for needle in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert needle not in page
    assert page.startswith("<!DOCTYPE html>")


def test_numeric_cells_are_right_aligned():
    for text in ("0.93", "-1", " 12 ", "1e-3", "12%", "-", "nan"):
        assert is_numeric(text), text
    for text in ("teleport", "", "0.9 (±0.1)", "--", "1/2"):
        assert not is_numeric(text), text
    table = Table(["metric", "cpu_tiny"], [["macro AUROC", "0.912"], ["ECE", "-"]])
    page = render_html("r", [Section("s", tables=[table])])
    assert '<td class="num">0.912</td>' in page
    assert '<td class="num">-</td>' in page
    assert "<td>macro AUROC</td>" in page
    assert '<th class="num">cpu_tiny</th>' in page  # all-numeric column: header aligned too
    assert "<th>metric</th>" in page


def test_table_of_contents_links_to_unique_anchors():
    titles = ["Summary", "Per-artifact AUROC", "Summary", "???"]
    page = render_html("r", [Section(t, text="x") for t in titles])
    hrefs = re.findall(r'href="#([^"]+)"', page)
    ids = re.findall(r'<section id="([^"]+)"', page)
    assert hrefs == ids == ["summary", "per-artifact-auroc", "summary-2", "section"]


def test_blank_lines_split_paragraphs():
    page = render_html("r", [Section("s", text="first line\nsame paragraph\n\n  \nsecond")])
    assert "<p>first line\nsame paragraph</p>" in page
    assert "<p>second</p>" in page


def test_missing_png_names_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "plot.png"
    with pytest.raises(FileNotFoundError, match="plot.png"):
        render_html("r", [Section("s", figures=[Figure(missing)])])
    with pytest.raises(ValueError, match="not a PNG"):
        render_html("r", [Section("s", figures=[Figure(b"GIF89a...")])])


def test_write_is_atomic_and_returns_the_path(tmp_path):
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    sections = [Section("s", tables=[Table(["a"], [["1"]])])]
    written = write_html_report(str(target), "title", sections, subtitle="sub")
    assert written == target
    assert target.read_text(encoding="utf-8") == render_html("title", sections, subtitle="sub")
    assert os.listdir(target.parent) == ["report.html"]  # no temporary files left behind


# --- browser.py without a browser --------------------------------------------------------------


def test_find_browser_honours_judge_browser(tmp_path, monkeypatch):
    fake = fake_exe(tmp_path / "bin", "mybrowser", "exit 0")
    monkeypatch.setenv("JUDGE_BROWSER", str(fake))
    assert find_browser() == str(fake)
    monkeypatch.setenv("JUDGE_BROWSER", str(tmp_path / "absent"))
    assert find_browser() is None  # a set JUDGE_BROWSER is the only one considered
    fake_exe(tmp_path / "bin", "google-chrome", "exit 0")
    monkeypatch.setenv("JUDGE_BROWSER", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_browser() == str(tmp_path / "bin" / "google-chrome")


def test_screenshot_without_browser_says_how_to_install(tmp_path, monkeypatch):
    html = write_html_report(tmp_path / "r.html", "r", [])
    monkeypatch.setenv("JUDGE_BROWSER", "")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="apt-get install chromium"):
        screenshot(html, tmp_path / "r.png")


@pytest.mark.parametrize(
    ("body", "timeout", "message"),
    [
        ("echo 'boom: cannot open display' >&2; exit 3", 30, "exited with status 3"),
        ("echo 'quietly did nothing' >&2; exit 0", 30, "wrote no PNG"),
        ("echo 'hanging' >&2; exec sleep 30", 0.5, "timed out"),
    ],
)
def test_screenshot_failures_name_the_file_and_keep_stderr(tmp_path, body, timeout, message):
    browser = fake_exe(tmp_path / "bin", "fakechrome", body)
    html = write_html_report(tmp_path / "r.html", "r", [])
    out = tmp_path / "shots" / "r.png"
    with pytest.raises(RuntimeError, match=message) as err:
        screenshot(html, out, browser=str(browser), timeout=timeout)
    assert str(html.resolve()) in str(err.value)
    assert body.split("'")[1] in str(err.value)  # the browser's stderr tail
    assert os.listdir(out.parent) == []  # no screenshot, no temporary file


# --- scripts/ensure_browser.sh -----------------------------------------------------------------


def run_ensure(path_dirs: list[Path], judge_browser: str = "") -> subprocess.CompletedProcess:
    env = {"PATH": os.pathsep.join(map(str, path_dirs)), "JUDGE_BROWSER": judge_browser}
    bash = shutil.which("bash")
    return subprocess.run(
        [bash, str(ENSURE)], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def tools_dir(tmp_path: Path) -> Path:
    """A PATH folder with just the tools ensure_browser.sh needs (no browser, no apt-get)."""
    folder = tmp_path / "tools"
    folder.mkdir(parents=True)
    for tool in ("id", "env"):
        (folder / tool).symlink_to(shutil.which(tool))
    return folder


def test_ensure_browser_is_quiet_when_a_browser_is_found(tmp_path):
    assert os.access(ENSURE, os.X_OK)
    fake = fake_exe(tmp_path / "bin", "chromium", "exit 0")
    for result in (run_ensure([tmp_path / "bin"]), run_ensure([], judge_browser=str(fake))):
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_ensure_browser_without_browser_or_apt_explains_and_passes(tmp_path):
    result = run_ensure([tools_dir(tmp_path)])
    assert result.returncode == 0
    assert result.stderr.strip().startswith("no Chromium:")
    assert "install chromium" in result.stderr
    result = run_ensure([tools_dir(tmp_path / "b")], judge_browser="/nowhere/chrome")
    assert result.returncode == 0
    assert "JUDGE_BROWSER=/nowhere/chrome is not an executable" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the install branch runs apt-get directly as root")
@pytest.mark.parametrize("apt_works", [False, True])
def test_ensure_browser_install_branch_with_a_fake_apt_get(tmp_path, apt_works):
    tools = tools_dir(tmp_path)
    log = tmp_path / "apt.log"
    # The fake apt-get logs its arguments; a working one "installs" a fake chromium into tools/.
    chmod = shutil.which("chmod")
    install = f"printf '#!/bin/sh\\n' > {tools}/$4; {chmod} +x {tools}/$4; exit 0"
    fake_exe(
        tools,
        "apt-get",
        f'echo "$DEBIAN_FRONTEND $*" >> {log}\n[ "$1" = update ] && exit 0\n'
        + (f'[ "$1" = install ] && {{ {install}; }}\n' if apt_works else "")
        + "exit 100",
    )
    result = run_ensure([tools])
    assert result.returncode == 0
    calls = log.read_text().splitlines()
    if apt_works:
        assert calls == ["noninteractive install -y -qq chromium"]
        assert (tools / "chromium").exists()
        assert "no Chromium" not in result.stderr
    else:
        assert calls == [
            "noninteractive install -y -qq chromium",
            " update -qq",
            "noninteractive install -y -qq chromium",
            "noninteractive install -y -qq chromium-browser",
        ]
        assert result.stderr.strip().splitlines()[-1].startswith("no Chromium:")


# --- the real browser --------------------------------------------------------------------------


def color_mask(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 3) -> np.ndarray:
    return (np.abs(img.astype(int) - np.array(rgb)) <= tol).all(axis=-1)


def bbox(mask: np.ndarray) -> tuple[int, int]:
    """(width, height) of the bounding box of a mask's true pixels."""
    ys, xs = np.nonzero(mask)
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path):
    metrics = [
        ["macro AUROC", "0.912", "0.934"],
        ["teleport AUROC", "0.951", "0.962"],
        ["clipping AUROC", "0.873", "0.901"],
        ["vanish AP", "0.804", "0.833"],
        ["ECE", "0.041", "-"],
        ["onset accuracy (±1 frame)", "0.770", "0.812"],
    ]
    sections = [
        Section(
            "Summary",
            "Held-out synthetic test split.\n\nHigher is better except ECE.",
            tables=[Table(["metric", "cpu_tiny", "r3d_18"], metrics, caption="test metrics")],
        ),
        Section(
            "Figures",
            figures=[
                Figure(png_bytes((255, 0, 0)), "pure red, 400x200"),
                Figure(png_bytes((0, 0, 255)), "pure blue, 400x200"),
            ],
        ),
    ]
    html = write_html_report(tmp_path / "report.html", "physics-judge evaluation", sections)
    png = screenshot(html, tmp_path / "report.png", width=1280, height=1800)
    assert png == tmp_path / "report.png"
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape == (1800, 1280, 3)

    # (a) both figures rendered at their natural 400x200 CSS pixels (device scale factor 1)
    for rgb in ((255, 0, 0), (0, 0, 255)):
        mask = color_mask(img, rgb)
        assert 0.95 * 400 * 200 <= mask.sum() <= 1.05 * 400 * 200, (rgb, mask.sum())
        width, height = bbox(mask)
        assert abs(width - 400) <= 2 and abs(height - 200) <= 2, (rgb, width, height)

    # (b) the table rendered: a header band of HEADER_BG as wide as three columns, one row tall,
    # and dark text (the page's text colour is #1d2330)
    header_rgb = tuple(int(HEADER_BG[i : i + 2], 16) for i in (1, 3, 5))
    header = color_mask(img, header_rgb, tol=2)
    band_rows = np.nonzero(header.sum(axis=1) >= 100)[0]  # ignores stray anti-aliased pixels
    assert len(band_rows) > 0
    height = int(band_rows[-1] - band_rows[0] + 1)
    assert height == len(band_rows), "the header band is not one contiguous stripe"
    assert 15 <= height <= 60, height
    width, _ = bbox(header[band_rows])
    assert 150 <= width <= 1200, width
    assert header[band_rows].sum() >= 0.5 * width * height  # filled (less the header text)
    dark = (img.max(axis=-1) < 90).sum()
    assert dark > 2000, dark

    # (c) the page isn't blank: plenty of non-white pixels and many distinct colours
    non_white = (img.min(axis=-1) < 250).mean()
    assert non_white > 0.08, non_white
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50

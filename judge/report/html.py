"""One self-contained HTML evaluation report: tables and PNG figures, no server, no sibling files.

Images are embedded as ``data:image/png;base64`` URIs and the CSS is inline, so the single file
opens from disk, a CI artifact or an e-mail attachment; there is no JavaScript and nothing is
fetched from the network. Every user-provided string is HTML-escaped.

Example::

    from judge.report.html import Figure, Section, Table, write_html_report

    summary = Table(["metric", "cpu_tiny", "r3d_18"], [["macro AUROC", "0.912", "0.934"]])
    write_html_report(
        "outputs/report.html",
        "physics-judge evaluation",
        [
            Section("Summary", "Held-out synthetic test split.", tables=[summary]),
            Section("Calibration", figures=[Figure("outputs/reliability.png", "reliability")]),
        ],
        subtitle="commit 382764a",
    )

Cells whose text is a number (``0.93``, ``-1e-3``, ``12%``) or ``-`` (missing) are right-aligned;
a column whose body cells are all numeric gets a right-aligned header too.
"""

from __future__ import annotations

import base64
import errno
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from judge.io.atomic import atomic_write_text

# Background of table header rows; tests look for this colour in a screenshot of the page.
HEADER_BG = "#dfe7f5"
ZEBRA_BG = "#f5f7fb"

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"  # the first 8 bytes of every PNG file

_CSS = f"""
body {{ margin: 0; background: #fff; color: #1d2330;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }}
h1 {{ font-size: 28px; margin: 0 0 4px; }}
h2 {{ font-size: 21px; margin: 36px 0 12px; padding-bottom: 4px;
  border-bottom: 1px solid #d5dae3; }}
.subtitle {{ color: #5a6375; margin: 0 0 16px; }}
nav {{ background: #f7f8fa; border: 1px solid #e1e5eb; border-radius: 6px; padding: 8px 16px; }}
nav ol {{ margin: 4px 0; padding-left: 22px; }}
a {{ color: #2457b3; text-decoration: none; }}
a:hover {{ text-decoration: underline; }}
table {{ border-collapse: collapse; margin: 12px 0 20px; font-variant-numeric: tabular-nums; }}
caption {{ caption-side: top; text-align: left; color: #5a6375; padding-bottom: 4px; }}
th, td {{ border: 1px solid #c9d0dc; padding: 5px 12px; text-align: left; vertical-align: top; }}
thead th {{ background: {HEADER_BG}; font-weight: 600; }}
tbody tr:nth-child(even) td {{ background: {ZEBRA_BG}; }}
th.num, td.num {{ text-align: right; }}
figure {{ margin: 16px 0 24px; }}
figure img {{ display: block; max-width: 100%; height: auto; }}
figcaption {{ color: #5a6375; font-size: 14px; margin-top: 6px; }}
"""


@dataclass
class Table:
    """A table of text cells; ``caption`` is shown above it."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Figure:
    """One image; ``png`` is a path to a PNG file or the PNG bytes themselves."""

    png: str | os.PathLike | bytes
    caption: str = ""


@dataclass
class Section:
    """A titled part of the report; ``text`` is plain text, a blank line starts a new paragraph."""

    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def is_numeric(text: str) -> bool:
    """True for a cell that reads as a number (``0.93``, ``-2``, ``12%``, ``nan``) or ``-``."""
    s = str(text).strip()
    if s == "-":
        return True
    try:
        float(s.removesuffix("%"))
    except ValueError:
        return False
    return True


def _png_bytes(png: str | os.PathLike | bytes) -> bytes:
    if isinstance(png, (bytes, bytearray)):
        data, name = bytes(png), "figure bytes"
    else:
        path = Path(png)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "figure PNG not found", str(path))
        data, name = path.read_bytes(), str(path)
    if not data.startswith(PNG_MAGIC):
        raise ValueError(f"{name} is not a PNG image")
    return data


def _table(table: Table) -> str:
    ncols = max([len(table.header)] + [len(r) for r in table.rows])
    numeric = [
        bool(table.rows) and all(i < len(r) and is_numeric(r[i]) for r in table.rows)
        for i in range(ncols)
    ]

    def cell(tag: str, text: str, num: bool) -> str:
        cls = ' class="num"' if num else ""
        return f"<{tag}{cls}>{_esc(text)}</{tag}>"

    out = ["<table>"]
    if table.caption:
        out.append(f"<caption>{_esc(table.caption)}</caption>")
    if table.header:
        head = "".join(cell("th", h, numeric[i]) for i, h in enumerate(table.header))
        out.append(f"<thead><tr>{head}</tr></thead>")
    out.append("<tbody>")
    for row in table.rows:
        out.append("<tr>" + "".join(cell("td", c, is_numeric(c)) for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(fig: Figure) -> str:
    uri = "data:image/png;base64," + base64.b64encode(_png_bytes(fig.png)).decode("ascii")
    caption = f"<figcaption>{_esc(fig.caption)}</figcaption>" if fig.caption else ""
    return f'<figure><img src="{uri}" alt="{_esc(fig.caption)}">{caption}</figure>'


def _anchors(titles: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for title in titles:
        base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
        anchor, n = base, 1
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        out.append(anchor)
    return out


def render_html(title: str, sections: list[Section], *, subtitle: str = "") -> str:
    """The whole report as one HTML5 document (a string)."""
    anchors = _anchors([s.title for s in sections])
    body = [f"<h1>{_esc(title)}</h1>"]
    if subtitle:
        body.append(f'<p class="subtitle">{_esc(subtitle)}</p>')
    if sections:
        items = "".join(
            f'<li><a href="#{a}">{_esc(s.title)}</a></li>'
            for a, s in zip(anchors, sections, strict=True)
        )
        body.append(f"<nav><strong>Contents</strong><ol>{items}</ol></nav>")
    for anchor, sec in zip(anchors, sections, strict=True):
        body.append(f'<section id="{anchor}">\n<h2>{_esc(sec.title)}</h2>')
        for para in re.split(r"\n\s*\n", sec.text.strip()) if sec.text.strip() else []:
            body.append(f"<p>{_esc(para.strip())}</p>")
        body.extend(_table(t) for t in sec.tables)
        body.extend(_figure(f) for f in sec.figures)
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def write_html_report(
    path: str | os.PathLike, title: str, sections: list[Section], *, subtitle: str = ""
) -> Path:
    """Render the report and write it to ``path`` atomically (UTF-8); returns ``path``."""
    return atomic_write_text(path, render_html(title, sections, subtitle=subtitle))

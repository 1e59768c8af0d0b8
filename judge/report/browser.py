"""Screenshots of HTML files with headless Chromium, to check that a report actually renders.

Example::

    from judge.report.browser import screenshot

    screenshot("outputs/report.html", "outputs/report.png", width=1280, height=1800)

The browser is ``$JUDGE_BROWSER`` when that is set (a name on PATH or a path), otherwise the
first of ``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable`` on PATH.
Each run gets its own temporary profile (``--user-data-dir``), so concurrent runs don't clash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from judge.io.atomic import atomic_path
from judge.report.html import PNG_MAGIC

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set JUDGE_BROWSER"


def find_browser() -> str | None:
    """Path of the browser to use, or None; a set, non-empty ``$JUDGE_BROWSER`` is the only one
    considered (None when it names no executable)."""
    env = os.environ.get("JUDGE_BROWSER", "").strip()
    if env:
        return shutil.which(env)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _stderr_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _kill_group(proc: subprocess.Popen) -> None:
    # Chromium starts helper processes (zygote, GPU, crashpad); they share the new session.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def screenshot(
    html_path: str | os.PathLike,
    png_path: str | os.PathLike,
    *,
    width: int = 1280,
    height: int = 1600,
    browser: str | None = None,
    timeout: float = 60,
) -> Path:
    """Render ``html_path`` headless at ``width`` x ``height`` CSS pixels (device scale 1) and
    write the viewport to ``png_path`` atomically; returns ``png_path`` as a Path.

    Raises FileNotFoundError for a missing HTML file, and RuntimeError when no browser is found
    or the browser fails, times out or writes no PNG (with the tail of its stderr).
    """
    html_file = Path(html_path).resolve()
    if not html_file.is_file():
        raise FileNotFoundError(f"no HTML file to screenshot: {html_file}")
    exe = shutil.which(browser) if browser else find_browser()
    if exe is None:
        wanted = browser or os.environ.get("JUDGE_BROWSER", "").strip()
        which = f"browser {wanted!r} not found" if wanted else "no headless browser found"
        raise RuntimeError(f"{which}: {INSTALL_HINT}")

    with (
        tempfile.TemporaryDirectory(prefix="judge-browser-", ignore_cleanup_errors=True) as tmp,
        atomic_path(png_path) as out,
    ):
        log = Path(tmp) / "stderr.log"
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium refuses to start sandboxed
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--window-size={int(width)},{int(height)}",
            f"--screenshot={out}",
            html_file.as_uri(),
        ]
        out.unlink()  # atomic_path made an empty file; "no PNG written" must be detectable
        # Output goes to a file, not a pipe: helpers that outlive the browser can't block reads.
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.wait()
                raise RuntimeError(
                    f"{exe} timed out after {timeout:g} s rendering {html_file}\n"
                    + _stderr_tail(log)
                ) from None
            finally:
                _kill_group(proc)
        problem = None
        if rc != 0:
            problem = f"exited with status {rc}"
        elif not out.is_file() or out.read_bytes()[:8] != PNG_MAGIC:
            problem = "wrote no PNG"
        if problem:
            # Raised inside atomic_path: it removes the temporary file, png_path is untouched.
            raise RuntimeError(f"{exe} {problem} rendering {html_file}\n" + _stderr_tail(log))
    return Path(png_path)

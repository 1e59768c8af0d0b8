"""Where the repository's Hydra configs live.

Configs stay at the repository root (``configs/``), next to the ``judge`` package, so they are
found relative to this file. That works from a source checkout and from an editable install
(``pip install -e .``), which is the supported mode; a plain wheel install does not carry them.
"""

from __future__ import annotations

from pathlib import Path

from judge.config_resolvers import register as _register_resolvers

# The configs use resolvers of their own (``${len:...}``); whoever finds them here gets those too.
_register_resolvers()

CONFIG_DIR: Path = Path(__file__).resolve().parent.parent / "configs"


def config_dir() -> str:
    """Return ``CONFIG_DIR`` as an absolute string (what Hydra's ``config_path`` wants).

    Raises:
        FileNotFoundError: the folder is missing, e.g. after a non-editable install.
    """
    if not CONFIG_DIR.is_dir():
        raise FileNotFoundError(
            f"Hydra config folder not found: {CONFIG_DIR}. judge expects to run from a source "
            "checkout or an editable install (`pip install -e .`), with configs/ at the repo root."
        )
    return str(CONFIG_DIR)

"""Test-wide environment: headless MuJoCo rendering, no W&B network traffic, browser marker."""

import os

import pytest

# Set at import, before any test module imports mujoco or wandb, which read these once.
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs headless Chromium (marked slow when absent)")


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects
def pytest_collection_modifyitems(config, items):
    # Without a browser, browser tests become slow ones: `make test` leaves them out rather than
    # counting a skip as a pass, and `make test-all` runs them and fails loudly.
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    from judge.report.browser import find_browser

    if find_browser() is None:
        for item in browser_items:
            item.add_marker(pytest.mark.slow)

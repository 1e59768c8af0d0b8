#!/usr/bin/env bash
# Makes sure a headless Chromium is there for the HTML report's browser test
# (tests/test_report_html.py, judge/report/browser.py); `make test` runs it first.
#
# Finds the browser as judge.report.browser.find_browser does: $JUDGE_BROWSER when set, else
# chromium, chromium-browser, google-chrome or google-chrome-stable on PATH. When none is found
# and apt-get can be run as root (or through passwordless sudo), installs Debian's `chromium`
# (then Ubuntu's `chromium-browser`), running `apt-get update` only if the first install fails.
# Never fails the build: without a browser the test is marked slow and `make test` leaves it out.
set -u

NAMES="chromium chromium-browser google-chrome google-chrome-stable"

found() {
    if [ -n "${JUDGE_BROWSER:-}" ]; then
        command -v "$JUDGE_BROWSER" >/dev/null 2>&1
        return
    fi
    local name
    for name in $NAMES; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    return 1
}

give_up() {
    echo "no Chromium: the HTML report's browser test is marked slow and left out" \
        "(install chromium to run it)" >&2
    exit 0
}

found && exit 0

if [ -n "${JUDGE_BROWSER:-}" ]; then
    # find_browser() looks nowhere else when JUDGE_BROWSER is set, so installing would not help.
    echo "JUDGE_BROWSER=$JUDGE_BROWSER is not an executable" >&2
    give_up
fi

command -v apt-get >/dev/null 2>&1 || give_up
if [ "$(id -u 2>/dev/null)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    give_up
fi

apt_install() {
    # `env` rather than a VAR=value prefix: that prefix would not survive an empty $SUDO.
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2
}

echo "installing Chromium for the HTML report's browser test (scripts/ensure_browser.sh)" >&2
updated=""
for pkg in chromium chromium-browser; do
    if apt_install "$pkg"; then
        found && exit 0
    elif [ -z "$updated" ]; then
        updated=1
        if $SUDO apt-get update -qq >&2 && apt_install "$pkg"; then
            found && exit 0
        fi
    fi
done
give_up

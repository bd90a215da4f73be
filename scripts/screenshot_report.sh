#!/usr/bin/env bash
# Render a casework HTML report in headless Chromium and save a screenshot, to look at it the
# way a person would (CJK text drawn, not boxes; charts present and not overlapping; tables
# readable) before handing a report over.  Chart text is SVG <text>: this browser draws the
# Chinese from its own fonts, so it needs a CJK font (apt-get install fonts-noto-cjk).
#
# Usage:
#   scripts/screenshot_report.sh REPORT.html [OUT.png] [WIDTH,HEIGHT]
#   scripts/screenshot_report.sh --demo [OUT.png] [WIDTH,HEIGHT]
#
#   REPORT.html     a report written by `casework report ... --out REPORT.html`
#   --demo          build one first: the Xuzhuang demo store, `casework report --year 2023`
#                   in Chinese, in a temporary directory (needs casework and its notebook
#                   extra installed in the Python on PATH, or in $PYTHON)
#   OUT.png         where to write the screenshot (default: REPORT.png beside the report,
#                   or report-demo.png in the current directory with --demo)
#   WIDTH,HEIGHT    the window, in CSS pixels (default 1280,2000); the screenshot is this size
#
# Environment:
#   CHROMIUM        the browser to run (default: the first of chromium, chromium-browser,
#                   google-chrome, google-chrome-stable on PATH)
#   PYTHON          the Python for --demo (default: python3)
#
# The browser runs with a throwaway profile and every background network feature switched
# off: a report must display without a network, and this is how we check that it does.
# Exit status: 0 with the screenshot written; 2 for bad usage; 3 when no Chromium is found.
set -euo pipefail

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    usage
    [[ $# -ge 1 ]] && exit 0 || exit 2
fi

find_chromium() {
    if [[ -n "${CHROMIUM:-}" ]]; then
        command -v "$CHROMIUM" || return 1
        return 0
    fi
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if ! browser="$(find_chromium)"; then
    echo "screenshot_report: no Chromium found (install it: apt-get install chromium; or set CHROMIUM)" >&2
    exit 3
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

if [[ "$1" == "--demo" ]]; then
    python="${PYTHON:-python3}"
    report="$workdir/report-demo.html"
    out="${2:-$PWD/report-demo.png}"
    if "$python" - "$workdir/demo.db" "$report" >"$workdir/report.log" 2>&1 <<'PY'
import sys

from casework.cli.report import demo_report

demo_report(sys.argv[1], sys.argv[2], lang="zh")
PY
    then
        :
    else
        echo "screenshot_report: building the demo report failed (is casework with its" \
            "notebook extra installed for $python? set PYTHON)" >&2
        cat "$workdir/report.log" >&2
        exit 1
    fi
else
    report="$1"
    if [[ ! -f "$report" ]]; then
        echo "screenshot_report: no such file: $report" >&2
        exit 2
    fi
    out="${2:-${report%.*}.png}"
fi
size="${3:-1280,2000}"

report_abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
mkdir -p "$(dirname "$out")"

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$workdir/profile" \
    --screenshot="$out" --window-size="$size" "file://$report_abs" \
    >"$workdir/chromium.log" 2>&1 || {
    echo "screenshot_report: Chromium failed; its log:" >&2
    cat "$workdir/chromium.log" >&2
    exit 1
}
if [[ ! -s "$out" ]]; then
    echo "screenshot_report: Chromium wrote no screenshot; its log:" >&2
    cat "$workdir/chromium.log" >&2
    exit 1
fi
echo "$out"

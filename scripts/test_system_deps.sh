#!/usr/bin/env bash
# What `make test` needs from the system besides Python: Chromium for the browser tests
# (tests/e2e, Playwright drives Debian's /usr/bin/chromium, or E2E_CHROMIUM), Pango with a font
# for WeasyPrint (the PDF tests) and GNU gettext (msgfmt, for the translation catalogue tests and
# `make messages`). The one place that installs them: `make test` runs this first, and so does CI
# (.ci/run, through `make test`).
#
# Missing packages are installed with apt-get when running as root on a Debian-like system;
# otherwise this prints what to run and exits non-zero, so `make test` stops before running
# hundreds of tests that would fail with "Chromium not found".
set -euo pipefail

chromium="${E2E_CHROMIUM:-/usr/bin/chromium}"
packages=(chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext)

if command -v dpkg-query >/dev/null 2>&1; then
  need=()
  for package in "${packages[@]}"; do
    if [ "$package" = chromium ]; then
      [ -x "$chromium" ] || need+=(chromium)
    else
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || need+=("$package")
    fi
  done
  [ ${#need[@]} -eq 0 ] && exit 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing what the tests need: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${need[@]}"
    [ -x "$chromium" ] || { echo "Chromium is still not at $chromium" >&2; exit 1; }
    exit 0
  fi
  cat >&2 <<EOF
make test needs system packages that are not installed: ${need[*]}
  (Chromium drives the browser tests in tests/e2e; Pango and a font let WeasyPrint render PDFs;
  gettext checks the translation catalogues.)
Install them once, as root:
  sudo apt-get update && sudo apt-get install -y ${need[*]}
or point E2E_CHROMIUM at a Chromium you have, then run make test again.
EOF
  exit 1
fi

# Not Debian: nothing to install with; check what the tests will use and say what is missing.
missing=0
if [ ! -x "$chromium" ]; then
  echo "Chromium not found at $chromium (the browser tests in tests/e2e drive it). Install" \
    "Chromium and set E2E_CHROMIUM=/path/to/chromium." >&2
  missing=1
fi
if ! "${PYTHON:-python3}" -c "import weasyprint" >/dev/null 2>&1; then
  echo "WeasyPrint cannot load Pango (the PDF tests need it): install Pango and a font, see" \
    "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html" >&2
  missing=1
fi
exit "$missing"

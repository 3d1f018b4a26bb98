#!/usr/bin/env bash
# The suites drive real programs, as users run them: Debian's chromium (the web example's
# browser test) and redis-server (the fleet tests). `pnpm test` runs this first: it installs what
# is missing when it can (root with apt-get, as on CI), and otherwise says what to install.
# CHROMIUM_PATH / REDIS_SERVER point the suites at binaries installed elsewhere.
set -euo pipefail
missing=()
[ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -n "${REDIS_SERVER:-}" ] || command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the Debian packages the test suites drive: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  exit 0
fi
echo "The test suites drive real ${missing[*]}, which this machine lacks." >&2
echo "Install Debian's packages (sudo apt-get install -y --no-install-recommends ${missing[*]})," >&2
echo "or point CHROMIUM_PATH / REDIS_SERVER at the binaries, then run the tests again." >&2
exit 1

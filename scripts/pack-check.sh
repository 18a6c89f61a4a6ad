#!/usr/bin/env bash
# Packs the project as npm publishes it and installs the tarball globally into a temporary prefix,
# as a user on a clean machine would; the installed command must answer --version and --help, and
# the install must run no install script (the build happens on prepack, before packing).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/redis-cluster-tunnel-*.tgz)
npm install --global --prefix "$work/prefix" --no-audit --no-fund --foreground-scripts "$tarball" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; echo "pack-check: the install failed" >&2; exit 1; }
if grep -Eiq 'install script|prepare|postinstall|npm warn' "$work/install.log"; then
  cat "$work/install.log"; echo "pack-check: the install ran a script or warned" >&2; exit 1
fi
bin="$work/prefix/bin/redis-cluster-tunnel"
want=$(node -p 'require("./package.json").version')
got=$("$bin" --version)
test "$got" = "$want" || { echo "pack-check: --version printed '$got', expected '$want'" >&2; exit 1; }
"$bin" --help | grep -q -- '--ready-file' || { echo "pack-check: --help lacks the options" >&2; exit 1; }
echo "pack-check: $(basename "$tarball") installs and runs: --version $got"

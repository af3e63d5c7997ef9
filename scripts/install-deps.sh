#!/usr/bin/env bash
# Installs the Debian packages spsim needs, skipping those already present,
# and the npm packages of tests/viewer from their committed lock file.
# Usage: scripts/install-deps.sh        (uses sudo when not run as root)
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost-graph-dev      # Boost.Graph: topology graphs and routing
  libeigen3-dev           # Eigen: float64 reference numerics, least-squares calibration
  nlohmann-json3-dev      # JSON configs, topologies, traces
  libcli11-dev            # the command line
  libfmt-dev              # formatting
  doctest-dev             # unit tests
  coinor-libcbc-dev       # COIN-OR CBC: the FlexSP planner's MILP solver
  zlib1g-dev              # zlib: Kineto .json.gz traces; and cbc.pc's link line asks for -lz (no CBC
                          # package depends on zlib1g-dev; bz2, lapack, blas: they do)
  gnuplot-nox             # spsim plot: figures (SVG, PNG) from sweeps and runs
  openmpi-bin libopenmpi-dev  # Open MPI: `mpirun -np N spsim sweep` splits a sweep over ranks
  nodejs                  # the trace viewer test: Chrome DevTools' trace engine (tests/viewer)
  clang                   # the fuzz build (scripts/fuzz.sh): libFuzzer needs clang
  libclang-rt-14-dev      # libFuzzer and clang's sanitizer runtimes (not pulled in by clang
                          # without recommends)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm: Debian's package, unless node's own distribution (which bundles npm)
# is installed.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  echo "spsim: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# npm packages, exactly those of the committed lock file: Chrome DevTools'
# trace engine for the trace viewer test (tests/viewer).
viewer="$(dirname "$0")/../tests/viewer"
if [ ! -f "$viewer/node_modules/.package-lock.json" ] ||
   [ "$viewer/package-lock.json" -nt "$viewer/node_modules/.package-lock.json" ]; then
  echo "spsim: installing tests/viewer's npm packages (npm ci, from package-lock.json)" >&2
  (cd "$viewer" && npm ci --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# Runs the README's two commands on a brand-new minimal Debian 12 (bookworm):
# builds a minbase root with debootstrap in a temporary folder, copies this
# checkout and ../shared into it (as /src/main and /src/shared, so ../shared
# sits beside the checkout as it does here), and runs inside it, with chroot:
#   1. scripts/run.sh    (install what is missing, build, the default study)
#   2. scripts/test.sh   (the whole test suite, both builds)
# For each it prints the last lines it printed and its exit code; the script
# exits 0 only when both exited 0. Everything it mounted is unmounted and the
# root removed on the way out, whatever happened.
#
# It takes a while (a Debian root, then two full builds): it is not part of
# CI. Run it before resolving anything that touches dependencies, the build or
# the README commands.
#
# Usage: scripts/fresh-machine-check.sh [--keep] [--tail N]
#   --keep     keep the root (its path is printed) instead of removing it
#   --tail N   lines of each command's output to print (default 25)
# Environment: SPSIM_DEBIAN_MIRROR (default: the mirror this machine's apt uses,
#   else http://deb.debian.org/debian).
# Needs root (debootstrap, mount, chroot); installs debootstrap when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd)
shared="$checkout/../shared"

keep=0
tail_lines=25
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --tail)
      [ $# -ge 2 ] || { echo "fresh-machine-check: --tail expects a line count" >&2; exit 2; }
      tail_lines="$2"; shift ;;
    *) echo "fresh-machine-check: unknown argument '$1' (expected --keep or --tail N)" >&2; exit 2 ;;
  esac
  shift
done
case "$tail_lines" in ''|*[!0-9]*) echo "fresh-machine-check: --tail expects a line count, got '$tail_lines'" >&2; exit 2 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-machine-check: needs root (debootstrap, mount, chroot)" >&2
  exit 2
fi
if [ ! -d "$shared" ]; then
  echo "fresh-machine-check: ../shared not found beside the checkout ($shared)" >&2
  exit 2
fi
if ! command -v debootstrap > /dev/null; then
  echo "fresh-machine-check: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap > /dev/null ||
    { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap > /dev/null; }
fi

mirror="${SPSIM_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  # The first Debian (not security) URI this machine's apt uses.
  mirror=$(grep -hoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+' | grep -v security | head -1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
fi

root=$(mktemp -d /tmp/spsim-fresh.XXXXXX)
mounted=()
cleanup() {
  local rc=$?
  # Unmount in reverse order; lazily when something still holds a mount.
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2> /dev/null || umount -l "${mounted[i]}" 2> /dev/null || true
  done
  if [ "$keep" -eq 1 ]; then
    echo "fresh-machine-check: root kept at $root"
  elif findmnt -rno TARGET | grep -q "^$root"; then
    echo "fresh-machine-check: something is still mounted under $root; not removing it" >&2
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== debootstrap bookworm (minbase) from $mirror into $root =="
start=$(date +%s)
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1; then
  tail -n "$tail_lines" "$root.debootstrap.log"
  echo "fresh-machine-check: debootstrap failed (log above)" >&2
  rm -f "$root.debootstrap.log"
  exit 1
fi
rm -f "$root.debootstrap.log"
echo "root ready in $(($(date +%s) - start)) s"

mkdir -p "$root/src/main" "$root/src/shared"
# The working tree as it is (committed or not), without build outputs.
tar -C "$checkout" --exclude='./build*' --exclude='./out' --exclude='./.git' -cf - . | tar -C "$root/src/main" -xf -
tar -C "$shared" -cf - . | tar -C "$root/src/shared" -xf -
cp /etc/resolv.conf "$root/etc/resolv.conf" 2> /dev/null || true

for m in proc sys dev dev/pts; do
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sysfs "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount --bind /dev/pts "$root/dev/pts" ;;
  esac
  mounted+=("$root/$m")
done

status=0
run_inside() {
  local name="$1"
  local log="$root/src/$name.log"
  echo
  echo "== $name (inside the fresh root) =="
  local t0 rc
  t0=$(date +%s)
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 /bin/bash -c "cd /src/main && scripts/$name" > "$log" 2>&1 < /dev/null
  rc=$?
  set -e
  echo "-- last $tail_lines lines of scripts/$name --"
  tail -n "$tail_lines" "$log"
  echo "-- scripts/$name exited $rc after $(($(date +%s) - t0)) s --"
  [ "$rc" -eq 0 ] || status=1
}
run_inside run.sh
run_inside test.sh

echo
if [ "$status" -eq 0 ]; then
  echo "fresh-machine-check: both README commands passed on a fresh Debian 12"
else
  echo "fresh-machine-check: FAILED (see the exit codes above)"
fi
exit "$status"

#!/bin/sh
# Installs everything hwlock needs to build, test, fuzz and benchmark on Debian 12.
# Idempotent and non-interactive; runs apt-get only when a package is missing.
set -eu

RUNTIME="build-essential cmake ninja-build pkg-config libssl-dev openssl nlohmann-json3-dev
  libcli11-dev zlib1g-dev"
TEST="libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev clang-14 libfuzzer-14-dev
  libclang-rt-14-dev python3 valgrind qemu-user g++-aarch64-linux-gnu"
WORKBENCH="libtorch-dev libopenblas0-pthread python3-torch dataset-fashion-mnist"

want="$RUNTIME $TEST"
case "${1:-all}" in
  runtime) want="$RUNTIME" ;;
  test) want="$RUNTIME $TEST" ;;
  all) want="$RUNTIME $TEST $WORKBENCH" ;;
  *) echo "usage: $0 [runtime|test|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

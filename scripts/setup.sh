#!/usr/bin/env bash
# Installs what building and testing wattshift needs on a fresh Debian machine, and nothing when
# it is there: HiGHS is compiled from source by highs-sys, which needs cmake, a C++ compiler and
# libclang (for bindgen); the report test needs chromium. Safe to run again; quiet when
# everything is present.
set -euo pipefail

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
# bindgen loads libclang; LIBCLANG_PATH points at one installed elsewhere.
if [ -z "${LIBCLANG_PATH:-}" ] && ! dpkg -s libclang-dev >/dev/null 2>&1; then
  missing+=(libclang-dev)
fi
# The report test opens report.html in a real headless browser (Debian's chromium), with a
# font for its text.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The Python package's tests run in a venv (scripts/python_test.sh).
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (needed to build HiGHS and to test the HTML report)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is not installed; install Rust (rustup) first" >&2
  exit 1
fi

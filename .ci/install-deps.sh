#!/usr/bin/env bash
# Installs everything libsciml needs to build, test and run its demo on Debian 12, as root.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
    build-essential cmake pkg-config            # toolchain
    libopenblas-dev liblapacke-dev              # BLAS (CBLAS) and LAPACKE
    libfftw3-dev                                # FFTW3
    libsundials-dev                             # SUNDIALS CVODES
    libcunit1-dev                               # CUnit
    netcdf-bin                                  # ncdump/ncgen: format round-trip tests
    python3-netcdf4 python3-xarray              # interop tests (reading our files from Python)
    clang libclang-rt-14-dev                    # libFuzzer harness
    time                                        # /usr/bin/time for memory checks
    groff-base                                  # man page rendering check
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

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

# Test data for tests/cli/test_pi3nn_diabetes.sh: the diabetes regression set (two small files,
# with the package's copyright file) taken from python3-sklearn's package file, which is
# downloaded and unpacked but not installed (2 MB, none of its dependencies). Not fatal: without
# it that test is skipped.
diabetes=/usr/local/share/sciml/diabetes
sklearn_data=usr/lib/python3/dist-packages/sklearn/datasets/data
if [ ! -f "$diabetes/diabetes_target.csv.gz" ] &&
    [ ! -f "/$sklearn_data/diabetes_target.csv.gz" ] && [ "$(id -u)" -eq 0 ]; then
    unpack=$(mktemp -d)
    if (cd "$unpack" && apt-get download -qq python3-sklearn 2>/dev/null &&
        dpkg-deb -x python3-sklearn_*.deb x); then
        mkdir -p "$diabetes"
        cp "$unpack/x/$sklearn_data/diabetes_data_raw.csv.gz" \
            "$unpack/x/$sklearn_data/diabetes_target.csv.gz" \
            "$unpack/x/usr/share/doc/python3-sklearn/copyright" "$diabetes/"
    else
        echo "install-deps: could not fetch python3-sklearn for the diabetes test data" \
            "(tests/cli/test_pi3nn_diabetes.sh will be skipped)" >&2
    fi
    rm -rf "$unpack"
fi

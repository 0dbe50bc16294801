#!/usr/bin/env bash
# Files written by libsciml's netCDF writer (CDF-1, CDF-2, CDF-5) are read by netCDF4-python
# and xarray with the expected values. Exits 77 (skipped) when /usr/bin/python3 lacks netCDF4
# or xarray, or when the io test executable has not been built.
set -euo pipefail
python=/usr/bin/python3
if [ ! -x "$python" ] || ! "$python" -c 'import netCDF4, xarray' 2>/dev/null; then
    echo "test_io_python: /usr/bin/python3 with netCDF4 and xarray not found; skipped"
    exit 77
fi
writer="${SCIML_BIN:-build/tools}/../tests/test_io_netcdf"
if [ ! -x "$writer" ]; then
    echo "test_io_python: $writer not built; skipped"
    exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/sciml-io-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$writer" --write-examples "$work"

"$python" - "$work" <<'PY'
import sys, numpy as np, netCDF4, xarray as xr
work = sys.argv[1]
for fmt, kind in ((1, "NETCDF3_CLASSIC"), (2, "NETCDF3_64BIT_OFFSET"), (5, "NETCDF3_64BIT_DATA")):
    path = f"{work}/example-cdf{fmt}.nc"
    with netCDF4.Dataset(path) as ds:
        assert ds.file_format == kind, (path, ds.file_format)
        ds.set_auto_mask(False)
        assert ds.dimensions["sample"].isunlimited() and len(ds.dimensions["sample"]) == 3
        assert ds.title == "classic test"
        assert list(ds.gs) == [-300, 7] and ds.gd[1] == -1e300
        assert ds["b"][:].tolist() == [-128, 0, 127]
        assert ds["s"][:].tolist() == [-32768, 1, 32767]
        assert ds["i"][:].tolist() == [-2000000000, 2147483647]
        assert np.array_equal(ds["d"][:], np.arange(1, 7, dtype=float).reshape(2, 3))
        assert np.array_equal(ds["u"][:], [[0.1, 0.2, 0.3], [1.1, 1.2, 1.3], [2.1, 2.2, 2.3]])
        assert ds["rs"][:].tolist() == [10, -20, 30] and ds["ri"][:].tolist() == [7, 8, 9]
        assert ds["u"].sciml_role == "output"
    with xr.open_dataset(path) as ds:
        assert ds["u"].dims == ("sample", "x") and ds["u"].shape == (3, 3)
        assert float(ds["u"][2, 1]) == 2.2
        assert ds.attrs["title"] == "classic test"
print("netCDF4 and xarray read CDF-1, CDF-2 and CDF-5 files written by libsciml")
PY

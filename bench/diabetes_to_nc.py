"""Converts the diabetes regression data set shipped by Debian's python3-sklearn (442
patients, 10 features, a disease-progression target; Efron et al. 2004) into a training and a
held-out netCDF file for sciml-train pi3nn: a random 75/25 split drawn with SPLIT_SEED.
Usage: diabetes_to_nc.py DATA_DIR OUT_DIR [SPLIT_SEED]   (DATA_DIR holds
diabetes_data_raw.csv.gz and diabetes_target.csv.gz, e.g. from `apt-get download
python3-sklearn; dpkg-deb -x ...`; SPLIT_SEED defaults to 0). Writes diabetes-train.nc (332
samples) and diabetes-test.nc (110 samples) in OUT_DIR."""
import os
import sys

import netCDF4
import numpy as np

data_dir, out_dir = sys.argv[1], sys.argv[2]
split_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
x = np.loadtxt(os.path.join(data_dir, "diabetes_data_raw.csv.gz"))
y = np.loadtxt(os.path.join(data_dir, "diabetes_target.csv.gz")).reshape(-1, 1)
order = np.random.default_rng(split_seed).permutation(len(x))
held_out = len(x) // 4
for name, rows in (("train", order[held_out:]), ("test", order[:held_out])):
    with netCDF4.Dataset(os.path.join(out_dir, f"diabetes-{name}.nc"), "w",
                         format="NETCDF3_64BIT_OFFSET") as f:
        f.createDimension("sample", None)
        f.createDimension("feature", x.shape[1])
        f.createDimension("output", 1)
        vx = f.createVariable("x", "f8", ("sample", "feature"))
        vx.sciml_role = "input"
        vy = f.createVariable("y", "f8", ("sample", "output"))
        vy.sciml_role = "output"
        vx[:] = x[rows]
        vy[:] = y[rows]

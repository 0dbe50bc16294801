#!/usr/bin/python3
"""Plain-PyTorch reference for the MLP benchmark (bench/mlp.sh).

The same model and training loop as `sciml-train mlp`: inputs and outputs standardised
per column with the training set's mean and standard deviation, nn.Sequential
in -> hidden... (tanh) -> out in float64 with PyTorch's default initialisation, mean squared
error on the standardised outputs, Adam, mini-batches drawn from a fresh permutation each
epoch (the last batch may be smaller), one intra-op thread.

Prints one JSON object per epoch, {"epoch", "loss", "seconds"} (loss: the sample-weighted mean
of the batch losses during that epoch; seconds: that epoch's wall time, shuffling included),
then a summary object with the median epoch time.

Run with Debian's /usr/bin/python3 (it has torch and netCDF4), pinned to one core:
    taskset -c 0 env OMP_NUM_THREADS=1 /usr/bin/python3 bench/mlp_torch.py --data osc.nc
"""
import argparse
import json
import os
import statistics
import sys
import time

import netCDF4
import numpy as np
import torch


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="netCDF file with the input and output variables")
    parser.add_argument("--input", default="x", help="input variable (sample, features) [%(default)s]")
    parser.add_argument("--output", default="y", help="output variable (sample, outputs) [%(default)s]")
    parser.add_argument("--hidden", default="64,64,64", help="hidden widths [%(default)s]")
    parser.add_argument("--activation", default="tanh", choices=["tanh", "relu", "gelu", "silu"],
                        help="hidden activation [%(default)s]")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the data [%(default)s]")
    parser.add_argument("--batch", type=int, default=128, help="mini-batch size [%(default)s]")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate [%(default)s]")
    parser.add_argument("--seed", type=int, default=1, help="torch seed [%(default)s]")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads [%(default)s]")
    arguments = parser.parse_args()
    errors = []
    if arguments.epochs < 1:
        errors.append("--epochs must be >= 1")
    if arguments.batch < 1:
        errors.append("--batch must be >= 1")
    if not arguments.lr > 0:
        errors.append("--lr must be > 0")
    try:
        arguments.hidden = [int(width) for width in arguments.hidden.split(",")]
        if any(width < 1 for width in arguments.hidden):
            raise ValueError
    except ValueError:
        errors.append("--hidden must be a comma-separated list of positive integers")
    if errors:
        for error in errors:
            print(f"mlp_torch.py: error: {error}", file=sys.stderr)
        sys.exit(2)
    return arguments


def read_matrix(dataset, name, path):
    if name not in dataset.variables:
        sys.exit(f"mlp_torch.py: {path}: no variable '{name}' (has: {', '.join(dataset.variables)})")
    values = np.asarray(dataset.variables[name][:], dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        sys.exit(f"mlp_torch.py: {path}: variable '{name}' has {values.ndim} dimensions, "
                 "expected 2 (sample, feature)")
    return values


def standardise(values):
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    return (values - mean) / scale


def main():
    arguments = parse_arguments()
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    with netCDF4.Dataset(arguments.data) as dataset:
        dataset.set_auto_mask(False)
        inputs = read_matrix(dataset, arguments.input, arguments.data)
        outputs = read_matrix(dataset, arguments.output, arguments.data)
    if inputs.shape[0] != outputs.shape[0]:
        sys.exit(f"mlp_torch.py: {arguments.data}: {inputs.shape[0]} input samples but "
                 f"{outputs.shape[0]} output samples")
    x = torch.from_numpy(standardise(inputs))  # (sample, in)
    y = torch.from_numpy(standardise(outputs))  # (sample, out)
    samples = x.shape[0]

    activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "gelu": torch.nn.GELU,
                  "silu": torch.nn.SiLU}[arguments.activation]
    widths = [x.shape[1]] + arguments.hidden + [y.shape[1]]
    layers = []
    for index in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[index], widths[index + 1]))
        if index < len(widths) - 2:
            layers.append(activation())
    model = torch.nn.Sequential(*layers).double()
    optimizer = torch.optim.Adam(model.parameters(), lr=arguments.lr)
    loss_function = torch.nn.MSELoss()

    epoch_seconds = []
    for epoch in range(1, arguments.epochs + 1):
        start = time.perf_counter()
        permutation = torch.randperm(samples)
        loss_sum = 0.0
        for first in range(0, samples, arguments.batch):
            index = permutation[first:first + arguments.batch]
            batch_x, batch_y = x[index], y[index]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(batch_x), batch_y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * index.shape[0]
        seconds = time.perf_counter() - start
        epoch_seconds.append(seconds)
        print(json.dumps({"epoch": epoch, "loss": loss_sum / samples, "seconds": seconds}),
              flush=True)

    parameters = sum(p.numel() for p in model.parameters())
    print(json.dumps({
        "summary": True,
        "median_epoch_seconds": statistics.median(epoch_seconds),
        "epochs": arguments.epochs,
        "samples": samples,
        "batch": arguments.batch,
        "widths": widths,
        "parameters": parameters,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "affinity": sorted(os.sched_getaffinity(0)),
    }), flush=True)


if __name__ == "__main__":
    main()

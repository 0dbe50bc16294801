"""Plain PyTorch version of `sciml-train pi3nn` with its defaults, for bench/pi3nn.sh.

The same procedure as libsciml/models/pi3nn.c, float64, one thread: inputs and outputs
standardised with the training mean and (population) standard deviation; a mean network
1-64-1 relu trained with the MSE; the residuals split into the points above and below it; an
upper and a lower network 1-64-1 relu whose output bias starts at 20, trained with the MSE on
the positive residuals and the magnitudes of the negative ones; each network 200 epochs of
mini-batches of 100 with a fresh shuffle per epoch, Adam at lr 0.01; then the bisection for the
scale factors at level 0.95 (K = floor(N (1 - level) / 2) points on or beyond each bound).
Prints one JSON line with the wall time of the whole procedure (data loading excluded).
Usage: pi3nn_torch.py TRAIN.nc [REPEATS]
"""
import json
import math
import sys
import time

import netCDF4
import numpy as np
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def network(bias=None):
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    if bias is not None:
        with torch.no_grad():
            net[2].bias.fill_(bias)
    return net


def train(net, x, y, epochs=200, batch=100, lr=1e-2):
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            optimizer.zero_grad()
            loss = torch.mean((net(x[rows]) - y[rows]) ** 2)
            loss.backward()
            optimizer.step()


def bisect(ratios, target):
    low, high = 0.0, 2.0 * max(float(ratios.max()), 0.0) + 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        count = int((ratios >= middle).sum())
        if count == target:
            return middle
        if count > target:
            low = middle
        else:
            high = middle
    return high


def pi3nn(x, y, level=0.95):
    xs = (x - x.mean(0)) / x.std(0, unbiased=False)
    ys = (y - y.mean(0)) / y.std(0, unbiased=False)
    f = network()
    train(f, xs, ys)
    with torch.no_grad():
        r = ys - f(xs)
    up, down = r[:, 0] > 0, r[:, 0] < 0
    u = network(20.0)
    train(u, xs[up], r[up])
    l = network(20.0)
    train(l, xs[down], -r[down])
    with torch.no_grad():
        target = math.floor(x.shape[0] * (1 - level) / 2)
        nu = bisect((r / u(xs).abs())[:, 0], target)
        xi = bisect((-r / l(xs).abs())[:, 0], target)
    return nu, xi


def main():
    data = netCDF4.Dataset(sys.argv[1])
    x = torch.tensor(np.asarray(data["x"][:], dtype=np.float64))
    y = torch.tensor(np.asarray(data["y"][:], dtype=np.float64))
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for repeat in range(repeats):
        torch.manual_seed(repeat)
        start = time.perf_counter()
        nu, xi = pi3nn(x, y)
        seconds = time.perf_counter() - start
        print(json.dumps({"repeat": repeat, "seconds": seconds, "nu": nu, "xi": xi}), flush=True)


if __name__ == "__main__":
    main()

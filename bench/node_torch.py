"""Neural ODE on the spiral with torchdiffeq, the reference side of bench/node.sh.

    node_torch.py spiral.nc ITERATIONS SEED

The issue's set-up, as bench/node_bench.c runs it: dy/dt = MLP(y^3), MLP 2-50-2 tanh in
float64, batch 20 segments of 10 steps (11 points) drawn uniformly, MSE loss, Adam lr 1e-2,
dopri5 with rtol 1e-7 and atol 1e-9, one thread. Times a training iteration (forward solve,
backward, Adam step) with odeint_adjoint and with plain odeint (backpropagation through the
solver's operations), and counts the function evaluations per iteration (forward and
backward). Prints one JSON object per method.
"""
import json
import sys
import time

import numpy as np
import scipy.io
import torch
from torchdiffeq import odeint, odeint_adjoint

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


class Field(torch.nn.Module):
    """f(y) = MLP(y^3), counting its evaluations."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, 50), torch.nn.Tanh(), torch.nn.Linear(50, 2))
        self.evaluations = 0

    def forward(self, t, y):
        self.evaluations += 1
        return self.net(y ** 3)


def main():
    path, iterations, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with scipy.io.netcdf_file(path, "r", mmap=False) as data:
        times = np.array(data.variables["t"][:], dtype=np.float64)
        states = np.array(data.variables["y"][0], dtype=np.float64)  # (time, state)
    segment, batch = 10, 20
    t = torch.tensor(times[: segment + 1] - times[0])
    y = torch.tensor(states)
    for name, solve in (("odeint_adjoint", odeint_adjoint), ("odeint", odeint)):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        field = Field()
        optimizer = torch.optim.Adam(field.parameters(), lr=1e-2)
        elapsed, evaluations = [], 0
        for _ in range(iterations):
            starts = rng.integers(0, len(times) - segment, size=batch)
            index = torch.tensor(starts[:, None] + np.arange(segment + 1)[None, :])
            observed = y[index]                      # (batch, points, state)
            begin = time.perf_counter()
            field.evaluations = 0
            optimizer.zero_grad()
            predicted = solve(field, observed[:, 0, :], t, rtol=1e-7, atol=1e-9,
                              method="dopri5")       # (points, batch, state)
            loss = torch.mean((predicted[1:].transpose(0, 1) - observed[:, 1:, :]) ** 2)
            loss.backward()
            optimizer.step()
            elapsed.append(time.perf_counter() - begin)
            evaluations += field.evaluations
        print(json.dumps({"method": name, "iterations": iterations,
                          "median_seconds": float(np.median(elapsed)),
                          "evaluations_per_iteration": evaluations / iterations,
                          "last_loss": float(loss)}), flush=True)


if __name__ == "__main__":
    main()

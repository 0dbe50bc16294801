#!/usr/bin/env python3
"""The Burgers PINN of bench/pinn.sh in plain PyTorch, the usual way: input derivatives by
nested torch.autograd.grad(create_graph=True), float64, one thread.

    u_t + u u_x - nu u_xx = 0 on [-1, 1] x [0, 1], u(x, 0) = -sin(pi x), u(+-1, t) = 0,
    net 2-[20]x3-1 tanh, 2540 interior + 80 boundary + 160 initial points.

Prints one JSON object: seconds per Adam step and per L-BFGS iteration (torch.optim.LBFGS with
the strong Wolfe line search, history 50), and the final loss of each phase.

    taskset -c 0 python3 bench/pinn_torch.py --adam 500 --lbfgs 200
"""
import argparse
import json
import math
import time

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--adam", type=int, default=500)
    parser.add_argument("--lbfgs", type=int, default=200)
    parser.add_argument("--interior", type=int, default=2540)
    parser.add_argument("--boundary", type=int, default=80)
    parser.add_argument("--initial", type=int, default=160)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    nu = 0.01 / math.pi

    # Latin hypercube interior points, boundary and initial points as in sciml-train pinn.
    def lhs(n, dims):
        u = (np.stack([rng.permutation(n) for _ in range(dims)], 1) + rng.random((n, dims))) / n
        return u

    p = lhs(args.interior, 2)
    x_r = torch.tensor(2 * p[:, :1] - 1, requires_grad=True)
    t_r = torch.tensor(p[:, 1:], requires_grad=True)
    half = args.boundary // 2
    tb = torch.tensor(lhs(args.boundary, 1))
    xb = torch.tensor(np.concatenate([-np.ones((half, 1)), np.ones((args.boundary - half, 1))]))
    x0 = torch.tensor(2 * lhs(args.initial, 1) - 1)
    t0 = torch.zeros_like(x0)
    u0 = -torch.sin(math.pi * x0)

    layers = [2, 20, 20, 20, 1]
    modules = []
    for i in range(len(layers) - 1):
        linear = torch.nn.Linear(layers[i], layers[i + 1])
        torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        modules.append(linear)
        if i < len(layers) - 2:
            modules.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*modules)

    def loss_fn():
        u = net(torch.cat([x_r, t_r], 1))
        u_x, u_t = torch.autograd.grad(u, (x_r, t_r), torch.ones_like(u), create_graph=True)
        u_xx = torch.autograd.grad(u_x, x_r, torch.ones_like(u_x), create_graph=True)[0]
        r = u_t + u * u_x - nu * u_xx
        ub = net(torch.cat([xb, tb], 1))
        ui = net(torch.cat([x0, t0], 1))
        return (r ** 2).mean() + (ub ** 2).mean() + ((ui - u0) ** 2).mean()

    adam = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(args.adam):
        adam.zero_grad()
        loss = loss_fn()
        loss.backward()
        adam.step()
    adam_seconds = time.perf_counter() - start
    adam_loss = float(loss)

    lbfgs = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=args.lbfgs,
                              max_eval=args.lbfgs * 5 // 4 + 100, history_size=50,
                              tolerance_grad=1e-12, tolerance_change=1e-14,
                              line_search_fn="strong_wolfe")
    evaluations = [0]

    def closure():
        lbfgs.zero_grad()
        value = loss_fn()
        value.backward()
        evaluations[0] += 1
        return value

    start = time.perf_counter()
    lbfgs.step(closure)
    lbfgs_seconds = time.perf_counter() - start
    iterations = lbfgs.state[lbfgs._params[0]]["n_iter"]
    print(json.dumps({
        "adam_steps": args.adam, "adam_seconds": adam_seconds,
        "adam_ms_per_step": 1e3 * adam_seconds / max(args.adam, 1), "adam_loss": adam_loss,
        "lbfgs_iterations": iterations, "lbfgs_evaluations": evaluations[0],
        "lbfgs_seconds": lbfgs_seconds,
        "lbfgs_ms_per_iteration": 1e3 * lbfgs_seconds / max(iterations, 1),
        "lbfgs_loss": float(loss_fn()), "torch": torch.__version__}))


if __name__ == "__main__":
    main()

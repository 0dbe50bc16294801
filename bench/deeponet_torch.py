#!/usr/bin/python3
"""Plain-PyTorch reference for the DeepONet benchmark (bench/deeponet.sh).

The same model and training loop as `sciml-train deeponet` on aligned data: the sensor values
standardised with one mean and standard deviation, the query coordinate and the output each
with their own (training-set statistics); branch nn.Sequential(m -> 40 (ReLU) -> 40), trunk
nn.Sequential(1 -> 40 (ReLU) -> 40) followed by ReLU, prediction B T^T + b (one matmul for the
whole batch x points product), mean squared error in standardised units, full-batch Adam,
float64, one intra-op thread, Glorot-normal weights and zero biases.

Prints one JSON object per 1000 iterations, then a summary object with the median time per
training iteration, the test MSE (data units) and the evaluation throughput (function x point
pairs per second of the forward pass on the evaluation set, in batches of --eval-batch), in
float64 and again in float32 (a copy of the trained model made .float(), the evaluation inputs
float32 tensors made before the timed passes, as the float64 ones are); each as the best pass
in wall time and in the thread's CPU time.

Run with Debian's /usr/bin/python3 (it has torch and netCDF4), pinned to one core:
    taskset -c 0 env OMP_NUM_THREADS=1 /usr/bin/python3 bench/deeponet_torch.py \\
        --data train.nc --test test.nc --eval eval.nc
"""
import argparse
import copy
import json
import statistics
import time

import netCDF4
import numpy as np
import torch


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="training set (v, u, x) [required]")
    parser.add_argument("--test", required=True, help="test set [required]")
    parser.add_argument("--eval", required=True, help="evaluation-throughput set [required]")
    parser.add_argument("--iterations", type=int, default=10000, help="Adam steps [%(default)s]")
    parser.add_argument("--width", type=int, default=40, help="hidden width and p [%(default)s]")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate [%(default)s]")
    parser.add_argument("--eval-batch", type=int, default=1000, help="functions per batch [%(default)s]")
    parser.add_argument("--repeats", type=int, default=5, help="evaluation passes [%(default)s]")
    parser.add_argument("--seed", type=int, default=1, help="torch seed [%(default)s]")
    parser.add_argument("--save", help="write the trained parameters to this file")
    parser.add_argument("--load", help="evaluate the parameters of this file (from --save) "
                        "instead of training: prints the evaluation summary only")
    return parser.parse_args()


def read(path):
    with netCDF4.Dataset(path) as data:
        return (np.array(data["v"][:], dtype=np.float64), np.array(data["x"][:], dtype=np.float64),
                np.array(data["u"][:], dtype=np.float64))


class DeepONet(torch.nn.Module):
    def __init__(self, sensors, width):
        super().__init__()
        self.branch = torch.nn.Sequential(torch.nn.Linear(sensors, width), torch.nn.ReLU(),
                                          torch.nn.Linear(width, width))
        self.trunk = torch.nn.Sequential(torch.nn.Linear(1, width), torch.nn.ReLU(),
                                         torch.nn.Linear(width, width))
        self.bias = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        for layer in list(self.branch) + list(self.trunk):
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.xavier_normal_(layer.weight)
                torch.nn.init.zeros_(layer.bias)

    def forward(self, functions, points):
        b = self.branch(functions)              # (batch, p)
        t = torch.relu(self.trunk(points))      # (P, p)
        return b @ t.T + self.bias              # (batch, P)


def time_evaluation(model, functions, points, u_std, u_mean, args):
    """Wall and thread CPU seconds of each of args.repeats passes over all functions in batches
    (forward only; one intra-op thread, so the work runs in this thread)."""
    passes, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        for first in range(0, functions.shape[0], args.eval_batch):
            out = model(functions[first:first + args.eval_batch], points)
            out = out * u_std + u_mean
        passes.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return passes, cpu


def main():
    args = parse_arguments()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    torch.set_default_dtype(torch.float64)
    v, x, u = read(args.data)
    test_v, test_x, test_u = read(args.test)
    eval_v, eval_x, _ = read(args.eval)
    sensor_mean, sensor_std = v.mean(), v.std()
    x_mean, x_std = x.mean(), x.std()
    u_mean, u_std = u.mean(), u.std()
    tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    functions = tensor((v - sensor_mean) / sensor_std)
    points = tensor(((x - x_mean) / x_std)[:, None])
    targets = tensor((u - u_mean) / u_std)
    model = DeepONet(v.shape[1], args.width)
    if args.load:
        model.load_state_dict(torch.load(args.load))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    times = []
    for iteration in range(1, 0 if args.load else args.iterations + 1):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.mean((model(functions, points) - targets) ** 2)
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
        if iteration % 1000 == 0:
            print(json.dumps({"iteration": iteration, "loss": loss.item(),
                              "seconds": sum(times[-1000:])}), flush=True)
    with torch.no_grad():
        prediction = model(tensor((test_v - sensor_mean) / sensor_std),
                           tensor(((test_x - x_mean) / x_std)[:, None])) * u_std + u_mean
        test_mse = float(torch.mean((prediction - tensor(test_u)) ** 2))
        eval_functions = tensor((eval_v - sensor_mean) / sensor_std)
        eval_points = tensor(((eval_x - x_mean) / x_std)[:, None])
        passes, cpu = time_evaluation(model, eval_functions, eval_points, u_std, u_mean, args)
        model_f32 = copy.deepcopy(model).float()
        passes_f32, cpu_f32 = time_evaluation(model_f32, eval_functions.float(),
                                              eval_points.float(), float(u_std), float(u_mean),
                                              args)
    if args.save:
        torch.save(model.state_dict(), args.save)
    pairs = eval_functions.shape[0] * eval_points.shape[0]
    print(json.dumps({"summary": True, "iterations": len(times),
                      "median_iteration_seconds": statistics.median(times) if times else None,
                      "mean_iteration_seconds": sum(times) / len(times) if times else None,
                      "test_mse": test_mse, "eval_pairs": pairs,
                      "eval_seconds": min(passes), "eval_pairs_per_second": pairs / min(passes),
                      "eval_pairs_per_cpu_second": pairs / min(cpu),
                      "eval_seconds_f32": min(passes_f32),
                      "eval_pairs_per_second_f32": pairs / min(passes_f32),
                      "eval_pairs_per_cpu_second_f32": pairs / min(cpu_f32),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()

"""Plain PyTorch version of `sciml-train pi3nn` with its defaults, for bench/pi3nn.sh.

The procedure of libsciml/models/pi3nn.c (the defaults of sciml-train pi3nn), step by step,
float64, one thread. Units are standardised (x and y by the mean and population standard
deviation of the fitting part):
 1. split: a random 30% of the points (round(0.3 N)) are held out (validation), the rest fit;
 2. networks 1-64-1 relu, every layer He normal (W ~ N(0, 2 / fan_in)), biases zero; each one
    trained with the MSE by Adam (lr 0.01, betas 0.9/0.999, eps 1e-8, fresh moments) on
    mini-batches of min(100, n) with a fresh shuffle per epoch (last batch partial), 200 epochs;
 3. the mean network f stops early on the validation MSE: after every epoch the best epoch's
    parameters are kept (strictly lower loss), training stops when 20 epochs passed without a
    better one, and f ends with the best parameters;
 4. residuals r = y - f(x) on the fitting and the validation points; for the up side the targets
    are r > 0, for the down side -r > 0;
 5. u (then l) starts with output bias 40 (the OOD initialisation), is trained on the fitting
    points of its side for all 200 epochs, then its output weights w are refitted by least
    squares on those points with the bias b held and a ridge towards the trained weights w0:
    (H^T H + lambda I) w = H^T (t - b) + lambda w0, lambda = 1e-3 trace(H^T H) / 64, by Cholesky
    (torch.linalg; the trained weights are kept when H^T H + lambda I is not positive definite);
 6. the floor c of |u| = sqrt(u^2 + c^2): among (0.01, 0.03, 0.1, 0.2, 0.5, 1, 2, 5) times the
    mean fitting target of the side, the one with the least sum of log s + t / s over the
    validation points of the side (the fitting points when fewer than 2), s = sqrt(u^2 + c^2);
 7. ratios a_i = r_i / |u(x_i)| (b_i = -r_i / |l(x_i)|) on all validation points, sorted in
    decreasing order; the width reference (mean + 1.8 std of |u| + |l| there, for the OOD score);
 8. the scales at level 0.95: t = N (1 - level) / 2, K = floor(t), nu = a_(K+1) + w (a_(K) -
    a_(K+1)), w = K + 1 - t (N + 1) / N clamped to [0.1, 1] (for K = 0, a_(0) = 2 a_(1) - a_(2)),
    just above a_(K+1) when that gives no gap; the same for xi.
The timed part is steps 1-8 (data loading excluded), in wall and process CPU seconds. The
random streams (split, initialisation, shuffles) differ from ours, so results are not
bit-identical; everything else is the same. With --test and --ood it also scores the model
(after the timing): PICP and MPIW at 0.90, 0.95 and 0.99 on the test points and the ratio of
the mean width at 0.95 on the OOD points to the in-distribution one. Prints one JSON line per
seed (times, scales, the epochs the mean network ran and its best epoch, floors, scores).
With --check it instead redoes the steps of ours that a model file of `sciml-train pi3nn`
determines and prints the largest relative differences from it (see check()).
Usage: pi3nn_torch.py TRAIN.nc [--seeds 1,2,3] [--test TEST.nc --ood OOD.nc]
       pi3nn_torch.py TRAIN.nc --check MODEL.nc INPUTS.nc INTERVALS.nc
"""
import argparse
import copy
import json
import math
import sys
import time

import netCDF4
import numpy as np
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

HIDDEN = 64
EPOCHS = 200
BATCH = 100
LR = 1e-2
VALIDATION = 0.3
PATIENCE = 20
OOD_BIAS = 40.0
LEVEL = 0.95
FLOOR_CANDIDATES = (0.01, 0.03, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
MIN_GAP_WEIGHT = 0.1
REFIT_RIDGE = 1e-3
WIDTH_REFERENCE_STDS = 1.8
TINY_WIDTH = 1e-300


def network(inputs, outputs, bias=0.0):
    """1-64-1 relu, He normal weights in every layer, zero biases (output bias `bias`)."""
    net = torch.nn.Sequential(torch.nn.Linear(inputs, HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, outputs))
    with torch.no_grad():
        for layer in (net[0], net[2]):
            layer.weight.normal_(0.0, math.sqrt(2.0 / layer.in_features))
            layer.bias.zero_()
        net[2].bias.fill_(bias)
    return net


def train(net, x, y, valid_x=None, valid_y=None):
    """Mini-batch Adam on the MSE; with validation data, early stopping on the validation MSE
    and the best epoch's parameters at the end. Returns (epochs run, best epoch)."""
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    n = x.shape[0]
    batch = min(BATCH, n)
    best_loss, best_epoch, best = math.inf, 0, None
    for epoch in range(1, EPOCHS + 1):
        order = torch.randperm(n)
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            optimizer.zero_grad()
            loss = torch.mean((net(x[rows]) - y[rows]) ** 2)
            loss.backward()
            optimizer.step()
        if valid_x is None:
            continue
        with torch.no_grad():
            loss = float(torch.mean((net(valid_x) - valid_y) ** 2))
        if math.isfinite(loss) and (best_epoch == 0 or loss < best_loss):
            best_loss, best_epoch = loss, epoch
            best = [p.detach().clone() for p in net.parameters()]
        if best_epoch > 0 and epoch - best_epoch >= PATIENCE:
            break
    if best is not None:
        with torch.no_grad():
            for p, b in zip(net.parameters(), best):
                p.copy_(b)
    return epoch, best_epoch


def refit_output_layer(net, x, t):
    """Least-squares output weights, bias held, ridge towards the trained weights."""
    with torch.no_grad():
        h = net[1](net[0](x))  # (n, 64)
        w0 = net[2].weight[0].clone()
        b = net[2].bias[0]
        gram = h.T @ h
        trace = float(torch.trace(gram))
        lam = REFIT_RIDGE * (trace / HIDDEN if trace > 0 else 1.0)
        system = gram + lam * torch.eye(HIDDEN)
        right = h.T @ (t[:, 0] - b) + lam * w0
        factor, info = torch.linalg.cholesky_ex(system)
        if int(info) == 0:
            net[2].weight[0] = torch.cholesky_solve(right[:, None], factor)[:, 0]


def floored(z, c):
    return torch.hypot(z, torch.tensor(c)) if c > 0 else z.abs()


def choose_floor(net, x, t, fit_t):
    """The floor c of |u| with the least exponential NLL of the targets t at x."""
    with torch.no_grad():
        z = net(x)[:, 0]
    mean_target = float(fit_t.mean())
    best, chosen = math.inf, 0.0
    for fraction in FLOOR_CANDIDATES:
        c = fraction * mean_target
        s = floored(z, c).clamp_min(TINY_WIDTH)
        score = float(torch.sum(torch.log(s) + t[:, 0] / s))
        if score < best:
            best, chosen = score, c
    return chosen


def outside_share(n, level):
    t = n * (1.0 - level) / 2.0
    nearest = round(t)
    return nearest if abs(t - nearest) <= 1e-9 * max(nearest, 1.0) else t


def quantile_scale(ratios, level):
    """nu from the ratios sorted in decreasing order (see pi3nn.c, quantile_scale)."""
    n = len(ratios)
    t = outside_share(n, level)
    k = math.floor(t)
    if k >= n or ratios[k] < 0:
        raise SystemExit(f"pi3nn_torch.py: level {level}: {int((ratios >= 0).sum())} of {n} "
                         f"calibration points on one side, too few to leave {k} outside")
    below = ratios[k]
    above = ratios[k - 1] if k > 0 else 2.0 * ratios[0] - ratios[1]
    weight = min(max(k + 1 - t * (n + 1) / n, MIN_GAP_WEIGHT), 1.0)
    scale = below + weight * (above - below)
    return scale if scale > below else math.nextafter(below, math.inf)


def pi3nn(x, y, generator):
    """The whole training procedure; returns the model as a dict."""
    n = x.shape[0]
    valid_n = round(VALIDATION * n)
    order = torch.randperm(n, generator=generator)
    fit, valid = order[:n - valid_n], order[n - valid_n:]
    x_mean, x_std = x[fit].mean(0), x[fit].std(0, unbiased=False)
    y_mean, y_std = y[fit].mean(0), y[fit].std(0, unbiased=False)
    xs, ys = (x - x_mean) / x_std, (y - y_mean) / y_std
    fit_x, fit_y, valid_x, valid_y = xs[fit], ys[fit], xs[valid], ys[valid]
    f = network(x.shape[1], 1)
    epochs, best_epoch = train(f, fit_x, fit_y, valid_x, valid_y)
    with torch.no_grad():
        fit_r, valid_r = fit_y - f(fit_x), valid_y - f(valid_x)
    model = {"x_mean": x_mean, "x_std": x_std, "y_mean": y_mean, "y_std": y_std, "f": f,
             "mean_epochs": epochs, "mean_best_epoch": best_epoch}
    width = torch.zeros(valid_n)
    for side, sign in (("u", 1.0), ("l", -1.0)):
        fit_t, valid_t = sign * fit_r, sign * valid_r
        on_fit, on_valid = fit_t[:, 0] > 0, valid_t[:, 0] > 0
        net = network(x.shape[1], 1, OOD_BIAS)
        train(net, fit_x[on_fit], fit_t[on_fit])
        refit_output_layer(net, fit_x[on_fit], fit_t[on_fit])
        if int(on_valid.sum()) >= 2:
            c = choose_floor(net, valid_x[on_valid], valid_t[on_valid], fit_t[on_fit])
        else:
            c = choose_floor(net, fit_x[on_fit], fit_t[on_fit], fit_t[on_fit])
        with torch.no_grad():
            magnitude = floored(net(valid_x)[:, 0], c)
        width += magnitude
        ratios = (valid_t[:, 0] / magnitude.clamp_min(TINY_WIDTH)).sort(descending=True).values
        model[side], model[side + "_floor"] = net, c
        model[side + "_ratios"] = ratios.numpy()
    spread = width.std(unbiased=False)
    model["width_reference"] = float(width.mean() + WIDTH_REFERENCE_STDS * spread)
    model["nu"] = quantile_scale(model["u_ratios"], LEVEL)
    model["xi"] = quantile_scale(model["l_ratios"], LEVEL)
    return model


def intervals(model, x, level):
    """(lower, upper) in physical units at `level`."""
    with torch.no_grad():
        xs = (x - model["x_mean"]) / model["x_std"]
        mean = model["f"](xs) * model["y_std"] + model["y_mean"]
        up = floored(model["u"](xs), model["u_floor"])
        down = floored(model["l"](xs), model["l_floor"])
    nu = quantile_scale(model["u_ratios"], level)
    xi = quantile_scale(model["l_ratios"], level)
    return mean - xi * down * model["y_std"], mean + nu * up * model["y_std"]


def score(model, x, y, level):
    """PICP and MPIW of the intervals at `level` on (x, y)."""
    lower, upper = intervals(model, x, level)
    inside = (y >= lower) & (y <= upper)
    return float(inside.double().mean()), float((upper - lower).mean())


def load(path):
    data = netCDF4.Dataset(path)
    x = torch.tensor(np.asarray(data["x"][:], dtype=np.float64)).reshape(-1, 1)
    y = torch.tensor(np.asarray(data["y"][:], dtype=np.float64)).reshape(-1, 1)
    data.close()
    return x, y


def load_model(path):
    """A model written by `sciml-train pi3nn` (one output), as the dict pi3nn() returns."""
    data = netCDF4.Dataset(path)

    def array(name):
        return torch.tensor(np.asarray(data[name][:], dtype=np.float64))

    model = {"x_mean": array("input_mean"), "x_std": array("input_std"),
             "y_mean": array("output_mean"), "y_std": array("output_std"),
             "u_floor": float(array("upper_floor")[0]), "l_floor": float(array("lower_floor")[0]),
             "u_ratios": array("upper_ratio")[0].numpy(),
             "l_ratios": array("lower_ratio")[0].numpy(),
             "width_reference": float(array("width_reference")[0])}
    for key, prefix in (("f", "mean"), ("u", "upper_0"), ("l", "lower_0")):
        net = network(data["input_mean"].shape[0], 1)
        with torch.no_grad():
            for layer, index in ((net[0], 0), (net[2], 1)):  # stored as (in, out)
                layer.weight.copy_(array(f"{prefix}_layer_{index}_weight").T)
                layer.bias.copy_(array(f"{prefix}_layer_{index}_bias"))
        model[key] = net
    data.close()
    return model


def relative(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def check(model_path, x, y, inputs_path, intervals_path):
    """Redoes with this script's code the steps of our procedure that a model file determines,
    from a model trained by `sciml-train pi3nn` on (x, y), and returns the largest relative
    differences from what it stored: the held-out points are found as those whose ratio r / |u|
    is among the stored ratios; then the standardisation (from the other points), the ratios,
    the floors of |u| and |l| (chosen again on the held-out points), the width reference, and
    the intervals of `intervals_path` (written by sciml-pi3nn for `inputs_path` at its level).
    The *_refit_mse_ratio entries are the fitting MSE of the stored u (l) over that after this
    script's least-squares finish applied to it: a second solve in this script's own runs
    gains 1.02-1.11x, the first one (after Adam alone) 2.9-12.5x (cubic, seeds 1-4)."""
    model = load_model(model_path)
    xs, ys = (x - model["x_mean"]) / model["x_std"], (y - model["y_mean"]) / model["y_std"]
    with torch.no_grad():
        r = (ys - model["f"](xs))[:, 0]
        up = floored(model["u"](xs)[:, 0], model["u_floor"])
        down = floored(model["l"](xs)[:, 0], model["l_floor"])
    ratios = (r / up).numpy()
    stored = np.sort(model["u_ratios"])
    at = np.clip(np.searchsorted(stored, ratios), 1, len(stored) - 1)
    nearest = np.minimum(np.abs(stored[at] - ratios), np.abs(stored[at - 1] - ratios))
    valid = torch.tensor(nearest <= 1e-9 * np.maximum(np.abs(ratios), 1.0))
    fit = ~valid
    result = {"held_out": int(valid.sum()), "stored_ratios": len(stored)}
    result["x_standardisation"] = max(relative(x[fit].mean(0), model["x_mean"]),
                                      relative(x[fit].std(0, unbiased=False), model["x_std"]))
    result["y_standardisation"] = max(relative(y[fit].mean(0), model["y_mean"]),
                                      relative(y[fit].std(0, unbiased=False), model["y_std"]))
    result["upper_ratios"] = relative(np.sort(ratios[valid.numpy()])[::-1], model["u_ratios"])
    result["lower_ratios"] = relative(np.sort((-r / down)[valid].numpy())[::-1],
                                      model["l_ratios"])
    width = up[valid] + down[valid]
    result["width_reference"] = relative(
        float(width.mean() + WIDTH_REFERENCE_STDS * width.std(unbiased=False)),
        model["width_reference"])
    for side, sign in (("u", 1.0), ("l", -1.0)):
        t = sign * r[:, None]
        on_fit, on_valid = fit & (t[:, 0] > 0), valid & (t[:, 0] > 0)
        c = choose_floor(model[side], xs[on_valid], t[on_valid], t[on_fit])
        result[side + "_floor"] = relative(c, model[side + "_floor"])
        # the least-squares finish again: close to 1 when ours ended with it
        again = copy.deepcopy(model[side])
        refit_output_layer(again, xs[on_fit], t[on_fit])
        with torch.no_grad():
            before = float(torch.mean((model[side](xs[on_fit]) - t[on_fit]) ** 2))
            after = float(torch.mean((again(xs[on_fit]) - t[on_fit]) ** 2))
        result[side + "_refit_mse_ratio"] = before / after
    data = netCDF4.Dataset(intervals_path)
    level = float(data.getncattr("level"))
    lower, upper = intervals(model, load(inputs_path)[0], level)
    result["level"] = level
    result["lower"] = relative(lower.numpy(), np.asarray(data["lower"][:], dtype=np.float64))
    result["upper"] = relative(upper.numpy(), np.asarray(data["upper"][:], dtype=np.float64))
    data.close()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds, one run each")
    parser.add_argument("--test", help="in-distribution test file (x, y)")
    parser.add_argument("--ood", help="out-of-distribution test file (x, y), with --test")
    parser.add_argument("--check", nargs=3, metavar=("MODEL", "INPUTS", "INTERVALS"),
                        help="only compare with a model of sciml-train pi3nn trained on TRAIN "
                        "and the intervals sciml-pi3nn wrote with it for INPUTS")
    args = parser.parse_args()
    x, y = load(args.train)
    if args.check:
        print(json.dumps(check(args.check[0], x, y, args.check[1], args.check[2])))
        return 0
    test = load(args.test) if args.test else None
    ood = load(args.ood) if args.ood else None
    for seed in (int(s) for s in args.seeds.split(",")):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        start, start_cpu = time.perf_counter(), time.process_time()
        model = pi3nn(x, y, generator)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        result = {"seed": seed, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "nu": model["nu"], "xi": model["xi"],
                  "mean_epochs": model["mean_epochs"], "mean_best_epoch": model["mean_best_epoch"],
                  "floors": [model["u_floor"], model["l_floor"]]}
        if test is not None:
            for level in (0.9, 0.95, 0.99):
                picp, mpiw = score(model, *test, level)
                result[f"picp{round(level * 100)}"] = picp
                result[f"mpiw{round(level * 100)}"] = mpiw
            if ood is not None:
                result["ood_ratio"] = score(model, *ood, 0.95)[1] / result["mpiw95"]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())

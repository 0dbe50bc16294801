#!/usr/bin/python3
"""Plain-PyTorch reference for the FNO benchmarks (bench/fno.sh 1-D, bench/fno_darcy.sh 2-D).

The Fourier neural operator of Li et al. (arXiv:2010.08895) as in the authors' reference
implementation, fourier_1d.py and fourier_2d.py of github.com/zongyi-li/fourier_neural_operator
(the torch.fft version: classes SpectralConv1d / FNO1d and SpectralConv2d / FNO2d, with LpLoss
and UnitGaussianNormalizer from its utilities3.py). The dimension comes from the data: an input
variable (sample, x) trains FNO1d, (sample, x, y) trains FNO2d.

1-D (bench/fno.sh), followed exactly:

  - input (a(x), x) of shape (batch, s, 2), lifted by fc0 = Linear(2, width);
  - `--layers` Fourier layers (the reference has 4), each x <- K(x) + W(x) with
    K = SpectralConv1d: rfft along x, keep the lowest `modes` coefficients, multiply by a
    complex (in, out, modes) weight (einsum "bix,iox->box"), zero the other coefficients,
    irfft back to s points; W = Conv1d(width, width, 1); GELU between layers, not after the
    last; no domain padding (commented out in the reference for Burgers);
  - projection fc1 = Linear(width, 128), GELU, fc2 = Linear(128, 1);
  - initialisation: spectral weights scale * U[0,1) in both real and imaginary parts with
    scale = 1 / (in * out); Linear and Conv1d PyTorch's defaults; modules created in the
    reference's order (fc0, conv0..conv3, w0..w3, fc1, fc2) so one seed gives one model;
  - loss: relative L2 (LpLoss, p = 2) per sample, ||pred - y|| / ||y||; the reference sums it
    over the batch (size_average=False), here it is averaged over the batch by default (the
    same as `sciml-train fno`; --loss-sum gives the reference's sum: with Adam this only
    changes how strong the weight decay is relative to the gradient);
  - Adam(lr, weight_decay) with StepLR(step_size, gamma) stepped once per epoch (the
    reference's paper schedule: lr 1e-3, weight decay 1e-4, halved every 50 (or 100) epochs);
  - Burgers: no normalisation (as the reference); --normalize: per-point Gaussian normaliser
    (UnitGaussianNormalizer: mean and std over the training samples at each point, eps 1e-5)
    on the input a and the output u, the loss taken on decoded outputs against raw targets
    (as the reference's Darcy script).

2-D (bench/fno_darcy.sh): FNO2d of fourier_2d.py, with the choices of `sciml-train fno`
(libsciml/models/fno_model.c) wherever the two differ, so that both sides train one model:

  - input (a(x, y), x, y) of shape (batch, s1, s2, 3), lifted by fc0 = Linear(3, width);
  - `--padding P` zeros appended at the end of both spatial axes after the lifting
    (F.pad(v, [0, P, 0, P]), the reference's Darcy padding is 9) and cut off before fc1, as
    `sciml-train fno --padding P`;
  - grid coordinates as ours: x_j = j / (s - 1) (the reference's linspace(0, 1, s), the vertex
    grid of Darcy data) when P > 0, x_j = j / s (periodic) when P = 0; the file's coordinate
    variables are not used (ours ignores them too);
  - SpectralConv2d: rfft2 over (x, y) of the padded field, keep k1 in 0 .. M1-1 (weights1)
    and -M1 .. -1 (weights2) by k2 in 0 .. M2-1, each mode multiplied by a complex width x
    width matrix (einsum "bixy,ioxy->boxy"), the other coefficients zero, irfft2 back to the
    padded size; `--modes N[,M]` (M = N when one value is given) as ours, i.e. k1 in -N .. N-1,
    k2 in 0 .. M-1: the same 4 N M width^2 real spectral weights per layer;
  - W = Conv2d(width, width, 1), GELU between the Fourier layers, not after the last;
    fc1 = Linear(width, 128), GELU, fc2 = Linear(128, 1); GELU is the exact x Phi(x) on both
    sides;
  - normalisation (--normalize field, what bench/fno_darcy.sh passes): ours, not the
    reference's UnitGaussianNormalizer: one mean and one population standard deviation over
    all training samples and grid points for a, the same for u (a standard deviation below
    1e-12 taken as 1, no eps); the model sees (a - mean_a) / std_a and its output z is decoded
    as z std_u + mean_u. (--normalize point gives the reference's per-point normaliser.)
  - loss: relative L2 in physical units, averaged over the batch (ours; the reference sums);
    test error: the same per-sample relative L2 averaged over the test set (our test_rel_l2).

Remaining differences from `sciml-train fno` (none changes the model's form):
  - initialisation: by default the reference's, i.e. PyTorch's defaults for Linear and Conv
    (Kaiming-uniform weights with a = sqrt(5), uniform biases), whereas ours draws Glorot
    uniform weights for fc0, the W layers and fc2, He normal for fc1 and zero biases;
    --init sciml uses those distributions (from torch's generator, so not the same numbers).
    The spectral weights are drawn alike on both sides: real and imaginary parts
    U[0, 1 / width^2);
  - random streams: torch's generator for the initial weights and the batch order versus
    ours, so the two runs see different initial weights and batch sequences;
  - floating point: FFTW and OpenBLAS versus torch's pocketfft/MKL and its own kernels, with
    a different order of operations (both in float64 unless --dtype float32).

Differences from the reference, none of which change the arithmetic: the grid channel is
concatenated once up front instead of in every forward; data come from netCDF (1-D: a(sample,
x), u(sample, x), coordinate x(x) if present, else linspace(0, 1, s) without the end point;
the reference uses linspace(0, 1, s) with it; 2-D: see above); the model runs in --dtype
(complex weights in the matching complex type); mini-batches come from torch.randperm each
epoch (the reference's shuffled DataLoader).

Prints one JSON object per epoch {"epoch", "loss", "test_rel_l2", "lr", "seconds",
"cpu_seconds", "test_seconds"} (loss: mean per-sample relative L2 over the epoch's batches;
seconds: that epoch's training wall time, shuffling included, test evaluation excluded;
cpu_seconds: the process CPU time of the same, steadier on a shared core), then a summary
object. --inference-samples N times inference (no_grad, eval) on N samples at --inference-batch
(the test inputs repeated) after training; --profile splits forward+backward time between
torch.fft ops, matrix products (mm, addmm, bmm, conv) and the rest with torch.profiler.

--checkpoint FILE makes a long run resumable (bench/fno_darcy.sh CHECKPOINT=1): after every
epoch the model, Adam and StepLR states, the epoch, torch's RNG state (the only generator used
after initialisation: torch.randperm's batch order) and the epoch lines so far are saved with
torch.save to FILE.tmp and renamed over FILE. When FILE exists at start the run continues after
its epoch, bit for bit as if uninterrupted, and prints the saved epoch lines first, so stdout is
an uninterrupted run's except the summary's medians (the same records) and its process-bound
fields; "first_epoch_this_run" says where this process began. A checkpoint whose settings
(model, schedule, seed, dtype, normaliser, data file names, sample counts and contents) differ
from the command line's is refused with one error line and exit status 2.

Run with Debian's /usr/bin/python3 (it has torch and netCDF4), pinned to one core:
    taskset -c 0 env OMP_NUM_THREADS=1 /usr/bin/python3 bench/fno_torch.py --data train.nc \\
        --test test.nc --epochs 5 --dtype float64
    taskset -c 0 env OMP_NUM_THREADS=1 /usr/bin/python3 bench/fno_torch.py --data darcy.nc \\
        --test darcy_test.nc --modes 12 --width 32 --padding 9 --normalize field --epochs 5
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
import torch.nn as nn
import torch.nn.functional as F

PROG = "fno_torch.py"


def modes_list(text):
    """--modes N or N,M (argparse type): a tuple of one or two positive integers."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not 1 <= len(values) <= 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': expected N or N,M (positive integers)")
    return values


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data")
    data.add_argument("--data", required=True, help="training netCDF file")
    data.add_argument("--test", help="test netCDF file, evaluated after every epoch")
    data.add_argument("--input", default="a",
                      help="input variable (sample, x) or (sample, x, y) [%(default)s]")
    data.add_argument("--output", default="u",
                      help="output variable, the input's shape [%(default)s]")
    data.add_argument("--train-samples", type=int, help="use the first N training records [all]")
    data.add_argument("--test-samples", type=int, help="use the first N test records [all]")
    data.add_argument("--normalize", nargs="?", const="point", choices=["point", "field"],
                      help="normalise input and output: 'point' (also the bare flag) the "
                           "reference's per-point Gaussian normaliser, 'field' one mean and "
                           "standard deviation per variable as sciml-train fno [off]")
    model = parser.add_argument_group("model")
    model.add_argument("--modes", type=modes_list, default=(16,), metavar="N[,M]",
                       help="Fourier modes kept per dimension (2-D: k1 in -N..N-1, k2 in "
                            "0..M-1; M = N by default) [16]")
    model.add_argument("--width", type=int, default=64, help="channels [%(default)s]")
    model.add_argument("--layers", type=int, default=4, help="Fourier layers [%(default)s]")
    model.add_argument("--padding", type=int, default=0,
                       help="zeros appended per spatial dimension after the lifting, as "
                            "sciml-train fno --padding (the reference's Darcy: 9) [%(default)s]")
    model.add_argument("--init", default="reference", choices=["reference", "sciml"],
                       help="pointwise-layer initialisation: the reference's (PyTorch "
                            "defaults) or sciml-train's distributions [%(default)s]")
    model.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                       help="precision [%(default)s]")
    train = parser.add_argument_group("training")
    train.add_argument("--epochs", type=int, default=5, help="passes over the data [%(default)s]")
    train.add_argument("--batch", type=int, default=20, help="mini-batch size [%(default)s]")
    train.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate [%(default)s]")
    train.add_argument("--weight-decay", type=float, default=1e-4,
                       help="Adam (L2) weight decay [%(default)s]")
    train.add_argument("--step-size", type=int, default=50,
                       help="StepLR: epochs between decays [%(default)s]")
    train.add_argument("--gamma", type=float, default=0.5, help="StepLR decay [%(default)s]")
    train.add_argument("--loss-sum", action="store_true",
                       help="sum the relative L2 over the batch as the reference does "
                            "(default: mean)")
    train.add_argument("--seed", type=int, default=1, help="torch seed [%(default)s]")
    train.add_argument("--threads", type=int, default=1,
                       help="torch intra-op threads [%(default)s]")
    train.add_argument("--checkpoint", metavar="FILE",
                       help="after every epoch save the training state to FILE (atomically: "
                            "FILE.tmp, then renamed); if FILE exists at start, continue from "
                            "it bit for bit, re-printing the earlier epochs' lines first "
                            "(refused, exit 2, when its settings differ from these)")
    measure = parser.add_argument_group("measurements")
    measure.add_argument("--inference-samples", type=int, default=0,
                         help="after training, time inference on N samples [%(default)s: skip]")
    measure.add_argument("--inference-batch", type=int, default=20,
                         help="inference batch size [%(default)s]")
    measure.add_argument("--profile", action="store_true",
                         help="after training, profile forward+backward: FFT vs matmul split")
    measure.add_argument("--profile-steps", type=int, default=10,
                         help="batches profiled with --profile [%(default)s]")
    arguments = parser.parse_args()
    errors = []
    for name in ("width", "layers", "epochs", "batch", "step_size", "threads",
                 "inference_batch", "profile_steps"):
        if getattr(arguments, name) < 1:
            errors.append(f"--{name.replace('_', '-')} must be >= 1")
    for name in ("train_samples", "test_samples"):
        value = getattr(arguments, name)
        if value is not None and value < 1:
            errors.append(f"--{name.replace('_', '-')} must be >= 1")
    if arguments.padding < 0:
        errors.append("--padding must be >= 0")
    if arguments.inference_samples < 0:
        errors.append("--inference-samples must be >= 0")
    if not arguments.lr > 0:
        errors.append("--lr must be > 0")
    if not arguments.weight_decay >= 0:
        errors.append("--weight-decay must be >= 0")
    if not arguments.gamma > 0:
        errors.append("--gamma must be > 0")
    if arguments.inference_samples > 0 and not arguments.test:
        errors.append("--inference-samples needs --test (its inputs are timed)")
    if errors:
        for error in errors:
            print(f"{PROG}: error: {error}", file=sys.stderr)
        sys.exit(2)
    return arguments


def read_dataset(path, input_name, output_name, limit):
    """(a, u, x) as float64 numpy arrays: a and u (samples, s) or (samples, s1, s2); x (s,) the
    1-D coordinate (None in 2-D, where the grid follows sciml-train's rule, see grid_2d)."""
    try:
        dataset = netCDF4.Dataset(path)
    except OSError as error:
        sys.exit(f"{PROG}: {path}: {error}")
    with dataset:
        dataset.set_auto_mask(False)
        fields = []
        for name in (input_name, output_name):
            if name not in dataset.variables:
                sys.exit(f"{PROG}: {path}: no variable '{name}' "
                         f"(has: {', '.join(dataset.variables)})")
            variable = dataset.variables[name]
            if variable.ndim not in (2, 3):
                sys.exit(f"{PROG}: {path}: variable '{name}' has {variable.ndim} dimensions, "
                         "expected (sample, x) or (sample, x, y)")
            count = variable.shape[0] if limit is None else min(limit, variable.shape[0])
            if limit is not None and limit > variable.shape[0]:
                sys.exit(f"{PROG}: {path}: asked for {limit} samples, '{name}' has "
                         f"{variable.shape[0]}")
            fields.append(np.asarray(variable[:count], dtype=np.float64))
        a, u = fields
        if a.shape != u.shape:
            sys.exit(f"{PROG}: {path}: '{input_name}' is {a.shape} but '{output_name}' is "
                     f"{u.shape}")
        if a.ndim == 3:
            return a, u, None
        s = a.shape[1]
        x_name = dataset.variables[input_name].dimensions[1]
        if x_name in dataset.variables and dataset.variables[x_name].shape == (s,):
            x = np.asarray(dataset.variables[x_name][:], dtype=np.float64)
        else:
            x = np.linspace(0.0, 1.0, s, endpoint=False)
    return a, u, x


class UnitGaussianNormalizer:
    """utilities3.UnitGaussianNormalizer: per-point mean and std over the samples."""

    def __init__(self, values, eps=1e-5):
        self.mean = values.mean(0)
        self.std = values.std(0)  # unbiased, as torch.std
        self.eps = eps

    def encode(self, values):
        return (values - self.mean) / (self.std + self.eps)

    def decode(self, values):
        return values * (self.std + self.eps) + self.mean


class FieldNormalizer:
    """sciml-train fno's standardisation: one mean and one population standard deviation over
    all samples and grid points (a standard deviation below 1e-12 is taken as 1)."""

    def __init__(self, values):
        self.mean = values.mean()
        std = values.std(unbiased=False)
        self.std = std if std > 1e-12 else torch.ones_like(std)

    def encode(self, values):
        return (values - self.mean) / self.std

    def decode(self, values):
        return values * self.std + self.mean


class SpectralConv1d(nn.Module):
    def __init__(self, in_channels, out_channels, modes, complex_dtype):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.modes = modes
        self.scale = 1.0 / (in_channels * out_channels)
        self.weights1 = nn.Parameter(
            self.scale * torch.rand(in_channels, out_channels, modes, dtype=complex_dtype))

    def forward(self, x):
        batchsize = x.shape[0]
        x_ft = torch.fft.rfft(x)
        out_ft = torch.zeros(batchsize, self.out_channels, x.size(-1) // 2 + 1,
                             device=x.device, dtype=self.weights1.dtype)
        out_ft[:, :, :self.modes] = torch.einsum("bix,iox->box", x_ft[:, :, :self.modes],
                                                 self.weights1)
        return torch.fft.irfft(out_ft, n=x.size(-1))


class FNO1d(nn.Module):
    def __init__(self, modes, width, layers, dtype, padding=0):
        super().__init__()
        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        self.modes = modes
        self.width = width
        self.padding = padding  # zeros appended along x inside the Fourier layers (0: none)
        self.fc0 = nn.Linear(2, width, dtype=dtype)  # input channels: (a(x), x)
        self.convs = nn.ModuleList(SpectralConv1d(width, width, modes, complex_dtype)
                                   for _ in range(layers))
        self.ws = nn.ModuleList(nn.Conv1d(width, width, 1, dtype=dtype) for _ in range(layers))
        self.fc1 = nn.Linear(width, 128, dtype=dtype)
        self.fc2 = nn.Linear(128, 1, dtype=dtype)

    def forward(self, x):  # x: (batch, s, 2) = (a, grid)
        x = self.fc0(x)
        x = x.permute(0, 2, 1)
        if self.padding:
            x = F.pad(x, [0, self.padding])
        last = len(self.convs) - 1
        for index, (conv, w) in enumerate(zip(self.convs, self.ws)):
            x = conv(x) + w(x)
            if index < last:
                x = F.gelu(x)
        if self.padding:
            x = x[..., :-self.padding]
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        x = F.gelu(x)
        x = self.fc2(x)
        return x.squeeze(-1)  # (batch, s)


class SpectralConv2d(nn.Module):
    """rfft2 over (x, y); modes k1 in 0..modes1-1 (weights1) and -modes1..-1 (weights2), k2 in
    0..modes2-1, each multiplied by a complex (in, out) matrix; irfft2 back."""

    def __init__(self, in_channels, out_channels, modes1, modes2, complex_dtype):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.modes1 = modes1
        self.modes2 = modes2
        self.scale = 1.0 / (in_channels * out_channels)
        shape = (in_channels, out_channels, modes1, modes2)
        self.weights1 = nn.Parameter(self.scale * torch.rand(*shape, dtype=complex_dtype))
        self.weights2 = nn.Parameter(self.scale * torch.rand(*shape, dtype=complex_dtype))

    def forward(self, x):  # x: (batch, channels, s1, s2)
        batchsize, s1, s2 = x.shape[0], x.size(-2), x.size(-1)
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(batchsize, self.out_channels, s1, s2 // 2 + 1,
                             device=x.device, dtype=self.weights1.dtype)
        m1, m2 = self.modes1, self.modes2
        out_ft[:, :, :m1, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m1, :m2],
                                              self.weights1)
        out_ft[:, :, -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m1:, :m2],
                                               self.weights2)
        return torch.fft.irfft2(out_ft, s=(s1, s2))


class FNO2d(nn.Module):
    """fourier_2d.py's FNO2d with the layer count and padding as parameters."""

    def __init__(self, modes1, modes2, width, layers, dtype, padding):
        super().__init__()
        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        self.modes1 = modes1
        self.modes2 = modes2
        self.width = width
        self.padding = padding  # zeros appended along x and y inside the Fourier layers
        self.fc0 = nn.Linear(3, width, dtype=dtype)  # input channels: (a(x, y), x, y)
        self.convs = nn.ModuleList(SpectralConv2d(width, width, modes1, modes2, complex_dtype)
                                   for _ in range(layers))
        self.ws = nn.ModuleList(nn.Conv2d(width, width, 1, dtype=dtype) for _ in range(layers))
        self.fc1 = nn.Linear(width, 128, dtype=dtype)
        self.fc2 = nn.Linear(128, 1, dtype=dtype)

    def forward(self, x):  # x: (batch, s1, s2, 3) = (a, grid x, grid y)
        x = self.fc0(x)
        x = x.permute(0, 3, 1, 2)
        if self.padding:
            x = F.pad(x, [0, self.padding, 0, self.padding])
        last = len(self.convs) - 1
        for index, (conv, w) in enumerate(zip(self.convs, self.ws)):
            x = conv(x) + w(x)
            if index < last:
                x = F.gelu(x)
        if self.padding:
            x = x[..., :-self.padding, :-self.padding]
        x = x.permute(0, 2, 3, 1)
        x = self.fc1(x)
        x = F.gelu(x)
        x = self.fc2(x)
        return x.squeeze(-1)  # (batch, s1, s2)


def sciml_initialise(model):
    """The distributions of sciml-train fno's initialisation (libsciml/nn/mlp.c, 'auto'):
    Glorot uniform for the linear lifting, W layers and output layer, He normal for fc1 (it
    feeds a GELU), biases zero. The spectral weights are already initialised alike."""
    with torch.no_grad():
        for layer in [model.fc0, *model.ws, model.fc2]:
            nn.init.xavier_uniform_(layer.weight)  # fans of a 1x1 conv: its channels
            nn.init.zeros_(layer.bias)
        nn.init.kaiming_normal_(model.fc1.weight, nonlinearity="relu")  # N(0, 2 / fan_in)
        nn.init.zeros_(model.fc1.bias)


def relative_l2(prediction, target):
    """Per-sample ||prediction - target||_2 / ||target||_2 over all grid points, (batch,)."""
    dims = tuple(range(1, target.dim()))
    difference = torch.linalg.vector_norm(prediction - target, 2, dim=dims)
    return difference / torch.linalg.vector_norm(target, 2, dim=dims)


def with_grid(a, grid):
    """(samples, s) and (s,) -> (samples, s, 2)."""
    return torch.stack([a, grid.expand_as(a)], dim=-1).contiguous()


def grid_1d(s, closed, dtype):
    """sciml-train fno's coordinates: j / (s - 1) on a closed domain (padding), else j / s."""
    return torch.arange(s, dtype=dtype) / (s - 1 if closed else s)


def with_grid_2d(a, closed):
    """(samples, s1, s2) -> (samples, s1, s2, 3): (a, x_i, y_j), coordinates as sciml-train."""
    s1, s2 = a.shape[1], a.shape[2]
    gx = grid_1d(s1, closed, a.dtype).reshape(1, s1, 1).expand_as(a)
    gy = grid_1d(s2, closed, a.dtype).reshape(1, 1, s2).expand_as(a)
    return torch.stack([a, gx, gy], dim=-1).contiguous()


def evaluate(model, inputs, targets, batch, decode):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for first in range(0, inputs.shape[0], batch):
            prediction = decode(model(inputs[first:first + batch]))
            total += relative_l2(prediction, targets[first:first + batch]).sum().item()
    model.train()
    return total / inputs.shape[0]


def time_inference(model, inputs, samples, batch):
    """samples/s of model(x) under no_grad on `samples` rows cycled from inputs."""
    model.eval()
    rows = inputs.shape[0]
    index = torch.arange(samples) % rows
    stream = inputs[index]  # materialised up front: only the forward is timed
    with torch.no_grad():
        model(stream[:batch])  # warm-up (plans, allocator)
        start, cpu_start = time.perf_counter(), time.process_time()
        for first in range(0, samples, batch):
            model(stream[first:first + batch])
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    model.train()
    return samples / seconds, seconds, cpu_seconds


FFT_OPS = ("fft",)
MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addbmm",
              "aten::dot", "aten::mv", "aten::addmv"}


def classify(name):
    lowered = name.lower()
    if any(key in lowered for key in FFT_OPS):
        return "fft"
    if name in MATMUL_OPS:
        return "matmul"
    if "conv" in lowered and not lowered.endswith("backward0"):
        return "conv"
    return "other"


def profile(model, inputs, targets, batch, steps, loss_of):
    """Self CPU time of forward+backward by category over `steps` batches (no optimizer)."""
    from torch.profiler import ProfilerActivity, profile as torch_profile

    def step(first):
        model.zero_grad(set_to_none=True)
        loss = loss_of(model(inputs[first:first + batch]), targets[first:first + batch])
        loss.backward()

    firsts = [(i * batch) % max(1, inputs.shape[0] - batch + 1) for i in range(steps)]
    for first in firsts[:2]:
        step(first)  # warm-up
    start = time.perf_counter()
    for first in firsts:
        step(first)
    plain_seconds = time.perf_counter() - start
    with torch_profile(activities=[ProfilerActivity.CPU]) as profiler:
        for first in firsts:
            step(first)
    model.zero_grad(set_to_none=True)
    categories = {"fft": 0.0, "matmul": 0.0, "conv": 0.0, "other": 0.0}
    operators = []
    for event in profiler.key_averages():
        microseconds = event.self_cpu_time_total
        categories[classify(event.key)] += microseconds
        operators.append((microseconds, event.key, event.count))
    total = sum(categories.values())
    operators.sort(reverse=True)
    return {
        "profile_steps": steps,
        "profile_batch": batch,
        "forward_backward_seconds_per_batch": plain_seconds / steps,
        "profiled_seconds_per_batch": total * 1e-6 / steps,
        "fraction_fft": categories["fft"] / total,
        "fraction_matmul": categories["matmul"] / total,
        "fraction_conv": categories["conv"] / total,
        "fraction_gemm": (categories["matmul"] + categories["conv"]) / total,
        "fraction_other": categories["other"] / total,
        "top_ops": [{"op": key, "calls": count, "fraction": microseconds / total}
                    for microseconds, key, count in operators[:12]],
    }


def array_digest(*arrays):
    """A short SHA-256 of the arrays' shapes and float64 bytes (ties a checkpoint to its data)."""
    import hashlib
    digest = hashlib.sha256()
    for values in arrays:
        digest.update(repr(values.shape).encode())
        digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


def checkpoint_knobs(arguments, a_train, u_train, a_test, u_test):
    """Everything a checkpoint must agree on with the command line to be continued: the model,
    the schedule, the seed, the precision and the data (file names, sample counts, contents).
    --threads, the measurements and the checkpoint's own path may change between runs."""
    knobs = {name: getattr(arguments, name) for name in (
        "input", "output", "normalize", "width", "layers", "padding", "init", "dtype",
        "epochs", "batch", "lr", "weight_decay", "step_size", "gamma", "loss_sum", "seed")}
    knobs["modes"] = list(arguments.modes)
    knobs["data"] = os.path.basename(arguments.data)
    knobs["train_samples"] = int(a_train.shape[0])
    knobs["train_digest"] = array_digest(a_train, u_train)
    knobs["test"] = os.path.basename(arguments.test) if arguments.test else None
    knobs["test_samples"] = int(a_test.shape[0]) if arguments.test else 0
    knobs["test_digest"] = array_digest(a_test, u_test) if arguments.test else None
    return knobs


def save_checkpoint(path, state):
    """torch.save to PATH.tmp, flushed to disk, then renamed over PATH (atomic on POSIX)."""
    temporary = path + ".tmp"
    with open(temporary, "wb") as stream:
        torch.save(state, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def load_checkpoint(path, knobs):
    """The saved state, or exit 2 with one line when it was made with other settings."""
    try:
        state = torch.load(path)
    except Exception as error:  # a damaged file: say so rather than train from scratch
        print(f"{PROG}: error: cannot read checkpoint {path}: {error}", file=sys.stderr)
        sys.exit(2)
    saved = state.get("knobs", {}) if isinstance(state, dict) else {}
    differing = [f"{name} {saved.get(name)!r} (now {knobs[name]!r})"
                 for name in knobs if saved.get(name) != knobs[name]]
    differing += [f"{name} {saved[name]!r} (now absent)" for name in saved if name not in knobs]
    if differing:
        print(f"{PROG}: error: checkpoint {path} was made with other settings: "
              + "; ".join(differing) + " (remove it or use the same settings)", file=sys.stderr)
        sys.exit(2)
    return state


def main():
    arguments = parse_arguments()
    torch.set_num_threads(arguments.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(arguments.seed)
    dtype = torch.float64 if arguments.dtype == "float64" else torch.float32

    a_train, u_train, x_train = read_dataset(arguments.data, arguments.input, arguments.output,
                                             arguments.train_samples)
    dims = a_train.ndim - 1  # spatial dimensions: 1 (sample, x) or 2 (sample, x, y)
    size = a_train.shape[1:]
    padding = arguments.padding
    modes1 = arguments.modes[0]
    modes2 = arguments.modes[-1]  # M = N when one value is given; unused in 1-D (as ours)
    if dims == 1:
        s = size[0]
        if modes1 > (s + padding) // 2 + 1:
            sys.exit(f"{PROG}: --modes {modes1} exceeds s/2 + 1 = {(s + padding) // 2 + 1}")
    else:
        s = list(size)
        padded = [n + padding for n in size]
        if 2 * modes1 > padded[0] or modes2 > padded[1] // 2 + 1:
            sys.exit(f"{PROG}: --modes {modes1},{modes2} do not fit the (padded) grid "
                     f"{padded[0]} x {padded[1]}: need 2 N <= s1 and M <= s2/2 + 1")
    if arguments.test:
        a_test, u_test, _ = read_dataset(arguments.test, arguments.input, arguments.output,
                                         arguments.test_samples)
        if a_test.shape[1:] != size:
            sys.exit(f"{PROG}: {arguments.test}: grid {a_test.shape[1:]}, training data {size}")

    def tensor(values):
        return torch.from_numpy(values).to(dtype)

    a_train_t, u_train_t = tensor(a_train), tensor(u_train)
    if arguments.normalize:
        normalizer = UnitGaussianNormalizer if arguments.normalize == "point" else FieldNormalizer
        x_normalizer = normalizer(a_train_t)
        y_normalizer = normalizer(u_train_t)
        encode_input = x_normalizer.encode
        decode_output = y_normalizer.decode
    else:
        encode_input = decode_output = lambda values: values
    if dims == 1:
        # the file's coordinate without padding (as before); sciml-train's closed grid with it
        grid = grid_1d(s, True, dtype) if padding else tensor(x_train)
        add_grid = lambda a: with_grid(a, grid)
    else:
        add_grid = lambda a: with_grid_2d(a, padding > 0)
    train_inputs = add_grid(encode_input(a_train_t))
    train_targets = u_train_t  # the loss compares decoded outputs with raw targets
    if arguments.test:
        test_inputs = add_grid(encode_input(tensor(a_test)))
        test_targets = tensor(u_test)

    if dims == 1:
        model = FNO1d(modes1, arguments.width, arguments.layers, dtype, padding)
    else:
        model = FNO2d(modes1, modes2, arguments.width, arguments.layers, dtype, padding)
    if arguments.init == "sciml":
        sciml_initialise(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=arguments.lr,
                                 weight_decay=arguments.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=arguments.step_size,
                                                gamma=arguments.gamma)

    def loss_of(output, target):
        errors = relative_l2(decode_output(output), target)
        return errors.sum() if arguments.loss_sum else errors.mean()

    samples = train_inputs.shape[0]
    epoch_seconds = []
    epoch_cpu_seconds = []  # process CPU time: less sensitive to a shared core than wall time
    test_error = None
    loss = None
    records = []  # the epochs' JSON lines, kept in the checkpoint
    first_epoch = 1
    if arguments.checkpoint:
        knobs = checkpoint_knobs(arguments, a_train, u_train,
                                 a_test if arguments.test else None,
                                 u_test if arguments.test else None)
    if arguments.checkpoint and os.path.exists(arguments.checkpoint):
        state = load_checkpoint(arguments.checkpoint, knobs)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])  # torch.randperm's generator (the shuffling)
        records = state["records"]
        first_epoch = state["epoch"] + 1
        for record in records:  # the earlier epochs' lines, as first printed
            print(json.dumps(record), flush=True)
            epoch_seconds.append(record["seconds"])
            epoch_cpu_seconds.append(record["cpu_seconds"])
        if records:
            loss = records[-1]["loss"]
            test_error = records[-1].get("test_rel_l2")
        print(f"{PROG}: resumed from {arguments.checkpoint} after epoch {state['epoch']} of "
              f"{arguments.epochs}", file=sys.stderr)
    for epoch in range(first_epoch, arguments.epochs + 1):
        lr = optimizer.param_groups[0]["lr"]
        start, cpu_start = time.perf_counter(), time.process_time()
        permutation = torch.randperm(samples)
        error_sum = 0.0
        for first in range(0, samples, arguments.batch):
            index = permutation[first:first + arguments.batch]
            batch_x, batch_y = train_inputs[index], train_targets[index]
            optimizer.zero_grad(set_to_none=True)
            errors = relative_l2(decode_output(model(batch_x)), batch_y)
            batch_loss = errors.sum() if arguments.loss_sum else errors.mean()
            batch_loss.backward()
            optimizer.step()
            error_sum += errors.detach().sum().item()
        scheduler.step()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        epoch_seconds.append(seconds)
        epoch_cpu_seconds.append(cpu_seconds)
        loss = error_sum / samples
        record = {"epoch": epoch, "loss": loss}
        if arguments.test:
            test_start = time.perf_counter()
            test_error = evaluate(model, test_inputs, test_targets, arguments.batch, decode_output)
            record["test_rel_l2"] = test_error
            record["test_seconds"] = time.perf_counter() - test_start
        record.update({"lr": lr, "seconds": seconds, "cpu_seconds": cpu_seconds})
        records.append(record)
        if arguments.checkpoint:  # saved before the line is printed: a printed epoch is kept
            save_checkpoint(arguments.checkpoint, {
                "format": "fno_torch.py checkpoint 1", "knobs": knobs, "epoch": epoch,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
                "records": records, "torch": torch.__version__})
        print(json.dumps(record), flush=True)

    summary = {
        "summary": True,
        "median_epoch_seconds": statistics.median(epoch_seconds),
        "median_epoch_cpu_seconds": statistics.median(epoch_cpu_seconds),
        "epochs": arguments.epochs,
        "final_loss": loss,
        "final_test_rel_l2": test_error,
        "dtype": arguments.dtype,
        "s": s,
        "train_samples": samples,
        "test_samples": test_inputs.shape[0] if arguments.test else 0,
        "batch": arguments.batch,
        "modes": modes1 if dims == 1 else [modes1, modes2],
        "width": arguments.width,
        "layers": arguments.layers,
        "lr": arguments.lr,
        "weight_decay": arguments.weight_decay,
        "step_size": arguments.step_size,
        "gamma": arguments.gamma,
        "loss_reduction": "sum" if arguments.loss_sum else "mean",
        "normalize": bool(arguments.normalize),
        "normalizer": arguments.normalize or "none",
        "dims": dims,
        "padding": padding,
        "init": arguments.init,
        # Real parameters, a complex weight counting two (as the reference's count_params).
        "parameters": sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters()),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "affinity": sorted(os.sched_getaffinity(0)),
        # With --checkpoint: the epoch this process started at (1: not resumed); the epoch
        # lines and medians cover all epochs, the process's own CPU time only these.
        "first_epoch_this_run": first_epoch,
    }
    if arguments.inference_samples > 0:
        rate, seconds, cpu_seconds = time_inference(
            model, test_inputs, arguments.inference_samples, arguments.inference_batch)
        summary.update({"inference_samples": arguments.inference_samples,
                        "inference_batch": arguments.inference_batch,
                        "inference_seconds": seconds,
                        "inference_cpu_seconds": cpu_seconds,
                        "inference_samples_per_second": rate})
    if arguments.profile:
        summary.update(profile(model, train_inputs, train_targets, arguments.batch,
                               arguments.profile_steps, loss_of))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch peer of the headline cases of `npm run bench -- attacks` and of the `gradients` group.

Usage: /usr/bin/python3 bench/torch_peer.py DIR CASE [--eot looped|stacked] [--threads 2|N] [--adam torch|inplace]
       [--layout channels-last|nchw] [--median network|kthvalue] [--jit] [--no-mkldnn]

The options are the variants tried while looking for the fastest peer (docs/benchmarks.md, `attacks`);
the defaults (listed first) are the fastest that were measured: channels-last lets oneDNN run
every convolution, forward and backward, without reordering its input and output per call
(1.5-3x the NCHW default on this machine). The BLAS that torch's Linear layers run on matters
most: Debian's python3-torch links libblas.so.3, which is netlib's reference BLAS unless an optimized
one is installed (`apt-get install -y libopenblas0-openmp`); the script reports which one it loaded.

DIR holds what the TypeScript group wrote: the shipped MNIST CNN's weights as tfjs stores them
(<layer>_kernel.npy / <layer>_bias.npy: conv kernels kh x kw x in x out, dense kernels in x out,
flatten in channels-last order), the seeds x.npy (N x 28 x 28 x 1 in [0, 1]), labels.npy, the
default backend's logits on the seeds (logits.npy) and the seeds through median 2x2 as the project
computes it (median.npy). CASE is one of

  cw2      Carlini & Wagner L2 as nn_robust_attacks' l2_attack.py runs it: tanh box, Adam (lr 0.01)
           on the modifier, 100 iterations x 1 binary step at c = 1e-3, confidence 10, next-class
           targets, no abort early, the successful iterate of smallest L2 kept per sample.
  eot-pgd  PGD (L-inf, eps 0.3, step 0.01, 40 steps, seeded random start) on the expected
           cross-entropy over k = 10 draws of Mix'n'Squeeze per step: uniform noise in [-0.5, 0.5],
           clipped to [0, 1], then median 2x2 (rows i-1..i, cols j-1..j, edge padding, the 3rd
           smallest of 4), differentiated through both (clip: mask; median: to the selected element).
  gradient           input gradient g^T dlogits/dx at batch 100 (g = sin(i), as the gradients group's), 100 calls
  defended-gradient  the same through one draw of noise + clip + median 2x2 per call

Before timing it checks its logits on the seeds against logits.npy (max abs diff < 1e-3) and its
median against median.npy. It prints one JSON line: case, seconds (the attack alone: no import,
no model build, no warm-up), cpu_seconds (the CPU time of all its threads meanwhile), gradient
(input gradients, in samples), success, the variant and the checks.
"""
import json
import os
import sys
import time
from pathlib import Path

# OpenMP threads that spin while waiting stall whenever another process holds a core (measured on a
# loaded 2-core machine: 2 spinning threads ran 3x slower than 1); passive waiting does not. Set
# before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

CLASSES = 10
# torch.channels_last when run with --layout channels-last (set by main).
MEMORY_FORMAT = torch.contiguous_format
# How median2x2 selects: "network" (default) or "kthvalue" (--median kthvalue; set by main).
MEDIAN = "network"


def option(args: list, name: str, default: str) -> str:
    return args[args.index(name) + 1] if name in args else default


def loaded_blas() -> str:
    """The libblas.so.3 this process mapped (netlib reference or an optimized one), from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libblas.so" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none"


def carlini_cnn(d: Path) -> nn.Module:
    """conv32-conv32-pool-conv64-conv64-pool-fc200-fc200-fc10 (valid padding, ReLU) with the tfjs weights."""
    def w(name: str) -> torch.Tensor:
        return torch.from_numpy(np.load(d / f"{name}.npy").astype(np.float32))

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, CLASSES),
    )
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    dense = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for m, name in zip(convs, ["conv1", "conv2", "conv3", "conv4"]):
            m.weight.copy_(w(f"{name}_kernel").permute(3, 2, 0, 1))  # kh kw in out -> out in kh kw
            m.bias.copy_(w(f"{name}_bias"))
        # tfjs flattens 4 x 4 x 64 channels-last; reorder the rows once so the NCHW flatten reads them.
        k1 = w("dense1_kernel").reshape(4, 4, 64, 200).permute(2, 0, 1, 3).reshape(1024, 200)
        for m, name, k in zip(dense, ["dense1", "dense2", "logits"], [k1, w("dense2_kernel"), w("logits_kernel")]):
            m.weight.copy_(k.t())
            m.bias.copy_(w(f"{name}_bias"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # input gradients only: no weight gradients computed
    return model


def median2x2(x: torch.Tensor) -> torch.Tensor:
    """Median 2x2 of N x 1 x H x W: window rows i-1..i, cols j-1..j, edge padding, element of rank 2 of 4.

    The value by a min/max network on the four shifted planes (elementwise), its place as the first
    window element equal to it (the project's rule on ties), and the output gathered from there, so
    that the backward pass routes each output's gradient to that element: 4-10x faster than
    `kthvalue` on the unfolded windows (`--median kthvalue`), whose choice among ties is arbitrary.
    The result goes to the model in the layout of x (channels-last when the model is).
    """
    if MEDIAN == "kthvalue":
        p = F.pad(x, (1, 0, 1, 0), mode="replicate")
        windows = p.unfold(2, 2, 1).unfold(3, 2, 1).reshape(*x.shape, 4)
        return windows.kthvalue(3, dim=-1).values.contiguous(memory_format=MEMORY_FORMAT)
    p = F.pad(x, (1, 0, 1, 0), mode="replicate")
    w = torch.stack([p[..., :-1, :-1], p[..., :-1, 1:], p[..., 1:, :-1], p[..., 1:, 1:]], dim=-1)
    with torch.no_grad():
        a, b, c, d = w.unbind(-1)
        m = torch.maximum(torch.minimum(torch.maximum(a, b), torch.maximum(c, d)), torch.maximum(torch.minimum(a, b), torch.minimum(c, d)))
        at = (w == m.unsqueeze(-1)).to(torch.uint8).argmax(-1, keepdim=True)  # first maximum: the first match
    return w.gather(-1, at).squeeze(-1).contiguous(memory_format=MEMORY_FORMAT)


class InplaceAdam:
    """torch.optim.Adam's update (PyTorch's form: bias-corrected moments, eps outside the sqrt) in a few in-place ops."""

    def __init__(self, p: torch.Tensor, lr: float, b1=0.9, b2=0.999, eps=1e-8):
        self.p, self.lr, self.b1, self.b2, self.eps, self.t = p, lr, b1, b2, eps, 0
        self.m, self.v, self.denom = torch.zeros_like(p), torch.zeros_like(p), torch.empty_like(p)

    @torch.no_grad()
    def step(self, g: torch.Tensor) -> None:
        self.t += 1
        self.m.mul_(self.b1).add_(g, alpha=1 - self.b1)
        self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
        bc2 = (1 - self.b2 ** self.t) ** 0.5
        torch.sqrt(self.v, out=self.denom).div_(bc2).add_(self.eps)
        self.p.addcdiv_(self.m, self.denom, value=-self.lr / (1 - self.b1 ** self.t))


def cw2(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, adam="torch", iterations=100, const=1e-3, lr=0.01, kappa=10.0):
    """One binary step of l2_attack.py on [0, 1] (boxmin 0, boxmax 1); failures return mid-grey as theirs."""
    n = x.shape[0]
    targets = (labels + 1) % CLASSES
    tlab = F.one_hot(targets, CLASSES).to(x.dtype)
    rows = torch.arange(n)
    boxmul, boxplus = 0.5, 0.5
    timg = torch.atanh((x - boxplus) / boxmul * 0.999999)
    orig = torch.tanh(timg) * boxmul + boxplus
    modifier = torch.zeros_like(x, requires_grad=True)
    opt = torch.optim.Adam([modifier], lr=lr) if adam == "torch" else InplaceAdam(modifier, lr)
    c = torch.full((n,), const)
    best_l2 = torch.full((n,), float("inf"))
    best = torch.full_like(x, boxplus)  # l2_attack.py's o_bestattack = zeros on [-0.5, 0.5]
    for _ in range(iterations):
        newimg = torch.tanh(modifier + timg) * boxmul + boxplus
        out = model(newimg)
        l2 = (newimg - orig).square().sum((1, 2, 3))
        real = (tlab * out).sum(1)
        other = ((1 - tlab) * out - tlab * 10000).amax(1)
        loss = l2.sum() + (c * torch.clamp(other - real + kappa, min=0)).sum()
        if adam == "torch":
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        else:
            opt.step(torch.autograd.grad(loss, modifier)[0])
        with torch.no_grad():  # keep the best of the iterates just evaluated (before the step), as theirs
            sc = out.clone()
            sc[rows, targets] -= kappa
            better = (sc.argmax(1) == targets) & (l2 < best_l2)
            best_l2 = torch.where(better, l2, best_l2)
            best[better] = newimg[better]
    with torch.no_grad():
        success = int((model(best).argmax(1) == targets).sum())
    return success, n * iterations


def eot_pgd(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, stacked: bool, k=10, steps=40, eps=0.3, alpha=0.01, delta=0.5, seed=1):
    """Madry's PGD on the mean cross-entropy gradient over k draws of noise + clip + median 2x2."""
    n = x.shape[0]
    gen = torch.Generator().manual_seed(seed)
    lo, hi = (x - eps).clamp(min=0), (x + eps).clamp(max=1)
    adv = torch.max(torch.min(x + torch.empty_like(x).uniform_(-eps, eps, generator=gen), hi), lo)
    if stacked:
        noise = torch.empty((k, *x.shape))
        lab = labels.repeat(k)
    else:
        noise = torch.empty_like(x)
    for _ in range(steps):
        a = adv.requires_grad_(True)
        if stacked:  # the k draws as one batch of k * n
            noise.uniform_(-delta, delta, generator=gen)
            drawn = (a.unsqueeze(0) + noise).clamp(0, 1).reshape(k * n, *x.shape[1:])
            loss = F.cross_entropy(model(median2x2(drawn)), lab, reduction="sum")
            grad = torch.autograd.grad(loss, a)[0]
        else:  # one batch of n per draw, gradients summed
            grad = torch.zeros_like(x)
            for _ in range(k):
                noise.uniform_(-delta, delta, generator=gen)
                loss = F.cross_entropy(model(median2x2((a + noise).clamp(0, 1))), labels, reduction="sum")
                grad += torch.autograd.grad(loss, a)[0]
        with torch.no_grad():
            adv = torch.max(torch.min(adv + alpha * grad.sign(), hi), lo)
    with torch.no_grad():  # success against one fresh draw of the defense, as the TS report's
        noise1 = torch.empty_like(x).uniform_(-delta, delta, generator=gen)
        success = int((model(median2x2((adv + noise1).clamp(0, 1))).argmax(1) != labels).sum())
    return success, n * steps * k


def gradients(model: nn.Module, x: torch.Tensor, defended: bool, calls=100, delta=0.5, seed=1):
    """`calls` input gradients of the first 100 seeds for the seed g = sin(i) (through one defense draw each when defended)."""
    xb = x[:100]
    g = torch.sin(torch.arange(xb.shape[0] * CLASSES, dtype=torch.float32)).reshape(-1, CLASSES)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.empty_like(xb)
    for _ in range(calls):
        a = xb.detach().requires_grad_(True)
        z = median2x2((a + noise.uniform_(-delta, delta, generator=gen)).clamp(0, 1)) if defended else a
        torch.autograd.grad(model(z), a, g)
    return 0, xb.shape[0] * calls


def main() -> None:
    args = sys.argv[1:]
    if len(args) < 2 or args[1] not in ("cw2", "eot-pgd", "gradient", "defended-gradient"):
        sys.exit("usage: /usr/bin/python3 bench/torch_peer.py DIR cw2|eot-pgd|gradient|defended-gradient [options: see the docstring]")
    d, case = Path(args[0]), args[1]
    eot = option(args, "--eot", "looped")
    threads = int(option(args, "--threads", "2"))
    adam = option(args, "--adam", "torch")
    layout = option(args, "--layout", "channels-last")
    global MEDIAN
    MEDIAN = option(args, "--median", "network")
    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = "--no-mkldnn" not in args
    model = carlini_cnn(d)
    x = torch.from_numpy(np.load(d / "x.npy").astype(np.float32)).reshape(-1, 1, 28, 28)  # C = 1: NHWC = NCHW
    if layout == "channels-last":
        global MEMORY_FORMAT
        MEMORY_FORMAT = torch.channels_last
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if "--jit" in args:
        model = torch.jit.trace(model, x[:10])
    labels = torch.from_numpy(np.load(d / "labels.npy").astype(np.int64))
    with torch.no_grad():
        logit_diff = float((model(x) - torch.from_numpy(np.load(d / "logits.npy"))).abs().max())
        median_diff = float((median2x2(x) - torch.from_numpy(np.load(d / "median.npy")).reshape(x.shape)).abs().max())
    if not logit_diff < 1e-3 or median_diff != 0:
        sys.exit(f"torch_peer: not the same model: logits differ by {logit_diff:.3g} (must be < 1e-3), median by {median_diff:.3g} (must be 0)")
    # Warm-up (as the TS side's): the first gradient call initializes the kernels.
    w = x[:10].clone().requires_grad_(True)
    torch.autograd.grad(model(median2x2(w)).sum(), w)
    t0, c0 = time.perf_counter(), time.process_time()
    if case == "cw2":
        success, gradient = cw2(model, x, labels, adam)
    elif case == "eot-pgd":
        success, gradient = eot_pgd(model, x, labels, stacked=eot == "stacked")
    else:
        success, gradient = gradients(model, x, defended=case == "defended-gradient")
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "case": case, "seconds": seconds, "cpu_seconds": cpu_seconds, "gradient": gradient, "success": success, "n": int(x.shape[0]),
        "eot": eot if case == "eot-pgd" else None, "threads": torch.get_num_threads(), "omp_wait_policy": os.environ["OMP_WAIT_POLICY"], "torch": torch.__version__,
        "adam": adam if case == "cw2" else None, "layout": layout, "median": MEDIAN if case != "cw2" else None, "jit": "--jit" in args, "mkldnn": torch.backends.mkldnn.enabled, "blas": loaded_blas(),
        "logit_max_abs_diff": logit_diff, "median_max_abs_diff": median_diff,
    }))


if __name__ == "__main__":
    main()

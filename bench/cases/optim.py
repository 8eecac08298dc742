"""One optimizer step over 10M float32 parameters (one tensor): a memory-bound pass over the
parameter, its gradient and the optimizer state. PyTorch runs its multi-tensor (foreach=True)
and its fused (fused=True) implementations in separate rows; nativedl always runs its fused kernel."""
from bench.case import Case, f32_bytes

N, QUICK = (10_000_000,), (1 << 16,)


def _step(cls: str, torch_kw: dict, **kw):
    def setup(lib, shape):
        p = lib.randn(shape, seed=0)
        p.requires_grad_(True)
        p.grad = lib.randn(shape, seed=1)
        opt = getattr(lib.m.optim, cls)([p], **kw, **(torch_kw if lib.name == "torch" else {}))
        opt.step()  # allocates the state outside the timing
        return opt.step
    return setup


# Bytes per step: SGD-momentum reads param, grad, buffer and writes param, buffer (5 streams);
# Adam(W) reads param, grad, exp_avg, exp_avg_sq and writes param, exp_avg, exp_avg_sq (7).
CASES = [
    Case(f"{name}{suffix}", N, QUICK, _step(cls, torch_kw, **kw), bytes=f32_bytes(streams), libs=("nativedl", "torch"))
    for name, cls, kw, streams in [("sgd_momentum", "SGD", dict(lr=0.01, momentum=0.9), 5),
                                   ("adam", "Adam", dict(lr=1e-3), 7),
                                   ("adamw", "AdamW", dict(lr=1e-3), 7)]
    for suffix, torch_kw in [("_vs_foreach", dict(foreach=True)), ("_vs_fused", dict(fused=True))]
]

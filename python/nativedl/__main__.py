"""python -m nativedl: the build report and a short self-check."""
import sys

import numpy as np

import nativedl as nd


def self_check():
    """A few ops, a backward pass and an interop round trip; returns a list of failures."""
    failures = []
    a = nd.randn(64, 32, dtype=nd.float64, requires_grad=True)
    y = (a.exp() * a).sum()
    y.backward()
    x = a.detach().numpy()
    if not np.allclose(a.grad.numpy(), np.exp(x) * (1 + x)):
        failures.append("d/da sum(exp(a)*a) differs from exp(a)*(1+a)")
    b = np.arange(12.0).reshape(3, 4)
    if not np.shares_memory(nd.from_numpy(b).numpy(), b):
        failures.append("from_numpy/numpy do not share memory")
    s = nd.ones(10_000_000).sum().item()
    if s != 10_000_000:
        failures.append(f"sum of 1e7 ones is {s}")
    return failures


def main(argv):
    info = nd.__build_info__
    print(f"nativedl {info['version']}")
    print(f"  kernels: {info['isa']}   threads: {nd.get_num_threads()}")
    print(f"  CUDA: {'compiled in' if info['cuda_compiled'] else 'not compiled'}, "
          f"device {'present' if info['cuda_available'] else 'absent'}")
    failures = self_check()
    for f in failures:
        print("  self-check FAILED:", f)
    print("  self-check:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

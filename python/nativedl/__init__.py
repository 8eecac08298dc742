"""nativedl: a deep-learning tensor engine with a C++ core and PyTorch's Python API."""
from . import _C
from ._C import (Tensor, Generator, dtype, manual_seed, set_num_threads, get_num_threads,
                 get_default_dtype, set_default_dtype, promote_types, result_type, from_numpy,
                 is_grad_enabled, __version__)
from ._dtypes import *  # noqa: F401,F403  (float32, float, int64, long, ...)
from ._size import Size
from ._device import device
from . import _tensor  # noqa: F401  (adds the Python-side Tensor methods)
from ._creation import (tensor, as_tensor, empty, zeros, ones, full, arange, linspace, eye, rand, randn,
                        randint, randperm, empty_like, zeros_like, ones_like, full_like, rand_like,
                        randn_like, from_dlpack)
from ._ops import *  # noqa: F401,F403  (every op bound in _C, under its PyTorch name)
from ._C import _return_types as return_types  # noqa: F401  (max/min's (values, indices))
from . import autograd
from . import nn
from . import metrics
from . import optim
from . import data
from . import train
from . import cuda
from . import backends
from .backends.cuda import set_float32_matmul_precision, get_float32_matmul_precision
from .autograd import no_grad, enable_grad, set_grad_enabled
from .io import save, load

cpu_memory_stats = _C._cpu_memory_stats  # caching allocator (blocks >= 64 KiB): allocated, cached, peak
cpu_empty_cache = _C._cpu_empty_cache
default_generator = _C.default_generator()  # an object, as torch.default_generator

__build_info__ = {
    "version": __version__,
    "isa": _C._cpu_isa(),
    "threads": get_num_threads(),
    "cuda": "on" if _C._cuda_compiled() else "off",
    "cuda_compiled": _C._cuda_compiled(),
    "cuda_available": _C._cuda_available(),
}

from . import models  # noqa: E402  (the model zoo builds on everything above)

"""nativedl.cuda: the CUDA device's state, as torch.cuda. Safe to call on any machine:
without a CUDA build, driver or device, is_available() is False and device_count() is 0."""
from . import _C
from ._device import device as _device_cls

__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed", "manual_seed_all",
           "initial_seed", "memory_allocated", "memory_reserved", "max_memory_allocated", "empty_cache",
           "is_compiled", "get_device_properties", "get_device_name", "get_device_capability"]


def is_compiled():
    """Whether this build has the CUDA backend."""
    return _C._cuda_compiled()


def is_available():
    """Whether a CUDA device can be used now (never raises)."""
    return _C._cuda_available()


def device_count():
    return _C._cuda_device_count()


def current_device():
    return 0


def synchronize(device=None):
    """Waits for every kernel and copy queued on the device."""
    _C._cuda_synchronize()


def manual_seed(seed):
    """Seeds the generator of random tensors created on CUDA devices (a no-op without CUDA, as PyTorch)."""
    _C._cuda_generator().manual_seed(int(seed))


manual_seed_all = manual_seed


def initial_seed():
    return _C._cuda_generator().initial_seed()


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    d = _device_cls(device)
    if d.type != "cuda":
        raise ValueError(f"[cuda] expected a CUDA device, got {d}")
    return d.index or 0


class _DeviceProperties:
    """torch.cuda.get_device_properties' object: name, major, minor (the compute capability),
    multi_processor_count, total_memory (bytes)."""

    __slots__ = ("name", "major", "minor", "multi_processor_count", "total_memory")

    def __init__(self, props):
        for k in self.__slots__:
            setattr(self, k, props[k])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory >> 20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    """The device's name, compute capability, SM count and memory; raises when it is not available."""
    return _DeviceProperties(_C._cuda_device_properties(_index(device)))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    """(major, minor) compute capability, e.g. (9, 0) for an H100."""
    p = get_device_properties(device)
    return p.major, p.minor


def memory_allocated(device=None):
    """Bytes of device memory held by tensors."""
    return _C._cuda_memory_stats(_index(device))["allocated_bytes"]


def memory_reserved(device=None):
    """Bytes of device memory held by the caching allocator (in use plus cached for reuse)."""
    return _C._cuda_memory_stats(_index(device))["reserved_bytes"]


def max_memory_allocated(device=None):
    return _C._cuda_memory_stats(_index(device))["peak_allocated_bytes"]


def empty_cache():
    """Returns cached, unused device blocks to the driver."""
    _C._cuda_empty_cache()

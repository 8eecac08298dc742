"""nativedl.backends: switches of the compute backends, as torch.backends."""
from . import cuda

__all__ = ["cuda"]

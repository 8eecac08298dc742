"""nativedl.device: where a tensor lives ('cpu', 'cuda', 'cuda:1'), as torch.device."""


class device:
    """device('cpu'), device('cuda:0'), device('cuda', 0), as torch.device."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 (PyTorch's name)
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0, as PyTorch
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"[device] expected a string or an int, got {type.__class__.__name__}")
        elif ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise ValueError(f"[device] invalid device string {type + ':' + idx!r}")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"[device] expected a device type 'cpu' or 'cuda', got {type!r}")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise ValueError(f"[device] device index must be a non-negative int, got {index!r}")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"[device] the CPU device has index 0, got {index}")
        self.type, self.index = type, index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

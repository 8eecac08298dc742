"""Argument helpers shared by the functional modules: PyTorch accepts an int or a tuple."""


def ntuple(value, n, name):
    """value as a tuple of n ints (an int is repeated; a 1-tuple too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
    return value


def single(value, name):
    """A 1-d op's size argument as an int (PyTorch accepts int or a 1-tuple)."""
    return ntuple(value, 1, name)[0]

"""Argument normalization shared by layer modules."""


def ntuple(value, n, name="argument"):
    """An int repeated n times, or a sequence of n ints, as a tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a sequence of {n} ints, got {value}")
        return tuple(value)
    return (value,) * n

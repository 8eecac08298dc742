"""nativedl.Size: the type of Tensor.shape, a tuple of ints."""


class Size(tuple):
    def __repr__(self):
        return f"nativedl.Size({list(self)})"

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n

"""nn.Parameter: a leaf tensor that Modules register as a parameter."""
from .._C import Tensor


class Parameter(Tensor):
    """Shares storage with `data`; requires grad unless told otherwise."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import empty
            data = empty(0)
        self = Tensor.__new__(cls)
        Tensor.__init__(self, data)  # a new leaf over data's storage, without its history
        self.requires_grad_(requires_grad)
        return self

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        return Parameter(self.detach().clone(), self.requires_grad)


class Buffer(Tensor):
    """Marks a tensor to register as a buffer when assigned to a Module attribute."""

    def __new__(cls, data, persistent=True):
        self = Tensor.__new__(cls)
        Tensor.__init__(self, data)
        self.persistent = persistent
        return self

    def __init__(self, data, persistent=True):
        pass

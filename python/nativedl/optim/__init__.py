"""nativedl.optim: PyTorch's optimizers over nativedl's fused C++ update kernels, and lr_scheduler."""
from .optimizer import Optimizer
from .sgd import SGD
from .adaptive import Adagrad, Adadelta, RMSprop
from .adam import Adam, AdamW, Adamax, NAdam, RAdam
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
           "lr_scheduler"]

"""Whole networks: one training step (forward, cross-entropy, backward, SGD-momentum step) on a batch, and
inference latency at batch 1 (eval mode, no autograd), for nativedl.models against the same architectures in
PyTorch.

The PyTorch networks come from nativedl's own model files: these use nothing but `nn` (PyTorch's API), so
executed with torch.nn in its place they build the same architecture from PyTorch's layers, with no second
definition to keep in step and no torchvision needed (tests/test_models.py checks that our networks equal
torchvision's given its weights). The LSTM classifier is the digits one of `python -m nativedl --model lstm`:
8 rows of 8 pixels read as 8 steps of 8 features, hidden size 128."""
import importlib
import pathlib
import sys
import types
from functools import lru_cache

import numpy as np

from bench.case import Case
from bench.libs import Lib

LIBS = ("nativedl", "torch")
MODELS_DIR = pathlib.Path(__file__).resolve().parents[2] / "python" / "nativedl" / "models"

# name -> (model file, constructor given that file's module)
MODELS = {
    "lenet5": ("lenet", lambda m: m.lenet5()),
    "mobilenet_v2": ("mobilenet", lambda m: m.mobilenet_v2(10, width_mult=0.5, small_input=True)),
    "resnet18": ("resnet", lambda m: m.resnet18(10, small_input=True)),
    "lstm": ("sequence", lambda m: m.lstm_classifier(10, input_size=8, hidden_size=128)),
}


def _torch_models_package(torch):
    """nativedl/models/ loaded as the package `_torch_zoo.models`, whose `from .. import nn` finds torch.nn (its
    __init__, which would pull in every family, is not run)."""
    if "_torch_zoo.models" not in sys.modules:
        root = types.ModuleType("_torch_zoo")
        root.__path__, root.nn = [], torch.nn
        models = types.ModuleType("_torch_zoo.models")
        models.__path__ = [str(MODELS_DIR)]
        sys.modules["_torch_zoo"], sys.modules["_torch_zoo.models"] = root, models
    return "_torch_zoo.models"


def _model(lib, name):
    file, make = MODELS[name]
    package = _torch_models_package(lib.m) if lib.name == "torch" else lib.m.__name__ + ".models"
    return make(importlib.import_module(f"{package}.{file}"))


def _train_step(name):
    def setup(lib, shape):
        model = _model(lib, name)
        model.train()
        F = importlib.import_module(lib.m.__name__ + ".nn.functional")
        opt = lib.m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = lib.randn(shape)
        y = lib.from_numpy(np.random.default_rng(1).integers(0, 10, shape[0]))

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step
    return setup


def _inference(name):
    def setup(lib, shape):
        model = _model(lib, name)
        model.eval()
        x = lib.randn(shape)

        def infer():
            with lib.m.no_grad():
                return model(x)
        return infer
    return setup


@lru_cache(maxsize=None)
def _forward_flops(name, shape):
    """2 x the multiply-adds of nativedl's network's convolutions, linear and LSTM layers in one forward pass
    (the rest is negligible), counted with forward hooks on a pass over zeros."""
    import nativedl as nd
    model, total = _model(Lib("nativedl", nd, nd.from_numpy, nd.set_num_threads), name), [0]

    def count(module, inputs, out):
        if isinstance(module, nd.nn.Conv2d):
            kh, kw = module.kernel_size
            total[0] += 2 * out.numel() * module.in_channels // module.groups * kh * kw
        elif isinstance(module, nd.nn.Linear):
            total[0] += 2 * out.numel() * module.in_features
        elif isinstance(module, nd.nn.LSTM):  # every weight matrix multiplies one vector per time step
            steps = inputs[0].numel() // module.input_size
            total[0] += 2 * steps * sum(w.numel() for n, w in module.named_parameters() if n.startswith("weight"))

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    with nd.no_grad():
        model.eval()(nd.zeros(shape))
    for h in hooks:
        h.remove()
    return total[0]


def _step_flops(name, passes):
    """A training step costs ~3 forward passes (the backward computes input and weight gradients)."""
    return lambda shape: passes * _forward_flops(name, shape)


CASES = []
for _name, _label, _batch, _chw in [("lenet5", "LeNet-5", 64, (1, 32, 32)),
                                    ("mobilenet_v2", "MobileNetV2 a=0.5 small-input", 32, (3, 32, 32)),
                                    ("resnet18", "ResNet-18 small-input", 32, (3, 32, 32)),
                                    ("lstm", "LSTM classifier 8x8 steps", 64, (8, 8))]:
    CASES.append(Case(f"{_label} train step", (_batch,) + _chw, (2,) + _chw, _train_step(_name), libs=LIBS,
                      flops=_step_flops(_name, 3)))
    CASES.append(Case(f"{_label} inference b=1", (1,) + _chw, (1,) + _chw, _inference(_name), libs=LIBS,
                      flops=_step_flops(_name, 1)))

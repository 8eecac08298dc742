"""Whole networks: one training step (forward, cross-entropy, backward, SGD-momentum step) on a batch, and
inference latency at batch 1, for nativedl.models against the same architectures in PyTorch (torchvision's
ResNet-18 and MobileNetV2 given the same small-input stem, or their twins in bench/torch_models.py when
torchvision does not load; LeNet-5 written out below)."""
import importlib
from functools import lru_cache

import numpy as np

from bench import torch_models
from bench.case import Case
from bench.libs import Lib

LIBS = ("nativedl", "torch")


def _torch_lenet5(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
                         nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def _torchvision():
    try:
        return importlib.import_module("torchvision.models")
    except Exception:  # absent, or built for another torch (PyPI's is for the CUDA one): bench/torch_models.py
        return None


def _torch_small_resnet18(torch):
    tv = _torchvision()
    if tv is None:
        return torch_models.resnet18_small_input(torch)
    model = tv.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)  # nativedl's small_input=True stem
    model.maxpool = torch.nn.Identity()
    return model


def _torch_small_mobilenet_v2(torch):
    tv = _torchvision()
    if tv is None:
        return torch_models.mobilenet_v2_small_input(torch, width_mult=0.5)
    model = tv.mobilenet_v2(num_classes=10, width_mult=0.5)
    model.features[0][0].stride = (1, 1)  # nativedl's small_input=True: stride-1 stem and second stage
    model.features[2].conv[1][0].stride = (1, 1)
    return model


def _model(lib, name):
    """The network for lib."""
    if lib.name == "torch":
        return {"lenet5": _torch_lenet5, "resnet18": _torch_small_resnet18,
                "mobilenet_v2": _torch_small_mobilenet_v2}[name](lib.m)
    models = importlib.import_module(lib.m.__name__ + ".models")
    return {"lenet5": lambda: models.lenet5(),
            "resnet18": lambda: models.resnet18(10, small_input=True),
            "mobilenet_v2": lambda: models.mobilenet_v2(10, width_mult=0.5, small_input=True)}[name]()


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
    """2 x the multiply-adds of nativedl's network's convolutions and linear layers in one forward pass
    (the rest is negligible), counted with forward hooks on a pass over zeros."""
    import nativedl as nd
    model, total = _model(Lib("nativedl", nd, nd.from_numpy, nd.set_num_threads), name), [0]

    def count(module, inputs, out):
        if isinstance(module, nd.nn.Conv2d):
            kh, kw = module.kernel_size
            total[0] += 2 * out.numel() * module.in_channels // module.groups * kh * kw
        elif isinstance(module, nd.nn.Linear):
            total[0] += 2 * out.numel() * module.in_features

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
                                    ("resnet18", "ResNet-18 small-input", 32, (3, 32, 32))]:
    CASES.append(Case(f"{_label} train step", (_batch,) + _chw, (2,) + _chw, _train_step(_name), libs=LIBS,
                      flops=_step_flops(_name, 3)))
    CASES.append(Case(f"{_label} inference b=1", (1,) + _chw, (1,) + _chw, _inference(_name), libs=LIBS,
                      flops=_step_flops(_name, 1)))

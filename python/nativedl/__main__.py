"""python -m nativedl: train a model on scikit-learn's real handwritten digits.

    python -m nativedl                                   LeNet-5, the default recipe
    python -m nativedl --model mobilenet_v2|resnet18|lstm --epochs N
    python -m nativedl info                              the build report and a self-check
"""
import argparse
import os
import sys
import time

import numpy as np

import nativedl as nd

# name -> (constructor, image side, default epochs, optimizer factory)
RECIPES = {
    "lenet5": (lambda: nd.models.lenet5(num_classes=10, in_channels=1), 32, 8,
               lambda p: nd.optim.SGD(p, lr=0.05, momentum=0.9)),
    "mobilenet_v2": (lambda: nd.models.mobilenet_v2(num_classes=10, in_channels=1, width_mult=0.5, small_input=True),
                     32, 8, lambda p: nd.optim.Adam(p, lr=2e-3)),
    "resnet18": (lambda: nd.models.resnet18(num_classes=10, in_channels=1, small_input=True), 32, 4,
                 lambda p: nd.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=5e-4)),
    "lstm": (lambda: nd.models.lstm_classifier(num_classes=10, input_size=8, hidden_size=128), None, 30,
             lambda p: nd.optim.Adam(p, lr=5e-3)),
}


def self_check():
    """A few ops, a backward pass and an interop round trip; returns a list of failures."""
    failures = []
    a = nd.randn(64, 32, dtype=nd.float64, requires_grad=True)
    (a.exp() * a).sum().backward()
    x = a.detach().numpy()
    if not np.allclose(a.grad.numpy(), np.exp(x) * (1 + x)):
        failures.append("d/da sum(exp(a)*a) differs from exp(a)*(1+a)")
    b = np.arange(12.0).reshape(3, 4)
    if not np.shares_memory(nd.from_numpy(b).numpy(), b):
        failures.append("from_numpy/numpy do not share memory")
    s = nd.ones(10_000_000).sum().item()
    if s != 10_000_000:
        failures.append(f"sum of 1e7 ones is {s}")
    return failures


def info():
    build = nd.__build_info__
    print(f"nativedl {build['version']}")
    print(f"  kernels: {build['isa']}   threads: {nd.get_num_threads()}")
    print(f"  CUDA: {'compiled in' if build['cuda_compiled'] else 'not compiled'}, "
          f"device {'present' if build['cuda_available'] else 'absent'}")
    failures = self_check()
    for f in failures:
        print("  self-check FAILED:", f)
    print("  self-check:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


def train(args):
    make_model, side, default_epochs, make_optimizer = RECIPES[args.model]
    epochs = args.epochs or default_epochs
    nd.manual_seed(args.seed)
    train_set = nd.data.datasets.load_digits(split="train", resize=side)
    test_set = nd.data.datasets.load_digits(split="test", resize=side)
    loader = nd.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                generator=nd.Generator().manual_seed(args.seed))
    test_loader = nd.data.DataLoader(test_set, batch_size=256)
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = nd.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, f"{args.model}.safetensors")
    print(f"training {args.model} on {len(train_set)} digits ({side or 8}x{side or 8}), testing on {len(test_set)}; "
          f"{epochs} epochs, batch {args.batch_size}, {nd.get_num_threads()} threads")
    start = time.perf_counter()
    history = nd.train.fit(model, loader, optimizer, nd.nn.CrossEntropyLoss(), epochs, val_loader=test_loader,
                           scheduler=scheduler, metrics=["accuracy"],
                           callbacks=[nd.train.ModelCheckpoint(checkpoint, monitor="val_accuracy", mode="max")])
    elapsed = time.perf_counter() - start
    curves = os.path.join(args.out, f"{args.model}_curves.png")
    history.plot(curves)
    best = max(history.history["val_accuracy"])
    print(f"test accuracy: {history.history['val_accuracy'][-1]:.4f} (best {best:.4f})")
    print(f"throughput: {len(train_set) * len(history.history['loss']) / elapsed:.0f} training images/s "
          f"(including evaluation)")
    print(f"checkpoint (best test accuracy): {checkpoint}")
    print(f"learning curves: {curves}")
    return 0


def main(argv):
    if argv[:1] == ["info"]:
        return info()
    parser = argparse.ArgumentParser(prog="python -m nativedl", description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(RECIPES), default="lenet5")
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="nativedl-runs", help="folder for the checkpoint and the curves")
    return train(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

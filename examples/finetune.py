"""Fine-tuning on the digits: LeNet-5 (ReLU, max pooling) trained on the digits 0-4, its classifier head
(F6 and the 5-way output) replaced by a fresh one, then retrained on the digits 5-9 with the convolutional
backbone (C1, C3, C5) either frozen (requires_grad_(False): its weights stay bit-identical) or in its own
param group with a 10x smaller lr. Adam throughout.

    python examples/finetune.py --backbone frozen
    python examples/finetune.py --backbone slow
"""
import argparse

import numpy as np

import nativedl as nd
import nativedl.nn as nn


def digits(split, classes):
    """The split's 32x32 digits of the given classes, labels renumbered from 0."""
    data = nd.data.datasets.load_digits(split=split, resize=32)
    labels = data.targets.numpy()
    keep = np.flatnonzero(np.isin(labels, classes))
    return nd.data.TensorDataset(data.data[nd.from_numpy(keep)], nd.from_numpy(labels[keep] - classes[0]))


def train_and_test(model, optimizer, classes, epochs, batch_size, seed):
    """Trains on the classes' training images; returns the accuracy on their test images."""
    loader = nd.data.DataLoader(digits("train", classes), batch_size=batch_size, shuffle=True,
                                generator=nd.Generator().manual_seed(seed))
    test_loader = nd.data.DataLoader(digits("test", classes), batch_size=256)
    nd.train.fit(model, loader, optimizer, nn.CrossEntropyLoss(), epochs, verbose=False)
    return nd.train.evaluate(model, test_loader, nn.CrossEntropyLoss(), metrics=["accuracy"])["accuracy"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backbone", choices=["frozen", "slow"], default="frozen",
                        help="frozen: requires_grad_(False); slow: a param group with lr / 10")
    parser.add_argument("--pretrain-epochs", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=15, help="epochs of fine-tuning on 5-9")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    model = nd.models.lenet5(num_classes=5, modern=True)
    pretrain = nd.optim.Adam(model.parameters(), lr=args.lr)
    source_acc = train_and_test(model, pretrain, [0, 1, 2, 3, 4], args.pretrain_epochs, args.batch_size, args.seed)
    print(f"trained on 0-4: test accuracy on 0-4 {source_acc:.4f}")

    backbone = model.features
    before = [p.detach().numpy().copy() for p in backbone.parameters()]
    model.classifier = nn.Sequential(nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 5))  # the new head
    if args.backbone == "frozen":
        backbone.requires_grad_(False)
        optimizer = nd.optim.Adam(model.classifier.parameters(), lr=args.lr)
    else:
        optimizer = nd.optim.Adam([{"params": backbone.parameters(), "lr": args.lr / 10},
                                   {"params": model.classifier.parameters()}], lr=args.lr)
    target_acc = train_and_test(model, optimizer, [5, 6, 7, 8, 9], args.epochs, args.batch_size, args.seed + 1)
    unchanged = all(np.array_equal(b, p.detach().numpy()) for b, p in zip(before, backbone.parameters()))
    print(f"fine-tuned on 5-9 ({args.backbone} backbone): test accuracy on 5-9 {target_acc:.4f}; "
          f"backbone weights bit-identical: {unchanged}")
    if args.backbone == "frozen" and not unchanged:
        raise RuntimeError("a frozen backbone weight changed during fine-tuning")
    return {"source_accuracy": source_acc, "target_accuracy": target_acc, "backbone_unchanged": unchanged}


if __name__ == "__main__":
    main()

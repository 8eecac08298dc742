"""LeNet-5 on scikit-learn's handwritten digits (resized to 32x32) with nativedl.train.fit: SGD with
momentum, a cosine learning-rate schedule, and test accuracy reported after every epoch.

    python examples/train_digits.py --epochs 8
"""
import argparse

import nativedl as nd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--train-limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    train_set = nd.data.datasets.load_digits(split="train", resize=32)
    test_set = nd.data.datasets.load_digits(split="test", resize=32)
    if args.train_limit is not None:
        train_set = nd.data.Subset(train_set, range(min(args.train_limit, len(train_set))))
    loader = nd.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                generator=nd.Generator().manual_seed(args.seed))
    test_loader = nd.data.DataLoader(test_set, batch_size=256)
    model = nd.models.lenet5(num_classes=10, in_channels=1)
    optimizer = nd.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = nd.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    history = nd.train.fit(model, loader, optimizer, nd.nn.CrossEntropyLoss(), args.epochs,
                           val_loader=test_loader, scheduler=scheduler, metrics=["accuracy"])
    accuracy = history.history["val_accuracy"][-1]
    print(f"final: test accuracy {accuracy:.4f}")
    return {"history": history.history, "test_accuracy": accuracy}


if __name__ == "__main__":
    main()

"""Multi-task learning on the digits: a shared trunk with two heads, the digit's class (10-way
cross-entropy) and whether it is even (binary cross-entropy), combined by nn.MultiTaskLoss with
Kendall et al.'s uncertainty weighting, whose per-task log-variances are learned with the network.

    python examples/multitask.py --epochs 30
"""
import argparse

import nativedl as nd
import nativedl.nn as nn
import nativedl.nn.functional as F


class TwoHeadNet(nn.Module):
    def __init__(self, n_in=64, hidden=128):
        super().__init__()
        self.trunk = nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                   nn.ReLU())
        self.digit = nn.Linear(hidden, 10)
        self.even = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.digit(h), self.even(h).squeeze(1)


def task_losses(model, x, y):
    digit_logits, even_logits = model(x)
    return [F.cross_entropy(digit_logits, y), F.binary_cross_entropy_with_logits(even_logits, is_even(y))]


def is_even(labels):
    return (labels % 2 == 0).to(nd.float32)


def evaluate(model, x, y):
    """(digit accuracy, even/odd accuracy) on (x, y)."""
    model.eval()
    with nd.no_grad():
        digit_logits, even_logits = model(x)
    model.train()
    digit_acc = (digit_logits.argmax(1) == y).to(nd.float32).mean().item()
    even_acc = ((even_logits > 0).to(nd.float32) == is_even(y)).to(nd.float32).mean().item()
    return digit_acc, even_acc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    gen = nd.Generator().manual_seed(args.seed)
    train, test = nd.data.datasets.load_digits(split="train"), nd.data.datasets.load_digits(split="test")
    x_train, y_train, x_test, y_test = train.data, train.targets, test.data, test.targets
    model = TwoHeadNet()
    criterion = nn.MultiTaskLoss(2, weighting="uncertainty")
    optimizer = nd.optim.Adam(list(model.parameters()) + list(criterion.parameters()), lr=args.lr)

    start = evaluate(model, x_test, y_test)
    print(f"before training: digit accuracy {start[0]:.4f}, even/odd accuracy {start[1]:.4f}")
    n = x_train.shape[0]
    for epoch in range(1, args.epochs + 1):
        perm = nd.randperm(n, generator=gen)
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            loss = criterion(task_losses(model, x_train[idx], y_train[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        digit_acc, even_acc = evaluate(model, x_test, y_test)
        weights = (-criterion.log_vars.detach()).exp().tolist()
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}  digit acc {digit_acc:.4f}  even acc {even_acc:.4f}  "
              f"task weights exp(-s) {weights[0]:.3f} {weights[1]:.3f}")
    end = evaluate(model, x_test, y_test)
    print(f"final: test digit accuracy {end[0]:.4f}, test even/odd accuracy {end[1]:.4f}")
    return {"start": start, "end": end, "model": model, "criterion": criterion,
            "log_vars_grad": criterion.log_vars.grad}


if __name__ == "__main__":
    main()

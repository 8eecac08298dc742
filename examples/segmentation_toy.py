"""Semantic segmentation of synthetic shapes: each 32x32 image holds a filled circle and a filled square
(random sizes and places, noisy background); every pixel is labelled background (0), circle (1) or
square (2). A small SegNet from nativedl.models is trained with cross-entropy + multiclass dice loss.

    python examples/segmentation_toy.py --steps 300
"""
import argparse

import numpy as np

import nativedl as nd
import nativedl.nn.functional as F

CLASSES = ("background", "circle", "square")


def make_shapes(n, size=32, seed=0):
    """(images (n, 1, size, size) float32, masks (n, size, size) int64) of one circle and one square each."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = rng.normal(0.0, 0.1, (n, 1, size, size)).astype(np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        r = rng.integers(4, 8)
        cy, cx = rng.integers(r, size - r, 2)
        masks[i][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
        h = rng.integers(5, 12)
        y0, x0 = rng.integers(0, size - h, 2)
        masks[i, y0:y0 + h, x0:x0 + h] = 2  # drawn last: covers the circle where they overlap
    images[:, 0] += (masks > 0) * 1.0
    return nd.from_numpy(images), nd.from_numpy(masks)


def scores(logits, masks, num_classes=len(CLASSES)):
    """(pixel accuracy, mean IoU over the shape classes) of the argmax prediction."""
    pred, target = logits.argmax(1).numpy(), masks.numpy()
    ious = []
    for c in range(1, num_classes):
        union = np.logical_or(pred == c, target == c).sum()
        ious.append(np.logical_and(pred == c, target == c).sum() / union if union else 1.0)
    return float((pred == target).mean()), float(np.mean(ious))


def evaluate(model, images, masks):
    model.eval()
    with nd.no_grad():
        result = scores(model(images), masks)
    model.train()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--width-mult", type=float, default=0.125)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    gen = nd.Generator().manual_seed(args.seed)
    x_train, y_train = make_shapes(args.train_size, seed=args.seed)
    x_test, y_test = make_shapes(128, seed=args.seed + 1)
    model = nd.models.segnet(num_classes=len(CLASSES), in_channels=1, width_mult=args.width_mult, depths=(1, 1, 1))
    optimizer = nd.optim.Adam(model.parameters(), lr=args.lr)

    start = evaluate(model, x_test, y_test)
    print(f"before training: pixel accuracy {start[0]:.4f}, mean IoU {start[1]:.4f}")
    for step in range(1, args.steps + 1):
        idx = nd.randint(0, args.train_size, (args.batch_size,), generator=gen)
        logits, target = model(x_train[idx]), y_train[idx]
        loss = F.cross_entropy(logits, target) + F.dice_loss(logits, target, multiclass=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(1, args.steps // 10) == 0 or step == args.steps:
            acc, iou = evaluate(model, x_test, y_test)
            print(f"step {step:4d}  loss {loss.item():.4f}  pixel accuracy {acc:.4f}  mean IoU {iou:.4f}")
    end = evaluate(model, x_test, y_test)
    print(f"final: test pixel accuracy {end[0]:.4f}, mean IoU {end[1]:.4f}")
    return {"start": start, "end": end}


if __name__ == "__main__":
    main()

"""LeNet-5 (LeCun et al., 1998): the 32x32 digit network, and its modern ReLU / max-pooling variant."""
from .. import nn

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """C1 6@5x5, S2, C3 16@5x5, S4, C5 120@5x5 (a 1x1 map on 32x32 inputs), F6 84, output num_classes.

    modern=False keeps the original's tanh and average-pooling subsampling; modern=True uses ReLU and
    max pooling, which trains faster with plain SGD.
    """

    def __init__(self, num_classes=10, in_channels=1, modern=False):
        super().__init__()
        act, pool = (nn.ReLU, nn.MaxPool2d) if modern else (nn.Tanh, nn.AvgPool2d)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5), act(), pool(2),
            nn.Conv2d(6, 16, kernel_size=5), act(), pool(2),
            nn.Conv2d(16, 120, kernel_size=5), act())
        self.classifier = nn.Sequential(nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def lenet5(num_classes=10, in_channels=1, modern=False):
    return LeNet5(num_classes, in_channels, modern)

"""VGG (Simonyan & Zisserman, 2014): stacked 3x3 convs and 2x2 max pools, laid out as torchvision's."""
from .. import nn
from ._utils import init_conv_bn

__all__ = ["VGG", "make_layers", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn"]

# Conv output channels, "M" for a 2x2 max pool: configurations A, B, D and E of the paper.
CFGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False, in_channels=3):
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers.append(nn.Conv2d(in_channels, v, 3, padding=1))
            layers += [nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features, a 7x7 adaptive average pool, and a 4096-4096-num_classes classifier with dropout.

    small_input=True (for 32x32 inputs, where the features end at 1x1) pools to 1x1 and uses 512-wide
    hidden layers: the same module names, about 120M fewer parameters.
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5, small_input=False):
        super().__init__()
        self.features = features
        pool, hidden = (1, 512) if small_input else (7, 4096)
        self.avgpool = nn.AdaptiveAvgPool2d((pool, pool))
        self.classifier = nn.Sequential(
            nn.Linear(512 * pool * pool, hidden), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes))
        if init_weights:
            init_conv_bn(self, linear_std=0.01)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _vgg(depth, batch_norm, num_classes, in_channels, small_input, **kwargs):
    return VGG(make_layers(CFGS[depth], batch_norm, in_channels), num_classes, small_input=small_input, **kwargs)


def vgg11(num_classes=1000, in_channels=3, batch_norm=False, small_input=False, **kwargs):
    return _vgg(11, batch_norm, num_classes, in_channels, small_input, **kwargs)


def vgg13(num_classes=1000, in_channels=3, batch_norm=False, small_input=False, **kwargs):
    return _vgg(13, batch_norm, num_classes, in_channels, small_input, **kwargs)


def vgg16(num_classes=1000, in_channels=3, batch_norm=False, small_input=False, **kwargs):
    return _vgg(16, batch_norm, num_classes, in_channels, small_input, **kwargs)


def vgg19(num_classes=1000, in_channels=3, batch_norm=False, small_input=False, **kwargs):
    return _vgg(19, batch_norm, num_classes, in_channels, small_input, **kwargs)


def vgg11_bn(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _vgg(11, True, num_classes, in_channels, small_input, **kwargs)


def vgg13_bn(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _vgg(13, True, num_classes, in_channels, small_input, **kwargs)


def vgg16_bn(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _vgg(16, True, num_classes, in_channels, small_input, **kwargs)


def vgg19_bn(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _vgg(19, True, num_classes, in_channels, small_input, **kwargs)

"""DenseNet (Huang et al., 2017): dense blocks whose layers see every earlier feature map, and transitions
that halve channels and resolution. Laid out as torchvision's, so its state_dict keys match."""
from collections import OrderedDict

from .. import cat, nn
from ..nn import functional as F

__all__ = ["DenseNet", "densenet121"]


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv to bn_size * growth_rate channels, BN-ReLU-3x3 conv to growth_rate new channels."""

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features):
        out = self.conv1(self.relu1(self.norm1(cat(features, 1))))
        out = self.conv2(self.relu2(self.norm2(out)))
        return F.dropout(out, self.drop_rate, self.training) if self.drop_rate > 0 else out


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate))

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(num_input_features)), ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(num_input_features, num_output_features, 1, bias=False)),
            ("pool", nn.AvgPool2d(2, 2))]))


class DenseNet(nn.Module):
    """Stem (7x7/2 conv, max pool; 3x3/1 conv without pool when small_input), dense blocks with
    transitions between them, final BN, ReLU, global average pool and a linear classifier."""

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0.0,
                 num_classes=1000, in_channels=3, small_input=False):
        super().__init__()
        if small_input:
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, 3, 1, 1, bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True))]
        else:
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, 7, 2, 3, bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(3, 2, 1))]
        self.features = nn.Sequential(OrderedDict(stem))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}",
                                     _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():  # torchvision's init: He-normal (fan_in) convs, unit BN, zero linear bias
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        out = F.relu(self.features(x))
        return self.classifier(F.adaptive_avg_pool2d(out, 1).flatten(1))


def densenet121(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return DenseNet(32, (6, 12, 24, 16), 64, num_classes=num_classes, in_channels=in_channels,
                    small_input=small_input, **kwargs)

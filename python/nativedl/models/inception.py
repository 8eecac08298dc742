"""Inception blocks: GoogLeNet's (Szegedy et al., 2014) and Inception-v3's factorized ones (Szegedy et al.,
2015), with GoogLeNet built from the former. Module names follow torchvision's googlenet / inception_v3."""
from .. import cat, nn
from ..nn import functional as F

__all__ = ["BasicConv2d", "InceptionBlock", "InceptionV3A", "InceptionV3C", "GoogLeNet", "googlenet"]


class BasicConv2d(nn.Module):
    """Conv (no bias), BN (eps 1e-3, as torchvision's Inception nets), ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class InceptionBlock(nn.Module):
    """GoogLeNet's block: 1x1, 1x1 -> 3x3, 1x1 -> 5x5 and 3x3 max pool -> 1x1 branches, concatenated.

    The 5x5 branch is a real 5x5 conv as in the paper (torchvision's googlenet has a 3x3 there)."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=5, padding=2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionV3A(nn.Module):
    """Inception-v3's figure-5 block: the 5x5 branch factorized into two stacked 3x3 convs (same receptive
    field, 18 instead of 25 weights per channel pair), next to 1x1, 1x1 -> 3x3 and avg pool -> 1x1 branches."""

    def __init__(self, in_channels, ch1x1=64, ch3x3red=48, ch3x3=64, ch3x3dblred=64, ch3x3dbl=96, pool_features=32):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, ch3x3red, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, ch3x3dblred, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(ch3x3dblred, ch3x3dbl, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(ch3x3dbl, ch3x3dbl, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)
        self.out_channels = ch1x1 + ch3x3 + ch3x3dbl + pool_features

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b5 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pool = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return cat([self.branch1x1(x), b3, b5, pool], 1)


class InceptionV3C(nn.Module):
    """Inception-v3's figure-6 block (torchvision's InceptionC for n=7): every n x n conv factorized into a
    1 x n then an n x 1 conv; branches 1x1, one factorized n x n, two stacked ones, and avg pool -> 1x1."""

    def __init__(self, in_channels, channels_7x7, n=7, out_branch=192):
        super().__init__()
        c7, p = channels_7x7, n // 2
        row, col = dict(kernel_size=(1, n), padding=(0, p)), dict(kernel_size=(n, 1), padding=(p, 0))
        self.branch1x1 = BasicConv2d(in_channels, out_branch, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, **row)
        self.branch7x7_3 = BasicConv2d(c7, out_branch, **col)
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, **row)
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, out_branch, **row)
        self.branch_pool = BasicConv2d(in_channels, out_branch, kernel_size=1)
        self.out_channels = 4 * out_branch

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        b7dbl = x
        for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                     self.branch7x7dbl_5):
            b7dbl = conv(b7dbl)
        pool = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return cat([self.branch1x1(x), b7, b7dbl, pool], 1)


# GoogLeNet's nine blocks: (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj); "M" is a 3x3/2 max pool.
GOOGLENET_CFG = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), "M",
                 (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64),
                 (512, 112, 144, 288, 32, 64, 64), (528, 256, 160, 320, 32, 128, 128), "M",
                 (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]
_NAMES = ["inception3a", "inception3b", "maxpool3", "inception4a", "inception4b", "inception4c", "inception4d",
          "inception4e", "maxpool4", "inception5a", "inception5b"]


class GoogLeNet(nn.Module):
    """The paper's GoogLeNet without auxiliary classifiers; width_mult scales every block's channels (a
    small GoogLeNet for tests and 32x32 data). small_input=True uses a 3x3/1 stem conv and no stem pools."""

    def __init__(self, num_classes=1000, in_channels=3, width_mult=1.0, small_input=False, dropout=0.2):
        super().__init__()
        w = lambda c: max(1, int(round(c * width_mult)))  # noqa: E731
        if small_input:
            self.conv1 = BasicConv2d(in_channels, w(64), kernel_size=3, padding=1)
            self.maxpool1 = self.maxpool2 = nn.Identity()
        else:
            self.conv1 = BasicConv2d(in_channels, w(64), kernel_size=7, stride=2, padding=3)
            self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = BasicConv2d(w(64), w(64), kernel_size=1)
        self.conv3 = BasicConv2d(w(64), w(192), kernel_size=3, padding=1)
        channels = w(192)
        for name, cfg in zip(_NAMES, GOOGLENET_CFG):
            if cfg == "M":
                setattr(self, name, nn.MaxPool2d(3, 2, ceil_mode=True))
            else:
                block = InceptionBlock(channels, *[w(c) for c in cfg[1:]])
                setattr(self, name, block)
                channels = block.out_channels
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():  # torchvision's init: truncated-normal convs and linear, unit BN
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        for name in _NAMES:
            x = getattr(self, name)(x)
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def googlenet(num_classes=1000, in_channels=3, width_mult=1.0, small_input=False, **kwargs):
    return GoogLeNet(num_classes, in_channels, width_mult, small_input, **kwargs)

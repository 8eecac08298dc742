"""ShuffleNet v2 (Ma et al., 2018): channel split, two branches, concat and channel shuffle (torchvision's layout)."""
from .. import cat, nn
from ..nn import functional as F

__all__ = ["ShuffleNetV2", "ShuffleUnit", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0"]


def _depthwise(channels, stride):
    return nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False)


class ShuffleUnit(nn.Module):
    """torchvision's shufflenetv2.InvertedResidual. Stride 1: half the channels pass through and the other
    half go through branch2. Stride 2: both branches see all channels and each gives half the output."""

    def __init__(self, inp, oup, stride):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"[ShuffleUnit] stride should be 1 or 2, got {stride}")
        if stride == 1 and inp != oup:
            raise ValueError(f"[ShuffleUnit] a stride-1 unit keeps its width: inp={inp} must equal oup={oup}")
        self.stride = stride
        branch = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(_depthwise(inp, stride), nn.BatchNorm2d(inp),
                                         nn.Conv2d(inp, branch, 1, bias=False), nn.BatchNorm2d(branch),
                                         nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch, branch, 1, bias=False), nn.BatchNorm2d(branch),
            nn.ReLU(inplace=True), _depthwise(branch, stride), nn.BatchNorm2d(branch),
            nn.Conv2d(branch, branch, 1, bias=False), nn.BatchNorm2d(branch), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat([x1, self.branch2(x2)], 1)
        else:
            out = cat([self.branch1(x), self.branch2(x)], 1)
        return F.channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """conv1 (3x3/2) and max pool, stages 2-4 of shuffle units, conv5 (1x1), global mean, fc.

    small_input=True makes conv1 stride 1 and drops the max pool (for 32x32 inputs).
    """

    def __init__(self, stages_repeats, stages_out_channels, num_classes=1000, in_channels=3, small_input=False):
        super().__init__()
        if len(stages_repeats) != 3 or len(stages_out_channels) != 5:
            raise ValueError("[ShuffleNetV2] expected 3 stage repeats and 5 output channel counts, got "
                             f"{stages_repeats} and {stages_out_channels}")
        c = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, c, 3, 1 if small_input else 2, 1, bias=False),
                                   nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, 2, 1)
        for name, repeats, out in zip(("stage2", "stage3", "stage4"), stages_repeats, stages_out_channels[1:]):
            setattr(self, name, nn.Sequential(ShuffleUnit(c, out, 2), *[ShuffleUnit(out, out, 1)
                                                                         for _ in range(repeats - 1)]))
            c = out
        last = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU(inplace=True))
        self.fc = nn.Linear(last, num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


def shufflenet_v2_x0_5(num_classes=1000, in_channels=3, small_input=False):
    return ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], num_classes, in_channels, small_input)


def shufflenet_v2_x1_0(num_classes=1000, in_channels=3, small_input=False):
    return ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], num_classes, in_channels, small_input)

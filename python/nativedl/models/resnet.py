"""ResNet (He et al., 2015) and ResNeXt, laid out as torchvision's so their state_dicts load unchanged."""
from .. import nn
from ._utils import init_conv_bn

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride, padding=dilation, groups=groups, bias=False,
                     dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs and an identity (or 1x1 projection) shortcut. Unlike torchvision it accepts
    dilation > 1, so a ResNet-18/34 can serve as a dilated segmentation backbone."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("[BasicBlock] only supports groups=1 and base_width=64, got "
                             f"groups={groups}, base_width={base_width}")
        self.conv1 = conv3x3(inplanes, planes, stride, dilation=dilation)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, dilation=dilation)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped for ResNeXt; the stride sits here, as in torchvision's "ResNet v1.5"),
    1x1 expand by 4."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """Stem, four stages (64, 128, 256, 512 planes), global average pool, fc.

    small_input=True replaces the 7x7/2 stem and its max pool by a 3x3/1 conv (for 32x32 inputs);
    replace_stride_with_dilation (three bools for layer2..4) trades a stage's stride for dilation, which
    keeps the feature map larger for segmentation heads. Parameter names do not depend on either option.
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None, in_channels=3, small_input=False):
        super().__init__()
        self._norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        replace_stride_with_dilation = replace_stride_with_dilation or [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("[ResNet] replace_stride_with_dilation should be None or a 3-element tuple, got "
                             f"{replace_stride_with_dilation}")
        self.inplanes, self.dilation = 64, 1
        self.groups, self.base_width = groups, width_per_group
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_conv_bn(self)
        if zero_init_residual:  # each residual branch starts as zero, so every block starts as the identity
            for m in self.modules():
                last_bn = m.bn3 if isinstance(m, Bottleneck) else m.bn2 if isinstance(m, BasicBlock) else None
                if last_bn is not None:
                    nn.init.zeros_(last_bn.weight)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer, previous_dilation = self._norm_layer, self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation, norm_layer=norm_layer) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _resnet(block, layers, num_classes, in_channels, small_input, **kwargs):
    return ResNet(block, layers, num_classes=num_classes, in_channels=in_channels, small_input=small_input,
                  **kwargs)


def resnet18(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, small_input, **kwargs)


def resnet34(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, small_input, **kwargs)


def resnet50(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, small_input, **kwargs)


def resnet101(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], num_classes, in_channels, small_input, **kwargs)


def resnet152(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(Bottleneck, [3, 8, 36, 3], num_classes, in_channels, small_input, **kwargs)


def resnext50_32x4d(num_classes=1000, in_channels=3, small_input=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, small_input, groups=32,
                   width_per_group=4, **kwargs)

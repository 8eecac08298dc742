"""MobileNet v1 (Howard et al., 2017) and v2 (Sandler et al., 2018); v2 laid out as torchvision's."""
from .. import nn
from ._utils import Conv2dNormActivation, init_conv_bn, make_divisible

__all__ = ["MobileNetV1", "MobileNetV2", "InvertedResidual", "mobilenet_v1", "mobilenet_v2"]

# MobileNet v1's depthwise-separable blocks after the 32-channel stem: (output channels, stride).
V1_SETTING = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
# MobileNet v2's stages: expansion t, output channels c, repeats n, first stride s.
V2_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
              [6, 320, 1, 1]]


class _Strides:
    """Turns strides into dilation once the network's total stride reaches output_stride (DeepLab)."""

    def __init__(self, stride, output_stride):
        self.current, self.output_stride, self.dilation = stride, output_stride, 1

    def __call__(self, stride):
        """(stride, dilation) for a layer asked to have `stride`."""
        if self.output_stride is not None and self.current * stride > self.output_stride:
            self.dilation *= stride
            return 1, self.dilation
        self.current *= stride
        return stride, self.dilation


class MobileNetV1(nn.Module):
    """A 3x3 stem, then 13 blocks of a 3x3 depthwise conv and a 1x1 pointwise conv (each BN + ReLU).

    width_mult (alpha) thins every layer; the resolution multiplier rho is simply the input size.
    small_input=True makes the stem stride 1 (for 32x32 inputs).
    """

    def __init__(self, num_classes=1000, width_mult=1.0, in_channels=3, small_input=False, dropout=0.0):
        super().__init__()
        channels = make_divisible(32 * width_mult)
        layers = [Conv2dNormActivation(in_channels, channels, stride=1 if small_input else 2)]
        for c, s in V1_SETTING:
            out = make_divisible(c * width_mult)
            layers.append(nn.Sequential(Conv2dNormActivation(channels, channels, stride=s, groups=channels),
                                        Conv2dNormActivation(channels, out, kernel_size=1)))
            channels = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(channels, num_classes))
        init_conv_bn(self, linear_std=0.01)

    def forward(self, x):
        return self.classifier(nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class InvertedResidual(nn.Module):
    """1x1 expansion (ReLU6), 3x3 depthwise (ReLU6), linear 1x1 projection; residual when shapes agree."""

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=nn.BatchNorm2d, dilation=1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"[InvertedResidual] stride should be 1 or 2, got {stride}")
        hidden_dim = int(round(inp * expand_ratio))
        self.stride = stride
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, dilation=dilation,
                                        norm_layer=norm_layer, activation_layer=nn.ReLU6),
                   nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """Stem, 17 inverted residuals, a 1x1 conv to 1280 (x width_mult when > 1), dropout and fc.

    small_input=True (for 32x32 inputs) makes the stem and the first stride-2 stage stride 1, so the last
    feature map is 4x4 rather than 1x1. output_stride (8 or 16) replaces later strides by dilation for
    segmentation backbones. Neither changes parameter names or counts.
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2, in_channels=3, small_input=False, output_stride=None):
        super().__init__()
        block = InvertedResidual if block is None else block
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        setting = [list(s) for s in (V2_SETTING if inverted_residual_setting is None else inverted_residual_setting)]
        if not setting or any(len(s) != 4 for s in setting):
            raise ValueError(f"[MobileNetV2] inverted_residual_setting should be a non-empty list of 4-element "
                             f"lists, got {inverted_residual_setting}")
        if small_input:
            setting[1][3] = 1
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        stem_stride = 1 if small_input else 2
        strides = _Strides(stem_stride, output_stride)
        features = [Conv2dNormActivation(in_channels, input_channel, stride=stem_stride, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride, dilation = strides(s if i == 0 else 1)
                features.append(block(input_channel, output_channel, stride, expand_ratio=t, norm_layer=norm_layer,
                                      dilation=dilation))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        init_conv_bn(self, linear_std=0.01)

    def forward(self, x):
        return self.classifier(nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def mobilenet_v1(num_classes=1000, in_channels=3, width_mult=1.0, small_input=False, **kwargs):
    return MobileNetV1(num_classes, width_mult, in_channels, small_input, **kwargs)


def mobilenet_v2(num_classes=1000, in_channels=3, width_mult=1.0, small_input=False, **kwargs):
    return MobileNetV2(num_classes, width_mult, in_channels=in_channels, small_input=small_input, **kwargs)

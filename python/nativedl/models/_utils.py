"""Pieces several model families share: torchvision's Conv2dNormActivation, channel rounding, init."""
from .. import nn

__all__ = []


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (no bias when a norm follows), norm, activation: children 0, 1, 2 as in torchvision."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=True))
        super().__init__(*layers)
        self.out_channels = out_channels


def make_divisible(v, divisor=8, min_value=None):
    """Rounds a scaled channel count to a multiple of divisor, never more than 10 % below v (torchvision)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def init_conv_bn(model, conv_mode="fan_out", linear_std=None):
    """torchvision's usual init: He-normal convs (zero bias), BN weight 1 / bias 0, and, when linear_std
    is given, N(0, linear_std) linear weights with zero bias (otherwise Linear keeps its default init)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode=conv_mode, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)

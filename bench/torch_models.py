"""PyTorch twins of nativedl.models.resnet18(small_input=True) and mobilenet_v2(width_mult, small_input=True),
layer for layer torchvision's architectures with nativedl's small-input stems, for the training-step cases
when torchvision cannot be imported: PyPI's torchvision wheels are built against the CUDA torch and fail to
load next to the CPU torch wheel (`operator torchvision::nms does not exist`)."""


def _conv_bn(nn, cin, cout, k, stride=1, groups=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*(layers + ([act(inplace=True)] if act else [])))


def resnet18_small_input(torch, num_classes=10):
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(_conv_bn(nn, cin, cout, 3, stride, act=nn.ReLU), _conv_bn(nn, cout, cout, 3))
            self.shortcut = _conv_bn(nn, cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            return self.relu(self.body(x) + self.shortcut(x))

    blocks, cin = [], 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(_conv_bn(nn, 3, 64, 3, act=nn.ReLU), *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(512, num_classes))


def _divisible(v, divisor=8):
    """torchvision's _make_divisible: the nearest multiple of 8, never more than 10 % below v."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def mobilenet_v2_small_input(torch, width_mult=0.5, num_classes=10):
    nn = torch.nn

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, t):
            super().__init__()
            hidden = int(round(cin * t))
            layers = [_conv_bn(nn, cin, hidden, 1, act=nn.ReLU6)] if t != 1 else []
            layers += [_conv_bn(nn, hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                       _conv_bn(nn, hidden, cout, 1)]
            self.conv = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.conv(x) if self.residual else self.conv(x)

    # (expansion, channels, repeats, first stride); small input: the stem and the 24-channel stage keep stride 1.
    setting = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]
    cin, last = _divisible(32 * width_mult), _divisible(1280 * max(1.0, width_mult))
    layers = [_conv_bn(nn, 3, cin, 3, 1, act=nn.ReLU6)]
    for t, c, n, s in setting:
        cout = _divisible(c * width_mult)
        for i in range(n):
            layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
            cin = cout
    layers.append(_conv_bn(nn, cin, last, 1, act=nn.ReLU6))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(last, num_classes))

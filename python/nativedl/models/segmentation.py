"""Dense-prediction networks: FCN-8s, SegNet, DeepLabv3 (ASPP), PSPNet (pyramid pooling) and a semantic FPN.

Every model maps (N, in_channels, H, W) to (N, num_classes, H, W) logits at the input resolution (H and W
multiples of 32 for fcn and segnet, which upsample by exact factors). DeepLabv3's module names follow
torchvision's (backbone.*, classifier.0.convs.*, ...), and FeaturePyramidNetwork's follow torchvision.ops'.
"""
from collections import OrderedDict

import numpy as np

from .. import cat, from_numpy, nn, no_grad
from ..nn import functional as F
from ._utils import Conv2dNormActivation
from .mobilenet import mobilenet_v2
from .resnet import resnet18, resnet34, resnet50, resnet101
from .vgg import CFGS

__all__ = ["IntermediateLayerGetter", "FCN", "fcn", "SegNet", "segnet", "ASPP", "DeepLabHead", "DeepLabV3",
           "deeplab_v3", "PyramidPooling", "PSPNet", "pspnet", "FeaturePyramidNetwork", "FPNSegmentation", "fpn"]

_RESNETS = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50, "resnet101": resnet101}


def _upsample_to(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class IntermediateLayerGetter(nn.ModuleDict):
    """The model's children up to the last one named in return_layers, run in order; forward returns an
    OrderedDict {return_layers[name]: that child's output} (torchvision's, so backbone.* keys match)."""

    def __init__(self, model, return_layers):
        names = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(names):
            raise ValueError(f"[IntermediateLayerGetter] return_layers {sorted(return_layers)} are not all "
                             f"children of the model ({names})")
        wanted, layers = dict(return_layers), OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            wanted.pop(name, None)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = dict(return_layers)

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


def _backbone(op, name, in_channels, output_stride, return_layers, width_mult=1.0):
    """A dilated classification network cut before its pooling / classifier, and its out channels per
    returned layer. output_stride None keeps every stride (32); 16 or 8 trade the last strides for dilation."""
    if output_stride not in (None, 8, 16, 32):
        raise ValueError(f"[{op}] output_stride must be 8, 16 or 32, got {output_stride}")
    os_ = output_stride or 32
    if name in _RESNETS:
        net = _RESNETS[name](in_channels=in_channels, replace_stride_with_dilation=[False, os_ <= 8, os_ <= 16])
        width = net.fc.in_features // 8
        chans = {"layer1": width, "layer2": 2 * width, "layer3": 4 * width, "layer4": 8 * width}
        return IntermediateLayerGetter(net, {k: return_layers[k] for k in chans if k in return_layers}), \
            {return_layers[k]: chans[k] for k in chans if k in return_layers}
    if name == "mobilenet_v2":
        features = mobilenet_v2(in_channels=in_channels, width_mult=width_mult, output_stride=output_stride).features
        last = str(len(features) - 2)  # the last inverted residual: the 1x1 conv to 1280 is left out
        return IntermediateLayerGetter(features, {last: "out"}), {"out": features[-2].out_channels}
    raise ValueError(f"[{op}] unknown backbone {name!r}: expected one of {sorted(_RESNETS) + ['mobilenet_v2']}")


# ---------------------------------------------------------------------------------------------- FCN-8s
def _bilinear_kernel(channels, k):
    """A (channels, channels, k, k) transposed-conv weight that upsamples each channel bilinearly."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    og = np.arange(k, dtype=np.float32)
    filt = (1 - np.abs(og - center) / factor)
    weight = np.zeros((channels, channels, k, k), dtype=np.float32)
    weight[np.arange(channels), np.arange(channels)] = np.outer(filt, filt)
    return from_numpy(weight)


class FCN(nn.Module):
    """FCN-8s (Long et al., 2015) on a VGG encoder: class scores at stride 32 are upsampled 2x by a
    transposed conv and fused (summed) with scores from pool4, again 2x and fused with pool3, then 8x to the
    input size. Transposed convs start as bilinear upsampling and the skip scorers at zero, as in the paper;
    fc6/fc7 are 3x3 and 1x1 convolutions of head_channels."""

    def __init__(self, num_classes=21, in_channels=3, depth=16, width_mult=1.0, batch_norm=False, head_channels=None):
        super().__init__()
        stages, stage, c = [], [], in_channels
        for v in CFGS[depth]:
            if v == "M":
                stages.append(nn.Sequential(*stage, nn.MaxPool2d(2, 2)))
                stage = []
                continue
            v = max(1, int(v * width_mult))
            stage += [Conv2dNormActivation(c, v, norm_layer=nn.BatchNorm2d if batch_norm else None)]
            c = v
        self.stages = nn.ModuleList(stages)
        c3, c4 = stages[2][-2].out_channels, stages[3][-2].out_channels
        h = head_channels or int(4096 * width_mult)
        self.head = nn.Sequential(nn.Conv2d(c, h, 3, padding=1), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
                                  nn.Conv2d(h, h, 1), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
                                  nn.Conv2d(h, num_classes, 1))
        self.score_pool4 = nn.Conv2d(c4, num_classes, 1)
        self.score_pool3 = nn.Conv2d(c3, num_classes, 1)
        self.upscore2 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1, bias=False)
        self.upscore8 = nn.ConvTranspose2d(num_classes, num_classes, 16, stride=8, padding=4, bias=False)
        with no_grad():
            for up in (self.upscore2, self.upscore_pool4, self.upscore8):
                up.weight.copy_(_bilinear_kernel(num_classes, up.kernel_size[0]))
            for score in (self.score_pool4, self.score_pool3):
                nn.init.zeros_(score.weight)
                nn.init.zeros_(score.bias)

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        out = self.upscore2(self.head(x)) + self.score_pool4(feats[3])
        out = self.upscore_pool4(out) + self.score_pool3(feats[2])
        return self.upscore8(out)


def fcn(num_classes=21, in_channels=3, depth=16, width_mult=1.0, batch_norm=False, head_channels=None):
    return FCN(num_classes, in_channels, depth, width_mult, batch_norm, head_channels)


# ---------------------------------------------------------------------------------------------- SegNet
def _conv_bn_relu(c_in, c_out):
    return Conv2dNormActivation(c_in, c_out)


class SegNet(nn.Module):
    """SegNet (Badrinarayanan et al., 2015): a VGG-16-BN encoder whose 2x2 max pools keep their argmax
    indices, and a mirrored decoder that upsamples with max-unpooling at those indices (no learned
    upsampling), then convs; a final 3x3 conv gives the class scores."""

    def __init__(self, num_classes=21, in_channels=3, width_mult=1.0, depths=(2, 2, 3, 3, 3)):
        super().__init__()
        widths = [max(1, int(w * width_mult)) for w in (64, 128, 256, 512, 512)][:len(depths)]
        encoders, c = [], in_channels
        for w, d in zip(widths, depths):
            encoders.append(nn.Sequential(*[_conv_bn_relu(c if i == 0 else w, w) for i in range(d)]))
            c = w
        decoders = []
        for i in reversed(range(len(depths))):
            w, out = widths[i], widths[max(i - 1, 0)]
            decoders.append(nn.Sequential(*[_conv_bn_relu(w, w if j < depths[i] - 1 else out)
                                            for j in range(depths[i])]))
        self.encoders, self.decoders = nn.ModuleList(encoders), nn.ModuleList(decoders)
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.classifier = nn.Conv2d(widths[0], num_classes, 3, padding=1)

    def forward(self, x):
        saved = []
        for enc in self.encoders:
            x = enc(x)
            size = x.shape[-2:]
            x, idx = self.pool(x)
            saved.append((idx, size))
        for dec, (idx, size) in zip(self.decoders, reversed(saved)):
            x = dec(self.unpool(x, idx, output_size=size))
        return self.classifier(x)


def segnet(num_classes=21, in_channels=3, width_mult=1.0, depths=(2, 2, 3, 3, 3)):
    return SegNet(num_classes, in_channels, width_mult, depths)


# ---------------------------------------------------------------------------------------------- DeepLabv3
class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class ASPPPooling(nn.Sequential):
    """Image-level features: global average pool, 1x1 conv, then broadcast back to the map's size."""

    def __init__(self, in_channels, out_channels):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x):
        return _upsample_to(super().forward(x), x.shape[-2:])


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (Chen et al., 2017): a 1x1 conv, 3x3 convs at each atrous rate and
    image pooling in parallel, concatenated and projected to out_channels."""

    def __init__(self, in_channels, atrous_rates=(6, 12, 18), out_channels=256):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                  nn.ReLU())]
        branches += [ASPPConv(in_channels, out_channels, rate) for rate in atrous_rates]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(nn.Conv2d(len(branches) * out_channels, out_channels, 1, bias=False),
                                     nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.project(cat([conv(x) for conv in self.convs], 1))


class DeepLabHead(nn.Sequential):
    def __init__(self, in_channels, num_classes, atrous_rates=(6, 12, 18), channels=256):
        super().__init__(ASPP(in_channels, atrous_rates, channels), nn.Conv2d(channels, channels, 3, padding=1,
                                                                              bias=False),
                         nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, num_classes, 1))


class DeepLabV3(nn.Module):
    """backbone (an IntermediateLayerGetter returning 'out'), classifier head, bilinear upsampling."""

    def __init__(self, backbone, classifier):
        super().__init__()
        self.backbone, self.classifier = backbone, classifier

    def forward(self, x):
        return _upsample_to(self.classifier(self.backbone(x)["out"]), x.shape[-2:])


def deeplab_v3(num_classes=21, in_channels=3, backbone="resnet50", atrous_rates=(6, 12, 18), output_stride=16,
               aspp_channels=256, width_mult=1.0):
    """DeepLabv3 with a ResNet (resnet18/34/50/101) or mobilenet_v2 (width_mult) backbone whose last
    strides become dilation so features stay at output_stride. With resnet50/101, rates (12, 24, 36) and
    output_stride=8 the parameters equal torchvision's deeplabv3_resnet50/101 without the aux head."""
    body, chans = _backbone("deeplab_v3", backbone, in_channels, output_stride,
                            {"layer4": "out"} if backbone in _RESNETS else {"out": "out"}, width_mult)
    return DeepLabV3(body, DeepLabHead(chans["out"], num_classes, atrous_rates, aspp_channels))


# ---------------------------------------------------------------------------------------------- PSPNet
class PyramidPooling(nn.Module):
    """PSPNet's pyramid pooling module (Zhao et al., 2017): average-pool the map into bins x bins grids, 1x1
    conv each to in_channels / len(bins) channels, upsample back and concatenate with the input."""

    def __init__(self, in_channels, bins=(1, 2, 3, 6)):
        super().__init__()
        reduced = in_channels // len(bins)
        self.stages = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(in_channels, reduced, 1,
                                                                                      bias=False),
                                                   nn.BatchNorm2d(reduced), nn.ReLU(inplace=True)) for b in bins])
        self.out_channels = in_channels + reduced * len(bins)

    def forward(self, x):
        size = x.shape[-2:]
        return cat([x] + [_upsample_to(stage(x), size) for stage in self.stages], 1)


class PSPNet(nn.Module):
    def __init__(self, backbone, in_features, num_classes, bins=(1, 2, 3, 6), head_channels=512):
        super().__init__()
        self.backbone = backbone
        self.ppm = PyramidPooling(in_features, bins)
        self.classifier = nn.Sequential(
            nn.Conv2d(self.ppm.out_channels, head_channels, 3, padding=1, bias=False), nn.BatchNorm2d(head_channels),
            nn.ReLU(inplace=True), nn.Dropout(0.1), nn.Conv2d(head_channels, num_classes, 1))

    def forward(self, x):
        return _upsample_to(self.classifier(self.ppm(self.backbone(x)["out"])), x.shape[-2:])


def pspnet(num_classes=21, in_channels=3, backbone="resnet50", bins=(1, 2, 3, 6), output_stride=8,
           head_channels=512, width_mult=1.0):
    body, chans = _backbone("pspnet", backbone, in_channels, output_stride,
                            {"layer4": "out"} if backbone in _RESNETS else {"out": "out"}, width_mult)
    return PSPNet(body, chans["out"], num_classes, bins, head_channels)


# ---------------------------------------------------------------------------------------------- FPN
class FeaturePyramidNetwork(nn.Module):
    """FPN's top-down pathway (Lin et al., 2017), as torchvision.ops.FeaturePyramidNetwork: 1x1 lateral
    convs, the coarser merged map upsampled 2x by nearest neighbour and added, then a 3x3 conv per level.
    Takes and returns an OrderedDict (or a list) of maps, finest first."""

    def __init__(self, in_channels_list, out_channels):
        super().__init__()
        if any(c <= 0 for c in in_channels_list):
            raise ValueError(f"[FeaturePyramidNetwork] in_channels_list must be positive, got {in_channels_list}")
        self.inner_blocks = nn.ModuleList([Conv2dNormActivation(c, out_channels, 1, norm_layer=None,
                                                                activation_layer=None) for c in in_channels_list])
        self.layer_blocks = nn.ModuleList([Conv2dNormActivation(out_channels, out_channels, 3, norm_layer=None,
                                                                activation_layer=None) for _ in in_channels_list])
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        names, maps = (list(x.keys()), list(x.values())) if isinstance(x, dict) else (None, list(x))
        if len(maps) != len(self.inner_blocks):
            raise ValueError(f"[FeaturePyramidNetwork] expected {len(self.inner_blocks)} feature maps, got {len(maps)}")
        last_inner = self.inner_blocks[-1](maps[-1])
        results = [self.layer_blocks[-1](last_inner)]
        for idx in range(len(maps) - 2, -1, -1):
            lateral = self.inner_blocks[idx](maps[idx])
            # Nearest upsampling to the lateral's size: exactly 2x for the usual stride-2 levels.
            last_inner = lateral + F.interpolate(last_inner, size=lateral.shape[-2:], mode="nearest")
            results.insert(0, self.layer_blocks[idx](last_inner))
        return OrderedDict(zip(names, results)) if names is not None else results


class FPNSegmentation(nn.Module):
    """Semantic FPN: ResNet layer1-4 -> FPN -> every level upsampled to the finest and summed -> 3x3
    conv-BN-ReLU -> 1x1 class scores -> bilinear upsampling to the input."""

    def __init__(self, backbone, in_channels_list, num_classes, fpn_channels=128):
        super().__init__()
        self.backbone = backbone
        self.fpn = FeaturePyramidNetwork(in_channels_list, fpn_channels)
        self.classifier = nn.Sequential(Conv2dNormActivation(fpn_channels, fpn_channels),
                                        nn.Conv2d(fpn_channels, num_classes, 1))

    def forward(self, x):
        levels = list(self.fpn(self.backbone(x)).values())
        fused = levels[0]
        for level in levels[1:]:
            fused = fused + _upsample_to(level, fused.shape[-2:])
        return _upsample_to(self.classifier(fused), x.shape[-2:])


def fpn(num_classes=21, in_channels=3, backbone="resnet18", fpn_channels=128):
    layers = {f"layer{i}": f"p{i + 1}" for i in range(1, 5)}
    if backbone not in _RESNETS:
        raise ValueError(f"[fpn] needs a multi-stage ResNet backbone ({sorted(_RESNETS)}), got {backbone!r}")
    body, chans = _backbone("fpn", backbone, in_channels, None, layers)
    return FPNSegmentation(body, list(chans.values()), num_classes, fpn_channels)

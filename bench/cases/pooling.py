from bench.autograd_case import pair

SHAPE, QUICK = (16, 64, 112, 112), (2, 16, 56, 56)

# 3x3 stride 2 pooling (ResNet's stem): bytes count the input plus a quarter-size output (forward),
# then the quarter-size output gradient and the input gradient (backward).
CASES = (pair("max_pool2d_3x3s2", SHAPE, QUICK, lambda F, x: F.max_pool2d(x, 3, 2, 1),
              tensors_fwd=1.25, tensors_bwd=2.5)
         + pair("avg_pool2d_3x3s2", SHAPE, QUICK, lambda F, x: F.avg_pool2d(x, 3, 2, 1),
                tensors_fwd=1.25, tensors_bwd=2.5)
         + pair("interpolate_bilinear_x2", (16, 64, 56, 56), (2, 16, 28, 28),
                lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
                tensors_fwd=5, tensors_bwd=10))

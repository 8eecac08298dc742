"""nativedl.data.transforms: shapes, values against plain NumPy references, statistics, seeding, errors."""
import numpy as np
import pytest

import nativedl as nd
from nativedl.data import transforms as T

RNG = np.random.default_rng(0)
IMG = RNG.random((3, 10, 12)).astype(np.float32)  # C, H, W


def gen(seed):
    return nd.Generator().manual_seed(seed)


def bilinear_reference(img, oh, ow):
    """Half-pixel bilinear upsampling, written point by point from the definition (edges clamped)."""
    h, w = img.shape[-2:]
    out = np.empty(img.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y = min(max((i + 0.5) * h / oh - 0.5, 0), h - 1)
            x = min(max((j + 0.5) * w / ow - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = y - y0, x - x0
            out[..., i, j] = ((1 - fy) * ((1 - fx) * img[..., y0, x0] + fx * img[..., y0, x1])
                              + fy * ((1 - fx) * img[..., y1, x0] + fx * img[..., y1, x1]))
    return out


def test_to_tensor():
    hwc = RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    t = T.ToTensor()(hwc)
    assert isinstance(t, nd.Tensor) and t.shape == (3, 4, 5) and t.dtype == nd.float32
    np.testing.assert_allclose(t.numpy(), hwc.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(np.zeros((4, 5), np.uint8)).shape == (1, 4, 5)
    assert T.ToTensor()(np.ones((2, 2, 1), np.float64)).dtype == nd.float64  # not rescaled
    with pytest.raises(TypeError, match=r"\[ToTensor\]"):
        T.ToTensor()(nd.zeros(3, 4, 5))


def test_normalize_and_kinds():
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    ref = (IMG - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    out = T.Normalize(mean, std)(IMG)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    out_t = T.Normalize(mean, std)(nd.from_numpy(IMG.copy()))
    assert isinstance(out_t, nd.Tensor)
    np.testing.assert_allclose(out_t.numpy(), ref, rtol=1e-6)
    batch = np.stack([IMG, IMG])
    np.testing.assert_allclose(T.Normalize(mean, std)(batch)[1], ref, rtol=1e-6)
    x = nd.from_numpy(IMG.copy())
    assert T.Normalize(mean, std, inplace=True)(x) is x
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.0], [0.0])(IMG)
    with pytest.raises(ValueError, match="mean has 2 values"):
        T.Normalize([0.0, 0.0], [1.0])(IMG)
    with pytest.raises(TypeError, match="float image"):
        T.Normalize([0.0], [1.0])(np.zeros((1, 2, 2), np.uint8))


def test_flips_and_probability():
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(IMG), IMG[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(IMG), IMG[..., ::-1, :])
    assert T.RandomHorizontalFlip(p=0.0)(IMG) is IMG
    flip = T.RandomHorizontalFlip(generator=gen(0))
    flips = sum(not np.array_equal(flip(IMG), IMG) for _ in range(400))
    assert abs(flips / 400 - 0.5) < 5 * np.sqrt(0.25 / 400)


def test_center_crop():
    out = T.CenterCrop((4, 6))(IMG)
    np.testing.assert_array_equal(out, IMG[:, 3:7, 3:9])
    padded = T.CenterCrop(14)(IMG)  # larger than the image: zero padding around it
    assert padded.shape == (3, 14, 14)
    np.testing.assert_array_equal(padded[:, 2:12, 1:13], IMG)
    assert padded[:, 0].sum() == 0 and padded[:, :, 0].sum() == 0


def test_random_crop_is_a_window_and_seeded():
    crop = T.RandomCrop(5, padding=2, generator=gen(3))
    padded = np.pad(IMG, ((0, 0), (2, 2), (2, 2)))
    for _ in range(20):
        out = crop(IMG)
        assert out.shape == (3, 5, 5)
        assert any(np.array_equal(out, padded[:, i:i + 5, j:j + 5]) for i in range(10) for j in range(12))
    np.testing.assert_array_equal(T.RandomCrop(5, generator=gen(1))(IMG), T.RandomCrop(5, generator=gen(1))(IMG))
    assert T.RandomCrop(16, pad_if_needed=True, generator=gen(0))(IMG).shape == (3, 16, 16)
    reflect = T.RandomCrop((14, 16), padding=(2, 2), padding_mode="reflect", generator=gen(0))(IMG)
    np.testing.assert_array_equal(reflect, np.pad(IMG, ((0, 0), (2, 2), (2, 2)), mode="reflect"))
    with pytest.raises(ValueError, match="larger than the"):
        T.RandomCrop(11)(IMG)


def test_resize_bilinear_matches_reference():
    out = T.Resize((23, 29))(IMG)
    assert out.shape == (3, 23, 29) and out.dtype == np.float32
    np.testing.assert_allclose(out, bilinear_reference(IMG.astype(np.float64), 23, 29), rtol=1e-5, atol=1e-6)
    assert T.Resize(20)(IMG).shape == (3, 20, 24)  # smaller edge to 20, aspect kept
    assert T.Resize(10, max_size=11)(IMG).shape == (3, 9, 11)  # longer edge capped, shorter scaled with it
    nearest = T.Resize((20, 24), interpolation="nearest")(IMG)
    np.testing.assert_array_equal(nearest, IMG.repeat(2, axis=1).repeat(2, axis=2))


def test_resize_down_antialias_filter():
    # Halving with the triangle filter of support 2 weights the 4 nearest pixels 3/8, 3/8 and the next 1/8, 1/8.
    row = np.arange(8.0)[None, None, :].repeat(2, axis=1)
    out = T.Resize((2, 4))(row)
    np.testing.assert_allclose(out[0, 0], [(0 * 3 + 1 * 3 + 2) / 7, 2.5, 4.5, (5 + 6 * 3 + 7 * 3) / 7])
    uint8 = T.Resize((5, 6))(np.full((1, 10, 12), 200, np.uint8))
    assert uint8.dtype == np.uint8 and (uint8 == 200).all()


def test_random_resized_crop():
    rrc = T.RandomResizedCrop(8, scale=(0.5, 1.0), generator=gen(0))
    for _ in range(10):
        top, left, h, w = rrc.get_params(10, 12)
        assert 0 <= top and top + h <= 10 and 0 <= left and left + w <= 12
        assert 0.5 * 120 * 0.8 <= h * w <= 120  # area within scale (rounding aside)
    out = rrc(nd.from_numpy(IMG))
    assert isinstance(out, nd.Tensor) and out.shape == (3, 8, 8)
    full = T.RandomResizedCrop((10, 12), scale=(1.0, 1.0), ratio=(1.2, 1.2))(IMG)
    np.testing.assert_allclose(full, IMG, atol=1e-6)  # the whole image, resized to its own size


def test_rotation_quarter_turn_and_expand():
    sq = RNG.random((2, 7, 7)).astype(np.float32)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(sq), np.rot90(sq, 1, axes=(1, 2)))
    np.testing.assert_allclose(T.RandomRotation((90, 90), interpolation="bilinear")(sq),
                               np.rot90(sq, 1, axes=(1, 2)), atol=1e-6)
    np.testing.assert_array_equal(T.RandomRotation((-90, -90))(sq), np.rot90(sq, -1, axes=(1, 2)))
    rect = T.RandomRotation((90, 90), expand=True)(IMG)
    np.testing.assert_array_equal(rect, np.rot90(IMG, 1, axes=(1, 2)))
    rot45 = T.RandomRotation((45, 45), fill=-1.0)(sq)
    assert rot45[0, 0, 0] == -1.0 and rot45[0, 3, 3] == sq[0, 3, 3]  # corner left the image; centre stays
    a = T.RandomRotation(30, generator=gen(2))(IMG)
    np.testing.assert_array_equal(a, T.RandomRotation(30, generator=gen(2))(IMG))


def test_affine_translate_and_scale():
    shifted = T.RandomAffine(0, translate=(0.25, 0.0))
    # translate draws tx uniformly from +-0.25*12 = +-3 pixels; a shifted image equals a rolled one inside
    for s in range(5):
        shifted.generator = gen(s)
        angle, (tx, ty), scale, shear = shifted.get_params(10, 12)
        shifted.generator = gen(s)
        out = shifted(IMG)
        assert ty == 0 and -3 <= tx <= 3 and scale == 1.0 and shear == (0.0, 0.0)
        if tx > 0:
            np.testing.assert_array_equal(out[..., tx:], IMG[..., :-tx])
            assert (out[..., :tx] == 0).all()
        elif tx < 0:
            np.testing.assert_array_equal(out[..., :tx], IMG[..., -tx:])
    zoom = T.RandomAffine(0, scale=(2.0, 2.0), interpolation="bilinear")(np.ones((1, 9, 9)))
    assert (zoom == 1).all()  # scaling up a constant image stays inside it everywhere
    small = T.RandomAffine(0, scale=(0.5, 0.5))(np.ones((1, 9, 9)))
    assert small[0, 4, 4] == 1 and small[0, 0, 0] == 0
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(2, 0))


def test_color_jitter():
    img = RNG.random((3, 8, 8)).astype(np.float32) * 0.5
    bright = T.ColorJitter(brightness=(2.0, 2.0))(img)
    np.testing.assert_allclose(bright, img * 2, rtol=1e-6)
    flat = T.ColorJitter(contrast=(0.0, 0.0))(img)  # contrast 0: the mean gray everywhere
    gray = 0.2989 * img[0] + 0.587 * img[1] + 0.114 * img[2]
    np.testing.assert_allclose(flat, np.full_like(img, gray.mean()), rtol=1e-5)
    desat = T.ColorJitter(saturation=(0.0, 0.0))(img)
    np.testing.assert_allclose(desat, np.broadcast_to(gray, img.shape), rtol=1e-5)
    jit = T.ColorJitter(0.4, 0.4, 0.4, generator=gen(0))(img)
    assert jit.shape == img.shape and jit.min() >= 0 and jit.max() <= 1
    np.testing.assert_array_equal(jit, T.ColorJitter(0.4, 0.4, 0.4, generator=gen(0))(img))
    with pytest.raises(ValueError, match="brightness"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="1- or 3-channel"):
        T.ColorJitter(0.1)(np.zeros((2, 4, 4), np.float32))


def test_gaussian_noise_statistics():
    img = np.full((1, 200, 200), 0.5, np.float32)
    out = T.GaussianNoise(sigma=0.1, generator=gen(0))(img)
    noise = out - img
    assert abs(noise.mean()) < 5 * 0.1 / 200 and abs(noise.std() - 0.1) < 0.005
    assert T.GaussianNoise(mean=1.0, sigma=0.0)(img).max() == 1.0  # clipped
    assert T.GaussianNoise(mean=1.0, sigma=0.0, clip=False)(img).max() == 1.5
    with pytest.raises(TypeError, match="float image"):
        T.GaussianNoise()(np.zeros((1, 2, 2), np.uint8))


def test_gaussian_blur():
    img = RNG.random((2, 9, 11))
    out = T.GaussianBlur(3, sigma=1.0)(img)
    k = np.exp(-0.5 * np.array([-1.0, 0.0, 1.0]) ** 2)
    k /= k.sum()
    pad = np.pad(img, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    ref = sum(k[a] * k[b] * pad[:, a:a + 9, b:b + 11] for a in range(3) for b in range(3))
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    const = T.GaussianBlur((5, 3), sigma=(0.5, 2.0), generator=gen(0))(np.full((1, 6, 6), 0.3))
    np.testing.assert_allclose(const, 0.3)  # a blur keeps constants (weights sum to 1)
    assert T.GaussianBlur(5, generator=gen(1))(IMG).std() < IMG.std()  # seeded: sigma near 0.1 blurs nothing
    with pytest.raises(ValueError, match="odd positive"):
        T.GaussianBlur(4)


def test_random_erasing():
    img = np.ones((3, 20, 20), np.float32)
    erase = T.RandomErasing(p=1.0, value=0, generator=gen(0))
    out = erase(img)
    holes = out == 0
    frac = holes[0].mean()
    assert 0.02 * 0.9 <= frac <= 0.33 * 1.1 and (holes[0] == holes[1]).all()
    rows, cols = np.nonzero(holes[0])
    assert holes[0, rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # one rectangle
    assert (img == 1).all()  # not in place
    assert T.RandomErasing(p=0.0)(img) is img
    colored = T.RandomErasing(p=1.0, value=(1.0, 2.0, 3.0), generator=gen(1))(img)
    assert set(np.unique(colored[2])) <= {1.0, 3.0}
    noisy = T.RandomErasing(p=1.0, value="random", generator=gen(2))(img)
    assert (noisy != 1).any()
    with pytest.raises(ValueError, match="'random'"):
        T.RandomErasing(value="noise")


def test_compose_pipeline_seeded_and_batched():
    pipeline = T.Compose([T.RandomResizedCrop(8, scale=(0.6, 1.0)), T.RandomHorizontalFlip(),
                          T.RandomRotation(10, interpolation="bilinear"), T.ColorJitter(0.2, 0.2),
                          T.GaussianBlur(3), T.GaussianNoise(sigma=0.02), T.RandomErasing(),
                          T.Normalize([0.5], [0.5])])
    batch = nd.from_numpy(RNG.random((4, 1, 10, 12)).astype(np.float32))
    nd.manual_seed(0)
    a = pipeline(batch)
    nd.manual_seed(0)
    b = pipeline(batch)
    assert isinstance(a, nd.Tensor) and a.shape == (4, 1, 8, 8)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert "RandomHorizontalFlip(p=0.5)" in repr(pipeline)

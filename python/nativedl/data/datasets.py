"""Real data sets that ship with installed packages (no downloads)."""
import numpy as np

from .. import _C
from .._creation import randperm
from . import _image
from .dataset import Dataset

__all__ = ["Digits", "load_digits"]


class Digits(Dataset):
    """scikit-learn's handwritten digits: sample i is (1 x H x W float32 tensor in [0, 1], int label 0-9).

    data (N, 1, H, W) and targets (N,) are tensors over the whole set; transform / target_transform are
    applied per sample on access, as torchvision's datasets do.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, images, labels, transform=None, target_transform=None):
        self._images = np.ascontiguousarray(images, dtype=np.float32)
        self._labels = np.ascontiguousarray(labels, dtype=np.int64)
        self.transform, self.target_transform = transform, target_transform

    @property
    def data(self):
        return _C.from_numpy(self._images)

    @property
    def targets(self):
        return _C.from_numpy(self._labels)

    def __len__(self):
        return self._labels.shape[0]

    def __getitem__(self, index):
        img, label = _C.from_numpy(self._images[index]), int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return img, label


def load_digits(split=None, resize=None, test_fraction=0.2, seed=0, transform=None, target_transform=None):
    """The 1,797 8x8 digits bundled with scikit-learn (no download), as a Digits dataset.

    split: None for all images, or 'train' / 'test' for a fixed disjoint split (test_fraction of the set
    in the test part, chosen by a permutation seeded with seed, so every call agrees).
    resize: None keeps 8x8; an int (e.g. 28 or 32) resizes every image bilinearly to resize x resize.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:
        raise ImportError("[load_digits] needs scikit-learn: pip install 'nativedl[data]'") from e
    if split not in (None, "train", "test"):
        raise ValueError(f"[load_digits] split must be None, 'train' or 'test', got {split!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"[load_digits] test_fraction must be in (0, 1), got {test_fraction}")
    if resize is not None and (not isinstance(resize, int) or resize <= 0):
        raise ValueError(f"[load_digits] resize must be None or a positive int (e.g. 28 or 32), got {resize!r}")
    raw = sk_load_digits()
    images = (raw.images / 16.0).astype(np.float32)[:, None]  # pixel values are counts 0..16 of a 4x4 block
    labels = raw.target
    if resize is not None and resize != 8:
        m = _image.resample_matrix(8, resize, "bilinear", antialias=True)
        images = np.clip(_image.separable(images, m, m), 0.0, 1.0)
    if split is not None:
        perm = randperm(len(labels), generator=_C.Generator().manual_seed(seed)).numpy()
        n_test = int(round(test_fraction * len(labels)))
        keep = perm[:n_test] if split == "test" else perm[n_test:]
        images, labels = images[np.sort(keep)], labels[np.sort(keep)]
    return Digits(images, labels, transform, target_transform)

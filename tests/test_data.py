"""nativedl.data: datasets, random_split, samplers, default_collate, DataLoader (also with worker processes)."""
import collections

import numpy as np
import pytest

import nativedl as nd
from nativedl.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                           Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                           random_split)
from nativedl.data import transforms as T
from nativedl.data.datasets import load_digits


def gen(seed):
    return nd.Generator().manual_seed(seed)


class Squares(Dataset):
    """Sample i is (i, i*i as a float tensor); defined at module level so spawned workers can unpickle it."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at = n, fail_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        return i, nd.tensor([float(i * i)])


class Noisy(Dataset):
    """Samples drawn from nativedl's default generator: shows that workers are seeded per loader seed."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return nd.rand(2)


def seen(loader):
    return [i for batch in loader for i in batch[0].tolist()]


# --- datasets ---------------------------------------------------------------------------------------------

def test_tensor_dataset_and_errors():
    x, y = nd.arange(10).reshape(5, 2), nd.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    a, b = ds[3]
    assert a.tolist() == [6, 7] and b.item() == 3
    with pytest.raises(ValueError, match=r"\[TensorDataset\] size mismatch.*\(5, 2\), \(4,\)"):
        TensorDataset(x, nd.arange(4))


def test_subset_concat():
    a, b = Squares(3), Squares(4)
    cat = a + b
    assert isinstance(cat, ConcatDataset) and len(cat) == 7
    assert [cat[i][0] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert cat[-1][0] == 3 and cat[-7][0] == 0
    with pytest.raises(IndexError, match=r"\[ConcatDataset\] index 7"):
        cat[7]
    with pytest.raises(IndexError):
        cat[-8]
    sub = Subset(b, [3, 1])
    assert len(sub) == 2 and sub[0][0] == 3 and sub[1][0] == 1


def test_random_split_lengths_disjoint_and_seeded():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=gen(0))
    assert [len(p) for p in parts] == [3, 7]
    idx = [i for p in parts for i in p.indices]
    assert sorted(idx) == list(range(10))
    assert [p.indices for p in random_split(ds, [3, 7], generator=gen(0))] == [p.indices for p in parts]
    assert [p.indices for p in random_split(ds, [3, 7], generator=gen(1))] != [p.indices for p in parts]


def test_random_split_fractions_follow_pytorch_rounding():
    # floor(n*f) each, then the remainder one by one from the first split: 11 * (.5,.3,.2) -> 5,3,2 +1 -> 6,3,2
    parts = random_split(Squares(11), [0.5, 0.3, 0.2], generator=gen(0))
    assert [len(p) for p in parts] == [6, 3, 2]
    assert sorted(i for p in parts for i in p.indices) == list(range(11))
    parts = random_split(Squares(1797), [0.8, 0.1, 0.1], generator=gen(0))  # train / validation / test
    assert [len(p) for p in parts] == [1438, 180, 179]
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        random_split(Squares(2), [0.9, 0.1])


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"\[random_split\] sum of input lengths \[3, 3\] \(6\) does not equal"):
        random_split(Squares(5), [3, 3])
    with pytest.raises(ValueError, match="non-negative integers or fractions"):
        random_split(Squares(5), [0.5, 4.5])


# --- samplers ---------------------------------------------------------------------------------------------

def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    order = list(RandomSampler(range(50), generator=gen(3)))
    assert sorted(order) == list(range(50)) and order != list(range(50))
    assert order == list(RandomSampler(range(50), generator=gen(3)))
    nd.manual_seed(5)  # without a generator: the default one
    first = list(RandomSampler(range(20)))
    nd.manual_seed(5)
    assert list(RandomSampler(range(20))) == first


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(range(5), num_samples=12, generator=gen(0))
    out = list(s)
    assert len(s) == 12 and len(out) == 12
    assert sorted(out[:5]) == list(range(5)) and sorted(out[5:10]) == list(range(5))  # whole passes first
    r = list(RandomSampler(range(3), replacement=True, num_samples=100, generator=gen(0)))
    assert len(r) == 100 and set(r) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=gen(1)))
    assert sorted(out) == idx and out == list(SubsetRandomSampler(idx, generator=gen(1)))


def test_weighted_sampler_frequencies_oversample_rare_class():
    # 95 samples of class 0, 5 of class 1; weights 1/class count make the classes equally likely.
    labels = np.array([0] * 95 + [1] * 5)
    weights = 1.0 / np.bincount(labels)[labels]
    n = 100_000
    draws = np.array(list(WeightedRandomSampler(weights, n, generator=gen(0))))
    p_rare = (labels[draws] == 1).mean()
    assert abs(p_rare - 0.5) < 5 * np.sqrt(0.25 / n)  # five standard errors
    counts = np.bincount(draws, minlength=100) / n  # and each sample: p = w_i / sum(w) = 1/190 or 1/10
    expected = weights / weights.sum()
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected * (1 - expected) / n))


def test_weighted_sampler_without_replacement():
    w = [0.0, 1.0, 5.0, 1.0, 0.0]
    out = list(WeightedRandomSampler(w, 3, replacement=False, generator=gen(0)))
    assert sorted(out) == [1, 2, 3]
    firsts = collections.Counter(next(iter(WeightedRandomSampler(w, 1, replacement=False, generator=gen(s))))
                                 for s in range(2000))
    assert abs(firsts[2] / 2000 - 5 / 7) < 5 * np.sqrt((5 / 7) * (2 / 7) / 2000)
    with pytest.raises(ValueError, match="without replacement from 3 indices"):
        WeightedRandomSampler(w, 4, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(7), 0, False)


# --- collate ----------------------------------------------------------------------------------------------

def test_default_collate():
    Point = collections.namedtuple("Point", "x y")
    batch = [{"img": np.full((2, 2), i, np.float32), "label": i, "w": 0.5 * i, "name": f"s{i}",
              "pt": Point(nd.tensor([i]), i)} for i in range(3)]
    out = default_collate(batch)
    assert out["img"].shape == (3, 2, 2) and out["img"].dtype == nd.float32
    assert out["label"].tolist() == [0, 1, 2] and out["label"].dtype == nd.int64
    assert out["w"].dtype == nd.float64 and out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pt"], Point) and out["pt"].x.shape == (3, 1) and out["pt"].y.tolist() == [0, 1, 2]
    pairs = default_collate([(nd.ones(2), True), (nd.zeros(2), False)])
    assert isinstance(pairs, list) and pairs[0].shape == (2, 2) and pairs[1].dtype == nd.bool
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])


# --- DataLoader -------------------------------------------------------------------------------------------

def test_every_sample_once_per_epoch():
    loader = DataLoader(Squares(23), batch_size=5, shuffle=True, generator=gen(0))
    assert len(loader) == 5
    epochs = [seen(loader) for _ in range(3)]
    for e in epochs:
        assert sorted(e) == list(range(23))
    assert epochs[0] != epochs[1]  # a new order each epoch


def test_determinism_per_seed():
    def order(seed):
        return seen(DataLoader(Squares(40), batch_size=8, shuffle=True, generator=gen(seed)))
    assert order(7) == order(7) and order(7) != order(8)


def test_drop_last_and_batch_values():
    loader = DataLoader(Squares(10), batch_size=4, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    idx, sq = batches[1]
    assert idx.tolist() == [4, 5, 6, 7] and sq.shape == (4, 1) and sq[:, 0].tolist() == [16, 25, 36, 49]
    assert [len(b[0]) for b in DataLoader(Squares(10), batch_size=4)] == [4, 4, 2]


def test_sampler_batch_sampler_and_no_batching():
    loader = DataLoader(Squares(6), batch_sampler=[[5, 0], [2]])
    assert [b[0].tolist() for b in loader] == [[5, 0], [2]]
    loader = DataLoader(Squares(6), sampler=[3, 1], batch_size=None)
    i, sq = next(iter(loader))
    assert i == 3 and sq.tolist() == [9.0]
    loader = DataLoader(Squares(6), batch_size=2, collate_fn=lambda b: [s[0] for s in b])
    assert list(loader) == [[0, 1], [2, 3], [4, 5]]


def test_dataloader_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(3), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(3), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Squares(3), num_workers=-1)
    with pytest.raises(ValueError, match="'fork' is not supported"):
        DataLoader(Squares(3), num_workers=1, multiprocessing_context="fork")


def test_workers_give_the_same_batches_in_the_same_order():
    make = lambda nw: DataLoader(Squares(37), batch_size=4, shuffle=True, num_workers=nw, generator=gen(11))  # noqa: E731
    single = [(i.tolist(), sq.tolist()) for i, sq in make(0)]
    multi = [(i.tolist(), sq.tolist()) for i, sq in make(2)]
    assert multi == single
    assert sorted(i for b, _ in multi for i in b) == list(range(37))


def test_worker_random_draws_follow_the_loader_seed():
    run = lambda seed: [b.tolist() for b in DataLoader(Noisy(), batch_size=3, num_workers=2,  # noqa: E731
                                                       generator=gen(seed), prefetch_factor=1)]
    a = run(4)
    assert a == run(4) and a != run(5)


def test_worker_exception_is_reraised_with_its_traceback():
    loader = DataLoader(Squares(20, fail_at=9), batch_size=4, num_workers=2)
    it = iter(loader)
    assert next(it)[0].tolist() == [0, 1, 2, 3] and next(it)[0].tolist() == [4, 5, 6, 7]
    with pytest.raises(KeyError, match=r"(?s)Caught KeyError in DataLoader worker process \d.*"
                                        r"Traceback.*in __getitem__.*sample 9 is broken"):
        next(it)
    with pytest.raises(StopIteration):  # workers were shut down
        next(it)


# --- digits -----------------------------------------------------------------------------------------------

def test_load_digits_shapes_ranges_labels():
    ds = load_digits()
    assert len(ds) == 1797 and ds.data.shape == (1797, 1, 8, 8) and ds.data.dtype == nd.float32
    img, label = ds[0]
    assert img.shape == (1, 8, 8) and isinstance(label, int) and label == 0
    data = ds.data.numpy()
    assert data.min() == 0.0 and data.max() == 1.0
    assert sorted(set(ds.targets.tolist())) == list(range(10))
    assert np.bincount(ds.targets.numpy()).min() >= 170  # about 180 of each digit


@pytest.mark.parametrize("size", [28, 32])
def test_load_digits_resized(size):
    ds = load_digits(resize=size)
    small = load_digits().data.numpy()
    data = ds.data.numpy()
    assert data.shape == (1797, 1, size, size) and data.min() >= 0 and data.max() <= 1
    # Bilinear upsampling keeps each image's mean up to edge effects and its label.
    assert np.abs(data.mean(axis=(1, 2, 3)) - small.mean(axis=(1, 2, 3))).max() < 0.05
    assert ds.targets.tolist() == load_digits().targets.tolist()


def test_load_digits_split_and_transform():
    train, test = load_digits("train"), load_digits("test")
    assert len(train) + len(test) == 1797 and len(test) == 359
    both = np.concatenate([train.data.numpy(), test.data.numpy()]).reshape(1797, -1)
    assert len({row.tobytes() for row in both}) == len({row.tobytes() for row in load_digits().data.numpy()
                                                        .reshape(1797, -1)})
    assert load_digits("test").targets.tolist() == test.targets.tolist()
    norm = load_digits(transform=T.Normalize([0.5], [0.5]), target_transform=lambda y: y + 10)
    img, label = norm[0]
    assert label == 10 and img.numpy().min() == -1.0
    loader = DataLoader(load_digits(resize=28), batch_size=64, shuffle=True, generator=gen(0))
    x, y = next(iter(loader))
    assert x.shape == (64, 1, 28, 28) and y.shape == (64,) and y.dtype == nd.int64
    with pytest.raises(ValueError, match="split"):
        load_digits("val")

"""The caching CPU allocator: large blocks are reused instead of returned to the system."""
import numpy as np

import nativedl as nd

MB = 1 << 20


def test_large_blocks_are_cached_and_reused():
    nd.cpu_empty_cache()
    a = nd.ones(4 * MB)  # 16 MiB of float32
    before = nd.cpu_memory_stats()
    b = a + 1
    held = nd.cpu_memory_stats()["allocated_bytes"]
    assert held >= before["allocated_bytes"] + 16 * MB
    del b
    freed = nd.cpu_memory_stats()
    assert freed["allocated_bytes"] == held - 16 * MB and freed["cached_bytes"] >= 16 * MB
    c = a * 3  # same size: served from the cache
    assert nd.cpu_memory_stats()["cached_bytes"] == freed["cached_bytes"] - 16 * MB
    np.testing.assert_array_equal(c.numpy()[:5], 3.0)  # a reused block is fully overwritten
    del c
    nd.cpu_empty_cache()
    assert nd.cpu_memory_stats()["cached_bytes"] == 0
    assert nd.cpu_memory_stats()["peak_allocated_bytes"] >= held


def test_small_blocks_are_not_counted():
    before = nd.cpu_memory_stats()["allocated_bytes"]
    x = nd.ones(1000)
    assert nd.cpu_memory_stats()["allocated_bytes"] == before
    del x


def test_medium_blocks_are_cached_in_size_classes():
    """From 64 KiB on (where glibc hands out fresh mmapped pages): rounded up by at most a
    quarter (200,000 bytes -> 7 x 32 KiB) and reused."""
    nd.cpu_empty_cache()
    a = nd.ones(50_000)  # 200,000 bytes of float32
    before = nd.cpu_memory_stats()
    b = a + 1
    held = nd.cpu_memory_stats()["allocated_bytes"]
    assert held == before["allocated_bytes"] + 7 * 32768
    del b
    freed = nd.cpu_memory_stats()
    assert freed["allocated_bytes"] == before["allocated_bytes"] and freed["cached_bytes"] == 7 * 32768
    c = a * 3  # same size class: served from the cache
    assert nd.cpu_memory_stats()["cached_bytes"] == 0
    np.testing.assert_array_equal(c.numpy()[-5:], 3.0)

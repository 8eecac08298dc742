"""The `cuda` fixture: tests that take it run on a GPU and are skipped without one.
NATIVEDL_TEST_DEVICE=cuda requires the GPU (a CI job with one must not skip silently);
NATIVEDL_TEST_DEVICE=cpu skips them even on a machine with a GPU."""
import os

import pytest

import nativedl as nd

WANT = os.environ.get("NATIVEDL_TEST_DEVICE", "auto")


def cuda_enabled():
    if WANT == "cuda" and not nd.cuda.is_available():
        raise RuntimeError("NATIVEDL_TEST_DEVICE=cuda but nd.cuda.is_available() is False "
                           f"(CUDA compiled in: {nd.cuda.is_compiled()})")
    return WANT != "cpu" and nd.cuda.is_available()


@pytest.fixture
def cuda():
    if not cuda_enabled():
        pytest.skip("no CUDA device (nd.cuda.is_available() is False)")
    return nd.device("cuda:0")

"""Checkpoints: nativedl.save / nativedl.load round trips, atomic writes, and bad files."""
import io
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import nativedl as nd
import nativedl.io as ndio

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape).astype(dtype)
        a.reshape(-1)[:3] = [np.nan, np.inf, -0.0][:a.size]  # special values survive bit for bit
        return a
    return np.asarray(rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True))


def bits(t):
    return t.numpy().tobytes()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ckpt.safetensors"


def test_state_dict_round_trip_is_bit_exact_for_every_dtype(path):
    sd = {f"layer{i}.{np.dtype(d).name}": nd.from_numpy(sample(d, shape, i))
          for i, (d, shape) in enumerate([(d, s) for d in DTYPES for s in [(3, 4), (), (0, 5)]])}
    sd["strided"] = nd.from_numpy(sample(np.float32, (6, 4))).t()[::2]  # a non-contiguous view
    nd.save(sd, path)
    back = nd.load(path)
    assert list(back) == list(sd)
    for k, t in sd.items():
        assert back[k].dtype == t.dtype and back[k].shape == t.shape
        assert bits(back[k]) == t.contiguous().numpy().tobytes(), k


def test_nested_state_round_trip(path):
    state = {
        "model": {"fc.weight": nd.randn(4, 3), "fc.bias": nd.zeros(4)},
        "optimizer": {"state": {0: {"step": 12, "exp_avg": nd.ones(4, 3)}, 1: {"step": 12, "exp_avg": nd.ones(4)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                                        "params": [0, 1], "initial_lr": None}]},
        "scheduler": {"last_epoch": 3, "_last_lr": [0.025], "gamma": 0.5, "milestones": {2: 1, 3: 1}},
        "epoch": 7, "best": float("inf"), "worst": float("nan"), "name": "run-α", "arrays": [np.arange(5)],
        "weird.key": {"a.b": nd.ones(1)}, "weird": {"key": {"a": {"b": nd.zeros(1)}}},  # path name clash
    }
    nd.save(state, path)
    back = nd.load(path)
    assert back["optimizer"]["param_groups"] == state["optimizer"]["param_groups"]
    assert isinstance(back["optimizer"]["param_groups"][0]["betas"], tuple)
    assert list(back["optimizer"]["state"]) == [0, 1] and back["optimizer"]["state"][0]["step"] == 12
    assert back["scheduler"] == state["scheduler"] and back["epoch"] == 7 and back["name"] == "run-α"
    assert back["best"] == math.inf and math.isnan(back["worst"])
    assert isinstance(back["arrays"][0], np.ndarray) and back["arrays"][0].tolist() == list(range(5))
    assert bits(back["model"]["fc.weight"]) == bits(state["model"]["fc.weight"])
    assert back["weird.key"]["a.b"].tolist() == [1.0] and back["weird"]["key"]["a"]["b"].tolist() == [0.0]


def test_file_objects_and_foreign_safetensors(tmp_path):
    buf = io.BytesIO()
    nd.save({"w": nd.arange(3)}, buf)
    buf.seek(0)
    assert nd.load(buf, map_location="cpu", weights_only=True)["w"].tolist() == [0, 1, 2]
    # A plain safetensors file from another tool loads as a dict of tensors, and ours read elsewhere.
    from safetensors.numpy import load_file, save_file
    save_file({"a": np.arange(4, dtype=np.int32), "b": np.ones((2, 2))}, str(tmp_path / "foreign.st"))
    back = nd.load(tmp_path / "foreign.st")
    assert back["a"].dtype == nd.int32 and back["b"].shape == (2, 2)
    nd.save({"w": nd.ones(2)}, tmp_path / "ours.st")
    assert load_file(str(tmp_path / "ours.st"))["w"].tolist() == [1.0, 1.0]
    if nd.cuda.is_available():
        assert nd.load(tmp_path / "ours.st", map_location="cuda")["w"].is_cuda
    else:
        with pytest.raises(RuntimeError, match="device cuda is not available"):
            nd.load(tmp_path / "ours.st", map_location="cuda")


def test_unsupported_values_are_refused_before_writing(path):
    with pytest.raises(TypeError, match=r"\[save\] can't store set at opt.x"):
        nd.save({"opt": {"x": {1, 2}}}, path)
    with pytest.raises(TypeError, match="dict key"):
        nd.save({(1, 2): nd.ones(1)}, path)
    assert not path.exists()


def test_failure_mid_write_keeps_the_old_checkpoint(path, monkeypatch):
    nd.save({"w": nd.zeros(1000)}, path)
    before = path.read_bytes()

    def half_then_fail(f, data):
        f.write(memoryview(data)[:len(data) // 2])
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(ndio, "_write_chunks", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        nd.save({"w": nd.ones(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]  # the partial temporary file was removed
    assert nd.load(path)["w"].tolist() == [0.0] * 1000


def test_process_killed_mid_write_keeps_the_old_checkpoint(path):
    nd.save({"w": nd.zeros(1000)}, path)
    before = path.read_bytes()
    script = f"""
import os, nativedl as nd, nativedl.io as ndio
def die(f, data):
    f.write(memoryview(data)[:len(data) // 2]); f.flush(); os._exit(3)
ndio._write_chunks = die
nd.save({{"w": nd.ones(1000)}}, {str(path)!r})
"""
    assert subprocess.run([sys.executable, "-c", script]).returncode == 3
    assert path.read_bytes() == before
    assert nd.load(path)["w"].tolist() == [0.0] * 1000


def test_truncated_files(path):
    nd.save({"w": nd.randn(100), "step": 3}, path)
    data = path.read_bytes()
    for n in (0, 5, 8, 40, len(data) - 1):
        path.write_bytes(data[:n])
        with pytest.raises(ValueError, match=r"\[load\] '.*ckpt.safetensors' (is truncated|is not a checkpoint)"):
            nd.load(path)


def test_corrupted_files(path):
    nd.save({"w": nd.randn(100), "step": 3}, path)
    data = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", data[:8])
    flipped = bytearray(data)
    flipped[-10] ^= 0x40  # a bit inside the tensor data
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"ckpt.safetensors' is corrupted: tensor data does not match its checksum"):
        nd.load(path)
    broken = bytearray(data)
    broken[8:12] = b"\xff\xfe{["  # the JSON header
    path.write_bytes(bytes(broken))
    with pytest.raises(ValueError, match="corrupted or not a checkpoint"):
        nd.load(path)
    header = json.loads(data[8:8 + n])
    header["w"]["data_offsets"][1] += 4  # offsets that don't fit the data
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(data[8 + n:]))
    with pytest.raises(ValueError, match="truncated or corrupted"):
        nd.load(path)
    header = json.loads(data[8:8 + n])
    header["__metadata__"]["nativedl.structure"] = json.dumps({"dict": [["w", {"tensor": "missing"}]]})
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(data[8 + n:]))
    with pytest.raises(ValueError, match="refers to tensor 'missing'"):
        nd.load(path)


def test_not_a_checkpoint(path):
    path.write_text("this is a text file, not a checkpoint\n" * 10)
    with pytest.raises(ValueError, match=r"\[load\] '.*ckpt.safetensors'"):
        nd.load(path)
    np.save(path.parent / "arr.npy", np.arange(10))
    with pytest.raises(ValueError, match="arr.npy"):
        nd.load(path.parent / "arr.npy")

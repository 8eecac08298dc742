"""python -m nativedl: the main job trains on the digits set and reports; `info` gives the build report."""
import os
import re

from nativedl.__main__ import main


def test_main_job_trains_lenet5_and_reports(tmp_path, capsys):
    assert main(["--epochs", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95, out  # 0.975 with this seed (8 epochs, the default: 0.986)
    assert re.search(r"throughput: \d+ training images/s", out), out
    for name in ("lenet5.safetensors", "lenet5_curves.png"):
        path = tmp_path / name
        assert str(path) in out and path.stat().st_size > 0
    with open(tmp_path / "lenet5_curves.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_main_job_trains_the_lstm(tmp_path, capsys):
    assert main(["--model", "lstm", "--epochs", "4", "--out", str(tmp_path)]) == 0
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", capsys.readouterr().out).group(1))
    assert accuracy >= 0.6  # learning within 4 epochs (the default 30 reach ~0.98)
    assert os.path.exists(tmp_path / "lstm.safetensors")


def test_info_reports_the_build(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "kernels:" in out and "self-check: ok" in out

"""`python -m bench` records the machine's limits and expresses nativedl's rates against them (no speed is
asserted: the probes run at toy sizes here and the machines tests run on are shared)."""
import json
import pathlib
import sys

import pytest

import nativedl as nd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repository root holds bench/
from bench import peak, run  # noqa: E402


@pytest.fixture(autouse=True)
def keep_thread_counts():
    """A run sets every library's thread count; later tests in this process get theirs back."""
    before = nd.get_num_threads()
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch else None
    yield
    nd.set_num_threads(before)
    if torch_before is not None:
        torch.set_num_threads(torch_before)


@pytest.fixture
def fast_probes(monkeypatch):
    monkeypatch.setattr(peak, "FMA_SECONDS", 0.01)
    monkeypatch.setattr(peak, "STREAM_REPEATS", 1)
    monkeypatch.setattr(peak, "stream_array_bytes", lambda: 1 << 20)


def test_peak_only_measures_and_records_the_limits(tmp_path, fast_probes, capsys):
    out = tmp_path / "peak.json"
    run.main(["--peak", "--threads", "1,2", "--out", str(out)])
    data = json.loads(out.read_text())
    rows = data["peak"]["by_threads"]
    assert [r["threads"] for r in rows] == [1, 2]
    assert all(r[k] > 0 for r in rows for k in ("fma_gflops", "stream_copy_gbs", "stream_triad_gbs"))
    assert data["peak"]["isa"] == data["machine"]["nativedl_isa"] == nd.__build_info__["isa"]
    assert data["results"] == []
    assert "FMA peak" in capsys.readouterr().out


def test_rows_are_expressed_against_the_limits(tmp_path, fast_probes, capsys):
    out = tmp_path / "run.json"
    run.main(["--quick", "--filter", "linalg.bmm", "--threads", "1", "--repeat", "1", "--out", str(out)])
    assert "% peak" in capsys.readouterr().out
    data = json.loads(out.read_text())
    (row,) = data["results"]
    limits = data["peak"]["by_threads"][0]
    assert row["threads"] == 1 and row["rate"]["unit"] == "GFLOP/s"
    assert row["percent"]["peak"] == pytest.approx(100 * row["rate"]["value"] / limits["fma_gflops"])
    assert "bandwidth" not in row["percent"]  # bmm declares flops only

    # A later run reuses the recorded limits instead of measuring them again.
    again = tmp_path / "again.json"
    run.main(["--quick", "--filter", "reduction.sum", "--threads", "1", "--repeat", "1",
              "--peak-file", str(out), "--out", str(again)])
    data2 = json.loads(again.read_text())
    (row,) = data2["results"]
    assert data2["peak"] == data["peak"]
    assert row["percent"]["bandwidth"] == pytest.approx(100 * row["rate"]["value"] / limits["stream_triad_gbs"])


def test_no_peak_leaves_out_the_percentages(tmp_path, capsys):
    out = tmp_path / "run.json"
    run.main(["--quick", "--filter", "reduction.sum", "--threads", "1", "--repeat", "1", "--no-peak",
              "--out", str(out)])
    assert "% bw" not in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["peak"] is None and data["results"][0]["percent"] == {}


def test_network_rows_count_the_conv_and_linear_flops():
    from bench.cases import models
    # LeNet-5 on 32x32: convs 6x28x28 outputs x 1x5x5, 16x10x10 x 6x5x5, 120 x 16x5x5; linears 120x84, 84x10.
    macs = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 120 * 400 + 120 * 84 + 84 * 10
    assert models._forward_flops("lenet5", (1, 1, 32, 32)) == 2 * macs
    assert models._forward_flops("lenet5", (4, 1, 32, 32)) == 8 * macs

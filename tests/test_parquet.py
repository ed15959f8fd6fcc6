"""lstmcast.tables.parquet: a set of Parquet files (a folder, partitioned or not, or a glob)
listed from its metadata and read whole, in shards or a file at a time."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import DataError
from lstmcast.tables import parquet


@pytest.fixture
def folder(tmp_path):
    """store=0/ 4 rows, store=1/ 6 rows and 3 rows, and files the set must skip."""
    root = tmp_path / "sales"
    sizes = {("store=0", "part-0.parquet"): 4, ("store=1", "part-0.parquet"): 6,
             ("store=1", "part-1.parquet"): 3}
    start = 0
    for (part, name), n in sizes.items():
        (root / part).mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"day": np.arange(start, start + n), "sales": np.arange(n) * 1.5}
                     ).to_parquet(root / part / name)
        start += n
    (root / "_SUCCESS").write_text("")  # written beside the data by Spark: skipped
    pd.DataFrame({"other": [1]}).to_parquet(root / ".hidden.parquet")  # skipped
    (root / "notes.txt").write_text("not data")
    return root


def test_is_parquet_set(folder, tmp_path):
    assert parquet.is_parquet_set(folder)
    assert parquet.is_parquet_set(str(folder / "*" / "*.parquet"))
    one = folder / "store=0" / "part-0.parquet"
    assert not parquet.is_parquet_set(one)  # a file is a file
    assert not parquet.is_parquet_set(tmp_path / "missing.csv")


def test_describe_and_file_rows_come_from_the_metadata(folder):
    info = parquet.describe(folder)
    assert (info["files"], info["rows"]) == (3, 13)
    files = sorted(folder.rglob("part-*.parquet"))
    assert info["bytes"] == sum(f.stat().st_size for f in files)
    assert list(info["columns"]) == ["day", "sales", "store"]  # the partition key last
    assert info["first_file"].endswith("store=0/part-0.parquet")
    rows = parquet.file_rows(folder)
    assert [(p.split("sales/")[1], n) for p, n in rows] == [
        ("store=0/part-0.parquet", 4), ("store=1/part-0.parquet", 6),
        ("store=1/part-1.parquet", 3)]


def test_read_whole_a_shard_some_columns_or_the_first_file(folder):
    whole = parquet.read(folder)
    assert len(whole) == 13 and whole["day"].tolist() == list(range(13))
    assert whole["store"].tolist() == [0] * 4 + [1] * 9
    assert not isinstance(whole["store"].dtype, pd.CategoricalDtype)  # plain values
    files = [p for p, _ in parquet.file_rows(folder)]
    shard = parquet.read(folder, files=files[1:])
    assert shard["day"].tolist() == list(range(4, 13)) and set(shard["store"]) == {1}
    assert list(parquet.read(folder, columns=["sales"]).columns) == ["sales"]
    first = parquet.read(folder, first_file_only=True)
    assert first["day"].tolist() == [0, 1, 2, 3] and set(first["store"]) == {0}


def test_a_glob_reads_its_files_and_the_keys_in_their_paths(folder):
    frame = parquet.read(str(folder / "store=1" / "*.parquet"))
    assert frame["day"].tolist() == list(range(4, 13))
    assert frame["store"].tolist() == [1] * 9


def test_a_file_gone_while_reading_is_named(folder):
    files = [p for p, _ in parquet.file_rows(folder)]
    (folder / "store=1" / "part-1.parquet").unlink()
    with pytest.raises(DataError) as info:
        parquet.read(folder, files=files)
    assert str(info.value) == (f"{files[2]!r} of the Parquet set {str(folder)!r} is gone (it "
                               "was there when the set was listed): the files changed while "
                               "they were read.")


def test_files_that_disagree_are_named(folder):
    pd.DataFrame({"day": [99], "sales": [1.0], "extra": [2]}).to_parquet(
        folder / "store=1" / "part-2.parquet")
    with pytest.raises(DataError, match=r"part-2.parquet' differs from .*store=0/part-0.parquet"
                                        r"': it adds extra\.$"):
        parquet.describe(folder)
    with pytest.raises(DataError, match="it adds extra"):
        parquet.file_rows(folder)


def test_an_empty_folder_and_a_broken_file(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"^No Parquet file \(.parquet, .pq\) in the folder "):
        parquet.describe(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="could not be read as Parquet files"):
        parquet.read(tmp_path / "bad")

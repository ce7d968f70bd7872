"""The embedded default's disk cache reads many keys at once with the same answers as one by one."""

import pytest

from masthead.news.cache_backends import SharedDiskCache


@pytest.fixture
def disk_cache(tmp_path):
    cache = SharedDiskCache(str(tmp_path / "cache"), {"SHARDS": 4, "TIMEOUT": 300})
    yield cache
    cache._cache.close()


def test_get_many_answers_what_get_answers_for_every_kind_of_value(disk_cache):
    values = {
        "float": 1.5,
        "int": 7,
        "short text": "x",
        "long text": "y" * 100_000,  # stored in a file
        "bytes": b"z" * 10,
        "object": {"a": [1, 2]},
    }
    disk_cache.set_many(values)
    many = disk_cache.get_many([*values, "absent"])
    assert many == {key: disk_cache.get(key) for key in values}
    assert "absent" not in many


def test_get_many_leaves_out_expired_and_deleted_keys(disk_cache):
    disk_cache.set("gone", 1, timeout=-1)
    disk_cache.set("deleted", 2)
    disk_cache.delete("deleted")
    disk_cache.set("kept", 3)
    assert disk_cache.get_many(["gone", "deleted", "kept"]) == {"kept": 3}


def test_get_many_reads_more_keys_than_one_statement_binds(disk_cache):
    values = {f"purged:article-{i}": float(i) for i in range(1_200)}
    disk_cache.set_many(values)
    assert disk_cache.get_many(values) == values

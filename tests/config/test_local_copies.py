"""Large entries kept in the process's memory too (config.versions.read with `local`): used only
while every version they were stored under is current, so a renewal, an emptied cache or a cache
that does not answer never serves a kept copy."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from config import versions

KEY, VERSION_KEYS = "test:page", ["test:v:everything", "test:v:thread"]


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)
    versions.local_copies.clear()
    yield
    versions.local_copies.clear()


@pytest.fixture
def asked(monkeypatch):
    """The keys asked of the cache, one list per round trip."""
    rounds: list[list[str]] = []
    get_many = cache.get_many

    def recording(keys, *args, **kwargs):
        keys = list(keys)
        rounds.append(keys)
        return get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", recording)
    return rounds


def store(page: str) -> None:
    _found, current = versions.read(VERSION_KEYS, KEY)
    cache.set(KEY, {"versions": current, "page": page})


def read() -> str | None:
    found, current = versions.read(VERSION_KEYS, KEY, local=(KEY,))
    entry = found.get(KEY)
    return entry["page"] if entry and entry["versions"] == current else None


def test_a_kept_copy_is_used_without_asking_the_cache_for_it(asked):
    store("the page")
    assert read() == "the page"  # fetched, and kept here
    asked.clear()

    assert read() == "the page"

    assert asked == [VERSION_KEYS]  # the versions only


def test_a_renewed_version_is_never_served_from_the_kept_copy(asked):
    store("the old page")
    read()
    versions.replace(["test:v:thread"])
    store("the new page")
    asked.clear()

    assert read() == "the new page"
    assert asked == [VERSION_KEYS, [KEY]]  # the copy here was made under the old versions


def test_a_renewal_with_nothing_stored_since_serves_nothing():
    store("the old page")
    read()

    versions.replace(["test:v:everything"])

    assert read() is None


def test_an_emptied_cache_is_never_served_from_the_kept_copy():
    store("the page")
    read()

    cache.clear()  # as after a Redis outage: every version is gone and made anew

    assert read() is None


def test_a_cache_that_does_not_answer_serves_no_kept_copy(monkeypatch):
    store("the page")
    read()
    monkeypatch.setattr(cache, "get_many", lambda keys, *args, **kwargs: {})
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)

    assert read() is None


def test_the_oldest_copies_make_way(monkeypatch):
    monkeypatch.setattr(versions.local_copies, "size", 2)
    for n in range(3):
        versions.local_copies.put(f"test:{n}", {"versions": ["x"]})

    assert versions.local_copies.get("test:0") is None
    assert versions.local_copies.get("test:2") is not None


def store_naming_its_keys(page: str) -> None:
    _found, current = versions.read(VERSION_KEYS)
    cache.set(KEY, {"keys": VERSION_KEYS, "versions": current, "page": page})


def read_current() -> str | None:
    entry = versions.read_current(KEY)
    return entry["page"] if entry else None


def test_an_entry_naming_its_keys_is_read_once_and_then_kept_here(asked):
    store_naming_its_keys("the page")

    assert read_current() == "the page"
    asked.clear()
    assert read_current() == "the page"

    assert asked == [VERSION_KEYS]  # the versions only


def test_an_entry_naming_its_keys_is_fetched_again_when_a_version_is_renewed():
    store_naming_its_keys("the old page")
    read_current()
    versions.replace(["test:v:thread"])

    assert read_current() is None  # nothing made under the new versions yet
    store_naming_its_keys("the new page")
    assert read_current() == "the new page"


def test_an_entry_that_does_not_name_its_keys_is_not_read():
    store("the page")  # versions but no keys

    assert read_current() is None


def test_an_entry_naming_its_keys_is_not_served_when_the_cache_does_not_answer(monkeypatch):
    store_naming_its_keys("the page")
    read_current()
    monkeypatch.setattr(cache, "get_many", lambda keys, *args, **kwargs: {})
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)

    assert read_current() is None

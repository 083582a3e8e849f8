"""The model store: one file per model, one cache per process keyed on the file, so a replaced file is read again,
an unchanged one is served from memory, and concurrent requests read a file once."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bizpilot.errors import ModelFileError
from bizpilot.ml.base import Estimator
from bizpilot.services.models.store import ModelStore, get_store
from tests.services.models.toys import PRICES, VIEW, PriceModel


def test_save_writes_the_file_and_load_serves_the_cached_object(workspace: Path) -> None:
    store = get_store()
    assert store is get_store() and store.directory == workspace / "models"
    model = PriceModel(scale=2.0).fit([1.0, 2.0])
    path = store.save(PRICES, model)
    assert path == workspace / "models" / "prices.npz" == store.path(PRICES) and store.exists(PRICES)
    assert store.load(PRICES) is model and PriceModel.reads == 0  # saving made it the cached one
    store.forget(PRICES)
    loaded = store.load(PRICES)
    assert loaded is not model and loaded.prices_.tolist() == [2.0, 4.0] and PriceModel.reads == 1
    assert store.load(PRICES) is loaded and PriceModel.reads == 1


def test_a_replaced_file_is_read_again(workspace: Path) -> None:
    store = get_store()
    store.save(PRICES, PriceModel().fit([1.0, 2.0]))
    first = store.load(PRICES)
    # another process (the CLI while `serve` runs) writes a new model to the same file
    other = ModelStore(store.directory)
    other.save(PRICES, PriceModel().fit([5.0, 6.0, 7.0]))
    path = store.path(PRICES)
    assert path is not None
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    reloaded = store.load(PRICES)
    assert reloaded is not first and reloaded.prices_.tolist() == [5.0, 6.0, 7.0] and PriceModel.reads == 1
    assert store.load(PRICES) is reloaded and PriceModel.reads == 1


def test_concurrent_loads_read_the_file_once(workspace: Path) -> None:
    store = get_store()
    store.save(PRICES, PriceModel().fit([1.0, 2.0, 3.0]))
    store.forget()
    PriceModel.read_delay_s = 0.2  # a slow read, so every thread asks while the first one is reading
    start = threading.Barrier(8)
    loaded: list[PriceModel] = []
    lock = threading.Lock()

    def request() -> None:
        start.wait(timeout=30)
        model = store.load(PRICES)
        with lock:
            loaded.append(model)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(loaded) == 8 and PriceModel.reads == 1
    assert all(m is loaded[0] for m in loaded)


def test_missing_wrong_and_fileless_models_are_clear_errors(workspace: Path) -> None:
    store = get_store()
    with pytest.raises(ModelFileError, match="no saved prices model"):
        store.load(PRICES)
    with pytest.raises(ModelFileError, match="expects a PriceModel"):
        store.save(PRICES, _Other().fit())
    with pytest.raises(ModelFileError, match="keeps no file"):
        store.save(VIEW, PriceModel().fit([1.0]))
    assert store.path(VIEW) is None and not store.exists(VIEW)
    store.save(PRICES, PriceModel().fit([1.0]))
    assert store.remove(PRICES) is True and not store.exists(PRICES) and store.remove(PRICES) is False
    with pytest.raises(ModelFileError):
        store.load(PRICES)


def test_each_workspace_has_its_own_store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings

    first = get_store()
    monkeypatch.setenv("BIZPILOT_HOME", str(tmp_path / "other"))
    reset_settings()
    assert get_store() is not first and get_store().directory == tmp_path / "other" / "models"


class _Other(Estimator):
    def fit(self) -> _Other:
        self.done_ = True
        return self

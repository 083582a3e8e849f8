"""The model base: parameters, fitted checks and the pickle-free, version-stamped model file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse

from bizpilot.errors import InvalidParameter
from bizpilot.ml.base import Estimator, ModelFileError, NotFittedError


class MeanModel(Estimator):
    def __init__(self, *, shrink: float = 1.0, label: str = "m") -> None:
        self.shrink = shrink
        self.label = label

    def fit(self, x: np.ndarray) -> MeanModel:
        self.means_ = x.mean(axis=0) / self.shrink
        self.classes_ = ["a", "b"]
        self.n_seen_ = int(len(x))
        self.cooc_ = sparse.csr_matrix(np.eye(3))
        return self


class Other(Estimator):
    def __init__(self) -> None:
        pass


def test_save_load_round_trip(tmp_path) -> None:
    x = np.arange(12, dtype=float).reshape(4, 3)
    model = MeanModel(shrink=2.0, label="x").fit(x)
    path = model.save(tmp_path / "m")
    assert path.name == "m.npz"
    loaded = MeanModel.load(path)
    assert isinstance(loaded, MeanModel)
    assert loaded.get_params() == {"shrink": 2.0, "label": "x"}
    np.testing.assert_allclose(loaded.means_, model.means_)
    assert loaded.classes_ == ["a", "b"] and loaded.n_seen_ == 4
    assert (loaded.cooc_ != model.cooc_).nnz == 0
    assert MeanModel.load(tmp_path / "m").n_seen_ == 4  # suffix optional


def test_file_is_version_stamped_and_pickle_free(tmp_path) -> None:
    path = MeanModel().fit(np.ones((2, 2))).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["__meta__"].tobytes())
    assert meta["format"] == 1 and meta["class"].endswith(":MeanModel") and "bizpilot" in meta


def test_load_refuses_wrong_class_newer_format_and_garbage(tmp_path) -> None:
    path = MeanModel().fit(np.ones((2, 2))).save(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="not a Other"):
        Other.load(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["format"] = 99
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "new.npz", **arrays)
    with pytest.raises(ModelFileError, match="outside bizpilot"):
        Estimator.load(path)  # the generic loader only instantiates bizpilot classes
    with pytest.raises(ModelFileError, match="upgrade"):
        Estimator.load(tmp_path / "new.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a bizpilot model file"):
        Estimator.load(tmp_path / "junk.npz")
    with pytest.raises(ModelFileError, match="not found"):
        Estimator.load(tmp_path / "missing.npz")


def test_unfitted_and_bad_params() -> None:
    with pytest.raises(NotFittedError):
        MeanModel().save("/tmp/never.npz")
    with pytest.raises(InvalidParameter, match="no parameter 'nope'"):
        MeanModel().set_params(nope=1)
    assert "shrink=1.0" in repr(MeanModel())


def test_threads_of_one_process_save_the_same_model_at_once(tmp_path) -> None:
    """Background training and a direct train in one process may save one model together: each writes its own
    temporary file, the last rename wins, and the file is whole."""
    import threading

    errors: list[BaseException] = []

    def save() -> None:
        try:
            for _ in range(20):
                MeanModel().fit(np.full((50, 3), 2.0)).save(tmp_path / "m.npz")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = MeanModel.load(tmp_path / "m.npz")
    assert loaded.means_.tolist() == [2.0, 2.0, 2.0] and loaded.n_seen_ == 50
    assert list(tmp_path.glob(".*.tmp")) == []

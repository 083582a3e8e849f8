"""Small synthetic interaction sets with known structure, shared by the recommender tests."""

from __future__ import annotations

import numpy as np
import pytest


def low_rank_ratings(n_users: int = 60, n_items: int = 40, density: float = 0.5, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratings 1..5 from a rank-2 model plus biases and a little noise: (users, items, ratings)."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 1, (n_users, 2)), rng.normal(0, 1, (n_items, 2))
    bu, bi = rng.normal(0, 0.3, n_users), rng.normal(0, 0.5, n_items)
    full = 3.5 + bu[:, None] + bi[None, :] + 0.6 * P @ Q.T + rng.normal(0, 0.2, (n_users, n_items))
    mask = rng.random((n_users, n_items)) < density
    u, i = np.nonzero(mask)
    return u + 100, i + 1000, np.clip(np.rint(full[u, i]), 1, 5)


def two_groups(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Implicit purchases: users 0..19 buy from items A0..A9, users 20..39 from B0..B9 (each ~6 items)."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(40):
        group = "A" if u < 20 else "B"
        for j in rng.choice(10, size=6, replace=False):
            users.append(f"u{u}")
            items.append(f"{group}{j}")
    return np.array(users), np.array(items)


@pytest.fixture
def ratings() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return low_rank_ratings()


@pytest.fixture
def groups() -> tuple[np.ndarray, np.ndarray]:
    return two_groups()

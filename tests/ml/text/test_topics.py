"""TopicModel: clusters separable texts into their groups, names them with their words, keeps quotes, chooses k,
round-trips through the pickle-free file; the topic metrics (NPMI coherence, diversity) on hand-made cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import InsufficientData, InvalidParameter
from bizpilot.ml.text.topics import TopicModel, keyword_tokens, npmi_coherence, topic_diversity, topic_keywords

EN = {
    "battery": ["battery drains fast and the charger is slow", "battery life is short and the charger broke",
                "the charger stopped working, battery dead", "battery overheats while the charger is plugged"],
    "delivery": ["delivery was late and the courier lost the parcel", "courier left the parcel at the wrong door",
                 "parcel delivery took three weeks, courier never called", "late delivery, parcel box crushed"],
    "invoice": ["invoice amount is wrong, billing charged twice", "billing error on the invoice, please refund",
                "the invoice shows the wrong billing address", "billing sent a duplicate invoice this month"],
}
ZH = {
    "酒店": ["酒店房间干净，前台服务热情", "酒店早餐一般，房间隔音差", "房间很大，酒店位置方便，前台效率高",
            "酒店前台办理入住很慢，房间有异味"],
    "手机": ["手机屏幕清晰，电池续航很好", "手机电池发热严重，屏幕有划痕", "这款手机拍照好，电池耐用",
            "手机屏幕太小，电池充电慢"],
    "水果": ["水果很新鲜，苹果很甜", "橙子不新鲜，水果有烂的", "苹果个头大，水果包装好", "芒果很甜，水果物流快"],
}


def _flatten(groups: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    texts = [t for ts in groups.values() for t in ts]
    return texts, [g for g, ts in groups.items() for _ in ts]


@pytest.mark.parametrize("groups", [EN, ZH], ids=["en", "zh"])
def test_separable_groups_become_topics_named_by_their_words(groups: dict[str, list[str]]) -> None:
    texts, truth = _flatten(groups)
    model = TopicModel(n_topics=3, tfidf_weight=1.0).fit(texts)
    assert model.n_topics_ == 3 and sorted(model.sizes_) == [4, 4, 4]
    for g in groups:  # each known group falls in exactly one topic
        assert len({int(model.labels_[i]) for i, y in enumerate(truth) if y == g}) == 1
    topics = model.topics(texts)
    for topic in topics:
        members = {truth[i] for i in np.flatnonzero(model.labels_ == topic["topic"])}
        group = members.pop()
        assert group in " ".join(topic["keywords"][:4]) or any(w in " ".join(groups[group])
                                                                for w in topic["keywords"][:3])
        assert len(topic["quotes"]) == 3 and all(q in groups[group] for q in topic["quotes"])
        assert topic["label"] == " · ".join(topic["keywords"][:3])
    assert [t["size"] for t in topics] == sorted((t["size"] for t in topics), reverse=True)


def test_the_keywords_of_the_chinese_groups_are_their_category_words() -> None:
    texts, truth = _flatten(ZH)
    model = TopicModel(n_topics=3, tfidf_weight=1.0).fit(texts)
    tops = {truth[int(np.flatnonzero(model.labels_ == c)[0])]: model.keywords_[c][:3] for c in range(3)}
    assert "酒店" in tops["酒店"] or "房间" in tops["酒店"]
    assert "手机" in tops["手机"] or "电池" in tops["手机"]
    assert "水果" in tops["水果"]


def test_k_is_chosen_by_silhouette_when_not_given() -> None:
    texts, _ = _flatten(EN)
    model = TopicModel(min_topics=2, max_topics=6, tfidf_weight=1.0).fit(texts)
    assert model.n_topics_ == 3 and -1.0 <= model.silhouette_ <= 1.0


def test_given_embeddings_are_stacked_with_tfidf() -> None:
    texts, truth = _flatten(EN)
    rng = np.random.default_rng(0)
    centres = {g: rng.normal(size=16) for g in EN}
    vectors = np.array([centres[y] + 0.05 * rng.normal(size=16) for y in truth])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    model = TopicModel(n_topics=3, tfidf_weight=0.5).fit(texts, embeddings=vectors)
    assert sorted(model.sizes_) == [4, 4, 4]
    assert not hasattr(model, "embedder_")  # nothing embedded: the vectors were given


def test_save_and_load_keep_the_topics(tmp_path: Path) -> None:
    texts, _ = _flatten(EN)
    model = TopicModel(n_topics=3, tfidf_weight=1.0).fit(texts)
    path = model.save(tmp_path / "topics")
    again = TopicModel.load(path)
    assert again.topics() == model.topics() and again.get_params() == model.get_params()
    assert np.array_equal(again.labels_, model.labels_)


def test_too_few_texts_and_bad_parameters_are_refused() -> None:
    with pytest.raises(InsufficientData):
        TopicModel(n_topics=3).fit(["one", "two", "three"])
    with pytest.raises(InvalidParameter):
        TopicModel(n_topics=0).fit(_flatten(EN)[0])
    with pytest.raises(InvalidParameter):
        TopicModel(n_topics=3, tfidf_weight=1.5).fit(_flatten(EN)[0])


def test_keyword_tokens_drop_stop_words_and_single_characters() -> None:
    assert keyword_tokens("The battery is not good") == ["battery", "good"]
    assert "的" not in keyword_tokens("这个手机的电池很好") and "手机" in keyword_tokens("这个手机的电池很好")


def test_c_tf_idf_prefers_words_specific_to_a_topic() -> None:
    docs = [["price", "battery"], ["price", "battery"], ["price", "courier"], ["price", "courier"]]
    assert topic_keywords(docs, np.array([0, 0, 1, 1]), 2, n=1) == [["battery"], ["courier"]]


def test_npmi_and_diversity_on_known_cases() -> None:
    docs = [["a", "b"], ["a", "b"], ["c", "d"], ["c", "d"]]
    assert npmi_coherence([["a", "b"], ["c", "d"]], docs) == pytest.approx(1.0)
    assert npmi_coherence([["a", "c"]], docs) == -1.0
    assert topic_diversity([["a", "b"], ["a", "c"]]) == 0.75
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0


def test_all_but_the_top_centres_and_removes_the_common_direction() -> None:
    from bizpilot.ml.text.topics import all_but_the_top

    rng = np.random.default_rng(0)
    common = np.array([1.0, 0.0, 0.0, 0.0])
    vectors = 5.0 * rng.normal(size=(50, 1)) * common + 0.1 * rng.normal(size=(50, 4))
    out = all_but_the_top(vectors, 1)
    assert np.allclose(out.mean(axis=0), 0.0)
    assert np.abs(out[:, 0]).max() < 0.05  # the dominant direction is gone
    assert np.allclose(all_but_the_top(vectors, 0), vectors - vectors.mean(axis=0))


def _sub_blobs(seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Three groups of unit vectors, each a large and a small blob around its own direction."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(3, 16))
    vectors, truth = [], []
    for g in range(3):
        for n in (60, 20):
            vectors.append(base[g] + 0.9 * rng.normal(size=16) + 0.3 * rng.normal(size=(n, 16)))
            truth += [g] * n
    out = np.vstack(vectors)
    return out / np.linalg.norm(out, axis=1, keepdims=True), truth


def test_the_merge_refinement_finds_groups_made_of_several_blobs() -> None:
    vectors, truth = _sub_blobs()
    texts = [f"text {i}" for i in range(len(vectors))]
    model = TopicModel(n_topics=3, tfidf_weight=0.0).fit(texts, embeddings=vectors)
    assert model.refine == "merge" and sorted(model.sizes_) == [80, 80, 80]
    for g in range(3):
        assert len({int(model.labels_[i]) for i, y in enumerate(truth) if y == g}) == 1
    with pytest.raises(InvalidParameter):
        TopicModel(n_topics=3, refine="ward").fit(texts, embeddings=vectors)


def test_few_texts_per_fine_cluster_fall_back_to_k_means() -> None:
    texts, _ = _flatten(EN)  # 12 texts: 6 fine clusters of 2 would be guesswork
    merged = TopicModel(n_topics=3, tfidf_weight=1.0).fit(texts)
    plain = TopicModel(n_topics=3, tfidf_weight=1.0, refine="none").fit(texts)
    assert np.array_equal(merged.labels_, plain.labels_)


def test_spherical_kmeans_gives_unit_centres_and_cosine_assignments() -> None:
    from bizpilot.ml.text.topics import spherical_kmeans

    vectors, _ = _sub_blobs(1)
    labels, centres = spherical_kmeans(vectors, np.arange(len(vectors)) % 3, 3)
    assert np.allclose(np.linalg.norm(centres, axis=1), 1.0)
    assert np.array_equal(labels, np.argmax(vectors @ centres.T, axis=1))

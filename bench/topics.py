"""Topic discovery beside its peers, in one process, on the same seeded samples: the product's topic model (as
``bizpilot eval topics --k <labels>`` runs it) vs TF-IDF + SVD + k-means and sentence embedding + k-means, with k =
the number of known labels for all.

    OMP_NUM_THREADS=1 BIZPILOT_EMBED_THREADS=1 nice -n 5 python bench/topics.py [--sets zh,en] [--seeds 0,1,2]
        [--params JSON] [--no-embed-timing] [--json OUT] [--md bench/topics.md]

* ``zh``: online_shopping_10_cats (text ``review``, label ``cat``: 10 product categories), a stratified seeded
  sample of 5,000 reviews per seed (the draw of ``eval topics --sample 5000 --seed S``);
* ``en``: bitext customer support (text ``instruction``, label ``category``: 11 request categories), a stratified
  seeded 3,000 of its 4,514 requests per seed.

Per sample: NMI and ARI against the labels, NPMI coherence and diversity of each method's top-10 c-TF-IDF words
(the product's keyword routine applied to every method's clusters, so only the clustering differs), and seconds.
Ours: ``TopicModel(n_topics=k, random_state=seed)`` with its defaults (``--params`` passes constructor arguments)
fitted on the product's sentence vectors of the texts, read from the cache ``bench/topics_data.py`` keeps under
``../evaldata/emb/topics_*.npy``; its seconds are the fit on cached vectors (what a retraining costs when the
workspace cache holds the texts), the embedding cost per text is timed apart. Peers: ``baseline_labels`` of the
evaluation (the project's words, jieba for Chinese, TF-IDF + SVD 100 + k-means, 4 restarts) and the same sentence
vectors + k-means (4 restarts), as ``eval topics`` reports them (``baseline_nmi``, ``baseline_embedding_nmi``).
Figures are mean ± standard deviation over the seeds. Settings were chosen on ``en`` seeds 0-2 and on the ``zh``
sample of seed 0 only; the other seeds check them.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from topics_data import SETS, DataSet, load, sample_rows, vectors

GOALS = {"zh": 0.60, "en": 0.65}
METRICS = ("nmi", "ari", "npmi", "diversity", "seconds")


def _scores(labels: list[str], pred: np.ndarray, docs: list[list[str]], k: int, seconds: float) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from bizpilot.ml.text.topics import npmi_coherence, topic_diversity, topic_keywords

    keywords = topic_keywords(docs, np.asarray(pred), k, 10)
    return {"nmi": round(float(normalized_mutual_info_score(labels, pred)), 4),
            "ari": round(float(adjusted_rand_score(labels, pred)), 4),
            "npmi": npmi_coherence(keywords, docs), "diversity": topic_diversity(keywords),
            "seconds": round(seconds, 2)}


def run_sample(ds: DataSet, texts: list[str], labels: list[str], seed: int, params: dict[str, Any],
               variants: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, float]]:
    """Every method on one seeded sample of ``ds``."""
    from sklearn.cluster import KMeans

    from bizpilot.ml.text.embedding import choose_embedder
    from bizpilot.ml.text.topics import TopicModel, keyword_tokens
    from bizpilot.services.evaluation.topics import baseline_labels

    rows = sample_rows(ds, labels, seed)
    xs, ys = [texts[r] for r in rows], [labels[r] for r in rows]
    k = len(set(ys))
    docs = [keyword_tokens(t) for t in xs]
    name = choose_embedder(xs)
    vecs = {e: vectors(ds, e, texts, rows, quiet=True) for e in ds.embedders}
    out: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    model = TopicModel(n_topics=k, random_state=seed, embedder=name, **params).fit(xs, embeddings=vecs[name])
    out["ours"] = _scores(ys, model.labels_, docs, k, time.perf_counter() - started)
    for label, extra in (variants or {}).items():  # the product with other parameters, same texts and vectors
        started = time.perf_counter()
        model = TopicModel(n_topics=k, random_state=seed, embedder=name, **{**params, **extra}).fit(
            xs, embeddings=vecs[name])
        out[label] = _scores(ys, model.labels_, docs, k, time.perf_counter() - started)
    started = time.perf_counter()
    peer = baseline_labels(xs, k, seed=seed)
    out["tfidf_svd_kmeans"] = _scores(ys, peer, docs, k, time.perf_counter() - started)
    for e in [name] + [e for e in ds.embedders if e != name]:
        started = time.perf_counter()
        peer = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vecs[e])
        out[f"{e}_kmeans"] = _scores(ys, peer, docs, k, time.perf_counter() - started)
    out["_"] = {"n": len(xs), "k": k}
    return out


def summarise(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """Mean and standard deviation per method and metric over the seeds, and each peer's NMI ratio (ours / peer)."""
    methods = [m for m in runs[0] if m != "_"]
    out: dict[str, dict[str, Any]] = {}
    for m in methods:
        row: dict[str, Any] = {}
        for metric in METRICS:
            values = np.array([r[m][metric] for r in runs], dtype=np.float64)
            row[metric] = round(float(values.mean()), 4)
            row[f"{metric}_std"] = round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 4)
        row["per_seed_nmi"] = [r[m]["nmi"] for r in runs]
        out[m] = row
    for m in methods:
        out[m]["nmi_ratio"] = round(out["ours"]["nmi"] / max(out[m]["nmi"], 1e-9), 3)
        out[m]["seconds_ratio"] = round(out["ours"]["seconds"] / max(out[m]["seconds"], 1e-9), 2)
    return out


def embed_cost(ds: DataSet, texts: list[str], n: int = 100) -> dict[str, float]:
    """Milliseconds per text of each embedder on ``n`` texts of the set, outside the cache (the first fit's cost)."""
    from bizpilot.ml.text.embedding import SERVICE_EMBEDDER
    from bizpilot.ml.text.topics import EMBED_CHARS
    from bizpilot.retrieval.embedders import get_embedder

    rng = np.random.default_rng(0)
    chosen = [texts[i][:EMBED_CHARS] for i in rng.choice(len(texts), n, replace=False)]
    out = {}
    for e in ds.embedders:
        service: Any = get_embedder(SERVICE_EMBEDDER[e], cache=False)
        service.run(chosen[:4], is_query=True)
        started = time.perf_counter()
        service.run(chosen, is_query=True)
        out[e] = round(1000 * (time.perf_counter() - started) / n, 1)
    return out


NOTES = [
    "## Notes", "",
    "* The same figures come from the product's command, one sample at a time, e.g. `bizpilot eval topics --data "
    "../shared/data/chinese-review-sentiment/online_shopping_10_cats.csv --text-col review --label-col cat --k 10 "
    "--sample 5000 --seed 0 --json` (`nmi`, `baseline_nmi`, `baseline_embedding_nmi`) and `bizpilot eval topics "
    "--data ../shared/data/bitext-customer-support/bitext_customer_support_4514.csv --text-col instruction "
    "--label-col category --k 11 --sample 3000 --seed 0 --json`; its `seconds` include embedding when the "
    "workspace cache lacks the texts.",
    "* `previous` is the product before this change (`refine=\"none\"`: k-means with 4 restarts on the same "
    "features). The change: k-means into 2k clusters, their centres merged into k by Ward linkage, k-means from the "
    "merged centres, then spherical k-means. Chosen on `en` seeds 0-2 and on `zh` seed 0 only (zh s0: 0.593 -> "
    "0.626). On the zh samples not used in choosing, NMI moved +0.012, +0.017, -0.002, -0.002 (seeds 1-4; mean "
    "0.594 -> 0.600), ARI rose on every one (+0.04 to +0.06); on en seeds 3-4 NMI +0.006, +0.023. So the zh goal "
    "(0.60) is met on the mean, not on every sample (seed 1 0.597, seed 4 0.592).",
    "* Tried on the same tuning samples and left out: 3k fine clusters (zh s0 0.598; e5 on en 0.717 vs 0.738), "
    "8 restarts with the merge (zh s0 unchanged), spherical k-means alone (zh s0 0.598, en 0.855: better on en, "
    "worse on zh), TF-IDF weight 0.3 with e5 (zh s0 0.620; e5 on en 0.711 vs 0.738), removing two principal "
    "directions from e5 (zh s0 0.592), PCA whitening (zh s0 0.585), fitting centres on reviews of 15+ characters "
    "only (zh s0 0.582), MiniLM + e5 concatenated on en (plain k-means 0.805-0.854 on s0, 0.811 s1, 0.825 s2).",
    "* Coherence moved the other way on Chinese: NPMI of the top-10 words fell on zh seeds 1-4 (0.13-0.16 -> "
    "0.10-0.12; seed 0 unchanged), diversity rose slightly; on en NPMI rose on average. The merged topics are "
    "wider (several sub-groups of a category), so their top words co-occur less often in one review.",
    "* Fit time: the merge adds a second k-means over 2k clusters and the spherical steps (about +1 s on 5,000 "
    "Chinese reviews, most of the rest is jieba and TF-IDF; +0.4 s on 3,000 requests); a first fit also embeds "
    "every text (e5: the ms per text above, 4-7 minutes for 5,000 reviews on one busy thread), cached in the "
    "workspace afterwards.",
    "* The issue's English baseline (sentence embedding + k-means about 0.52) is on a set not here; on bitext "
    "categories MiniLM + k-means already reaches about 0.80.",
]

LABELS = {"ours": "ours (product)", "previous": "ours before (k-means only)",
          "tfidf_svd_kmeans": "TF-IDF + SVD + k-means", "e5_kmeans": "e5 + k-means",
          "minilm_kmeans": "MiniLM + k-means"}


def _pm(row: dict[str, Any], metric: str, digits: int = 3) -> str:
    return f"{row[metric]:.{digits}f} ± {row[metric + '_std']:.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Topics: ours vs TF-IDF + SVD + k-means and sentence embedding + k-means", "",
             f"`{results['command']}`, {results['date']}, 2 shared CPU cores, one thread. All methods run in the "
             "same process on the same seeded stratified samples with k = the number of labels; figures are mean ± "
             f"standard deviation over seeds {results['seeds']}. Product parameters: "
             f"`{results['params'] or 'defaults'}`.",
             ""]
    for key in results["sets"]:
        res = results[key]
        ds = SETS[key]
        lines += [f"## {key}: `{'/'.join(ds.path)}` (text `{ds.text_col}`, label `{ds.label_col}`, "
                  f"{res['k']} labels), {res['n']} texts per sample; goal NMI >= {GOALS[key]:.2f}", "",
                  "| method | NMI | ARI | NPMI | diversity | fit s | NMI ours / method | s ours / method | "
                  "NMI per seed |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for m, row in res["summary"].items():
            lines.append(f"| {LABELS.get(m, m)} | {_pm(row, 'nmi')} | {_pm(row, 'ari')} | {_pm(row, 'npmi')} | "
                         f"{_pm(row, 'diversity')} | {_pm(row, 'seconds', 1)} | {row['nmi_ratio']:.3f} | "
                         f"{row['seconds_ratio']:.2f} | {', '.join(f'{v:.3f}' for v in row['per_seed_nmi'])} |")
        if res.get("embed_ms"):
            cost = ", ".join(f"{e} {ms:.0f} ms" for e, ms in res["embed_ms"].items())
            lines += ["", f"Embedding per text outside the cache (first fit; one thread): {cost}; fit seconds above "
                      "are on cached vectors."]
        lines.append("")
    return "\n".join(lines + NOTES) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="zh,en")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--params", default="{}", help="TopicModel constructor arguments (JSON)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON",
                        help="Also the product with these parameters, e.g. 'ours, k-means only={\"refine\": \"none\"}'")
    parser.add_argument("--no-embed-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="Also write the results here")
    parser.add_argument("--md", type=Path, default=Path(__file__).with_suffix(".md"))
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    params = json.loads(args.params)
    variants = {name: json.loads(spec) for name, _, spec in (v.partition("=") for v in args.variant)}
    results: dict[str, Any] = {"sets": args.sets.split(","), "seeds": seeds, "params": params, "variants": variants,
                               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "command": "python bench/topics.py " + shlex.join(argv if argv is not None
                                                                                  else sys.argv[1:])}
    for key in results["sets"]:
        ds = SETS[key]
        texts, labels = load(ds)
        runs = []
        for seed in seeds:
            runs.append(run_sample(ds, texts, labels, seed, params, variants))
            print(f"{key} seed {seed}: " + ", ".join(f"{m} {r['nmi']:.4f}" for m, r in runs[-1].items()
                                                     if m != "_"), file=sys.stderr)
        summary = summarise(runs)
        results[key] = {"n": runs[0]["_"]["n"], "k": runs[0]["_"]["k"], "summary": summary, "runs": runs,
                        "embed_ms": None if args.no_embed_timing else embed_cost(ds, texts)}
        print(f"\n{key}: {results[key]['n']} texts per sample, k = {results[key]['k']}, seeds {seeds}")
        print(f"  {'method':<18}" + "".join(f"{m:>18}" for m in METRICS) + f"{'NMI ratio':>10}")
        for m, row in summary.items():
            print(f"  {m:<18}" + "".join(f"{_pm(row, x, 3 if x != 'seconds' else 1):>18}" for x in METRICS)
                  + f"{row['nmi_ratio']:>10.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if args.md:
        args.md.write_text(markdown(results), encoding="utf-8")
        print(f"tables written to {args.md}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

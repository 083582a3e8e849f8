"""Trained reranking over hybrid retrieval on ATEC (issue 17): does a learned reranker over the adapted hybrid's top
candidates lift recall@5 on held-out question groups? Same split as `eval retrieval --train-pairs` (connected
question groups, a third held out, seeded); BM25 and the untrained/adapted vector and hybrid rankings of the same run
beside it. The adapter here trains on every non-matching pair (all ATEC texts embedded); the reranker's training
queries get cross-fitted adapter features (3 folds of training groups), so they look like held-out ones.

Features per (query, candidate): adapted and base cosine (plain and hubness-corrected) and ranks, BM25 score, rank
and share of the query's best, RRF score and rank, gaps to the query's best cosine, character/bigram/jieba-token
Jaccard, length ratio and difference, hub scores, 花呗/借呗 mismatch; models: logistic regression (dense, and dense
plus hashed token differences), gradient boosting.

    python bench/embedder_rerank.py SEED [K] [--vectors NPY --texts JSON]

Vectors: an .npy of e5 query-side vectors with a JSON ``{"texts": [...]}`` naming its rows (a cache of every ATEC
text); BM25 top-100 per query is computed with the evaluation's analyzer. Prints one JSON line per seed.
"""

# ruff: noqa: E402  (a linear experiment script: pieces are imported where they are first needed)
import json
import resource
import time
from pathlib import Path

import numpy as np

from bizpilot.ml.text.adapter import EmbeddingAdapter, pair_groups
from bizpilot.retrieval.analyzers import _jieba
from bizpilot.retrieval.vector import VectorIndex
from bizpilot.services.embedder.pairs import read_pairs
from bizpilot.services.embedder.training import ADAPTER_PARAMS

ATEC = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "atec-alipay-question-matching" / "atec_nlp_sim_train.csv"
)
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("seed", type=int)
ap.add_argument("K", type=int, nargs="?", default=30)
ap.add_argument("--data", type=Path, default=ATEC)
ap.add_argument("--vectors", type=Path)
ap.add_argument("--texts", type=Path)
ARGS = ap.parse_args()
from bizpilot.retrieval.benchmark import read_atec

_task = read_atec(ARGS.data)
D = {"pool": _task.pool, "queries": _task.queries, "gold": _task.gold, "also": [sorted(a) for a in _task.also_relevant]}
if ARGS.vectors:
    D["texts"] = json.load(open(ARGS.texts))["texts"]
    E = np.load(ARGS.vectors)
else:
    from bizpilot.services.embedder.training import base_vectors

    D["texts"] = list(dict.fromkeys([*_task.pool, *_task.queries, *read_pairs(ARGS.data).texts]))
    E = base_vectors(D["texts"], "e5")
row = {t: i for i, t in enumerate(D["texts"])}
pool, queries, gold, also = D["pool"], D["queries"], np.array(D["gold"]), [set(a) for a in D["also"]]
from bizpilot.retrieval import BM25Index, ChineseAnalyzer, MixedAnalyzer
from bizpilot.retrieval.bm25 import top_k

_bm = BM25Index(analyzer=MixedAnalyzer(chinese=ChineseAnalyzer(bigrams=True, unigrams=True))).fit(pool)
_uq = list(dict.fromkeys(queries))
B = {"ids": np.full((len(_uq), 100), -1, np.int64), "scores": np.zeros((len(_uq), 100), np.float32)}
for _i, _q in enumerate(_uq):
    _a, _s = top_k(_bm.scores(_q), 100, drop_zero=True)
    B["ids"][_i, : len(_a)] = _a
    B["scores"][_i, : len(_a)] = _s
bq = {q: i for i, q in enumerate(_uq)}
pair_set = read_pairs(ATEC)
pairs, negatives = pair_set.arrays()
Vps = E[[row[t] for t in pair_set.texts]]  # vectors in pair_set order
pool_rows = np.array([row[t] for t in pool])
q_rows = np.array([row[q] for q in queries])
jieba = _jieba()
tok = {}


def toks(t):
    if t not in tok:
        tok[t] = frozenset(w for w in jieba.lcut(t) if w.strip())
    return tok[t]


def split(seed, holdout=1 / 3):
    n_file = len(pair_set.texts)
    where = dict(zip(pair_set.texts, range(n_file), strict=True))
    ids = []
    for t in [*queries, *pool]:
        if t not in where:
            where[t] = len(where)
        ids.append(where[t])
    q_ids = np.array(ids[: len(queries)])
    pool_ids = np.array(ids[len(queries) :])
    links = np.stack([q_ids, pool_ids[gold]], 1)
    groups = pair_groups(len(where), np.vstack([pairs, links]))
    cands = np.unique(groups[q_ids])
    n_held = max(1, int(round(holdout * len(cands))))
    held = np.isin(groups, np.random.default_rng(seed).choice(cands, size=n_held, replace=False))
    keep_p = ~(held[pairs[:, 0]] | held[pairs[:, 1]])
    keep_n = ~(held[negatives[:, 0]] | held[negatives[:, 1]])
    return held[q_ids], keep_p, keep_n, groups, q_ids


def fit(keep_p, keep_n, seed):
    return EmbeddingAdapter(base="e5", seed=seed, **ADAPTER_PARAMS).fit(Vps, pairs[keep_p], negatives[keep_n])


def vec_rank(P, Q, hub, k=100):
    """top-k ids by cos - 0.5 hub, plus cos matrix entries."""
    ids = np.zeros((len(Q), k), np.int64)
    for s in range(0, len(Q), 1024):
        S = Q[s : s + 1024] @ P.T - 0.5 * hub
        part = np.argpartition(-S, k, axis=1)[:, :k]
        o = np.argsort(-np.take_along_axis(S, part, 1), axis=1)
        ids[s : s + 1024] = np.take_along_axis(part, o, 1)
    return ids


def hubs(P):
    vi = VectorIndex(embedder=type("E", (), {"dim": P.shape[1]})(), hubness_k=20)
    vi.matrix = P
    return vi._hubness()


def rrf(lists, w=(0.3, 1.0), k=60, limit=100):
    f = {}
    for wi, ranked in zip(w, lists, strict=False):
        for r, p in enumerate(ranked, 1):
            if p >= 0:
                f[p] = f.get(p, 0.0) + wi / (k + r)
    it = sorted(f.items(), key=lambda kv: -kv[1])[:limit]
    return [p for p, _ in it], [s for _, s in it]


def rank_of(cands, qi):
    seen = 0
    for p in cands:
        if p == gold[qi]:
            return seen + 1
        if p not in also[qi]:
            seen += 1
    return 0


def r5(ranks):
    r = np.array(ranks)
    return float(((r > 0) & (r <= 5)).mean())


from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

K, seed = ARGS.K, ARGS.seed
T0 = time.time()
heldq, kp, kn, groups, q_ids = split(seed)
Pb, Qb = E[pool_rows], E[q_rows]
hub_b = hubs(Pb)
vb = vec_rank(Pb, Qb, hub_b)
# adapters: full for held queries, 3 cross-fit folds for training queries
full = fit(kp, kn, seed)
qa_vec = np.zeros((len(queries), 100), np.int64)
QA = np.zeros_like(Qb)
PA = {}
HUBA = {}
fold_of = np.full(len(queries), -1)
tr_groups = np.unique(groups[q_ids[~heldq]])
rng = np.random.default_rng(100 + seed)
gfold = dict(zip(tr_groups.tolist(), rng.integers(0, 3, len(tr_groups)).tolist(), strict=True))
for i in np.flatnonzero(~heldq):
    fold_of[i] = gfold[int(groups[q_ids[i]])]
t_fit = time.time()
for f in (-1, 0, 1, 2):
    if f == -1:
        ad = full
    else:
        fg = np.array([g for g, v in gfold.items() if v == f])
        inf = np.isin(groups, fg)
        ad = fit(kp & ~(inf[pairs[:, 0]] | inf[pairs[:, 1]]), kn & ~(inf[negatives[:, 0]] | inf[negatives[:, 1]]), seed)
    P = ad.transform(Pb)
    h = hubs(P)
    sel = np.flatnonzero(fold_of == f)
    Q = ad.transform(Qb[sel])
    QA[sel] = Q
    PA[f] = P
    HUBA[f] = h
    qa_vec[sel] = vec_rank(P, Q, h)
print("adapters+ranks", round(time.time() - t_fit, 1), flush=True)
L = np.array([len(t) for t in pool])


def feats(i):
    f = fold_of[i]
    P, h = PA[f], HUBA[f]
    bi = bq[queries[i]]
    bids, bsc = B["ids"][bi], B["scores"][bi]
    bl = [int(x) for x in bids if x >= 0]
    fused, fsc = rrf([bl, qa_vec[i].tolist()], limit=K)
    c = np.array(fused)
    ca = P[c] @ QA[i]
    cb = Pb[c] @ Qb[i]
    brank = {p: r for r, p in enumerate(bl, 1)}
    bscore = {int(p): float(s) for p, s in zip(bids, bsc, strict=True) if p >= 0}
    arank = {int(p): r for r, p in enumerate(qa_vec[i], 1)}
    brk = {int(p): r for r, p in enumerate(vb[i], 1)}
    q = queries[i]
    qc = set(q)
    qb = {q[j : j + 2] for j in range(len(q) - 1)}
    qt = toks(q)
    mb = max(bscore.values()) if bscore else 1.0
    X = []
    S = []
    for j, p in enumerate(fused):
        t = pool[p]
        tc = set(t)
        tb = {t[k : k + 2] for k in range(len(t) - 1)}
        tt = toks(t)
        X.append(
            [
                ca[j],
                ca[j] - 0.5 * h[p],
                arank.get(p, 101),
                cb[j],
                cb[j] - 0.5 * hub_b[p],
                brk.get(p, 101),
                bscore.get(p, 0.0),
                bscore.get(p, 0.0) / max(mb, 1e-6),
                brank.get(p, 101),
                fsc[j],
                j + 1,
                ca[j] - ca.max(),
                cb[j] - cb.max(),
                len(qc & tc) / max(1, len(qc | tc)),
                len(qb & tb) / max(1, len(qb | tb)),
                len(qt & tt) / max(1, len(qt | tt)),
                min(len(q), len(t)) / max(1, len(q), len(t)),
                abs(len(q) - len(t)),
                h[p],
                hub_b[p],
                float(q == t),
                float(("花呗" in q) != ("花呗" in t)),
                float(("借呗" in q) != ("借呗" in t)),
            ]
        )
        S.append(["dq:" + w for w in qt - tt] + ["dc:" + w for w in tt - qt] + ["s:" + w for w in qt & tt])
    y = [p == gold[i] or p in also[i] for p in fused]
    return np.array(X, np.float32), np.array(y), fused, S


t_f = time.time()
data = [feats(i) for i in range(len(queries))]
print("features", round(time.time() - t_f, 1), flush=True)
tr = np.flatnonzero(~heldq)
te = np.flatnonzero(heldq)
Xtr = np.vstack([data[i][0] for i in tr])
ytr = np.concatenate([data[i][1] for i in tr])
out = {}


# baselines on held queries
def ranks_from(lists):
    return [rank_of(ranked, i) for i, ranked in zip(te, lists, strict=True)]


out["bm25"] = r5(ranks_from([[int(x) for x in B["ids"][bq[queries[i]]] if x >= 0] for i in te]))
out["vector"] = r5(ranks_from([vb[i].tolist() for i in te]))
out["hybrid"] = r5(
    ranks_from([rrf([[int(x) for x in B["ids"][bq[queries[i]]] if x >= 0], vb[i].tolist()])[0] for i in te])
)
out["adapted vector"] = r5(ranks_from([qa_vec[i].tolist() for i in te]))
out["adapted hybrid"] = r5(ranks_from([data[i][2] for i in te]))
out["cand recall"] = float(np.mean([data[i][1].any() for i in te]))
t_m = time.time()
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import StandardScaler

fh = FeatureHasher(n_features=2**18, input_type="string", alternate_sign=False)
sc = StandardScaler().fit(Xtr)


def sp(ix):
    return sparse.hstack(
        [
            sparse.csr_matrix(sc.transform(np.vstack([data[i][0] for i in ix]))),
            fh.transform([s for i in ix for s in data[i][3]]),
        ]
    ).tocsr()


for C in (0.1, 0.3, 1.0):
    m = LogisticRegression(C=C, max_iter=3000, solver="liblinear").fit(sp(tr), ytr)
    rk = []
    for i in te:
        o = np.argsort(-m.predict_proba(sp([i]))[:, 1], kind="stable")
        rk.append(rank_of([data[i][2][j] for j in o], i))
    out[f"rerank lr+tokens C={C}"] = r5(rk)
for name, model in [
    (
        "hgb",
        HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=100, random_state=0
        ),
    ),
    ("lr", None),
]:
    if model is None:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(Xtr, ytr)
    rk = []
    for i in te:
        X, y, fused, _ = data[i]
        o = np.argsort(-model.predict_proba(X)[:, 1], kind="stable")
        rk.append(rank_of([fused[j] for j in o], i))
    out["rerank " + name] = r5(rk)
out["seconds"] = round(time.time() - T0, 1)
out["model_s"] = round(time.time() - t_m, 1)
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(
    json.dumps({"seed": seed, "K": K, **{k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}}),
    flush=True,
)

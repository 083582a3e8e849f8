"""Training the ``industry`` model from the workspace (see ``services/models/spec.py`` for the contract).

The labelled data are the accounts that have an industry: typed or imported by people, or a prediction a person
accepted (predictions never write ``accounts.industry`` on their own, so the model never learns from itself).
With at least ``MIN_LABELLED`` of them over two labels the classifier is trained (sentence features + TF-IDF
ensemble, each label's taxonomy description added as a prior); with fewer it classifies zero-shot among the
taxonomy's labels. Either way it outputs one prediction per account without an industry (what is read by the API,
the account page and the review queue) and, when trained, its cross-validated accuracy on the labelled accounts.

The text of an account is its name and description (Chinese or English: the multilingual embedder reads both).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account
from bizpilot.errors import InsufficientData
from bizpilot.services.industry.taxonomy import LabelIndex, label_index
from bizpilot.services.models.spec import Output, Progress, Trained

MIN_LABELLED = 6
REVIEW_BELOW = 0.6
CV_FOLDS = 5


@dataclass(frozen=True)
class AccountText:
    id: int
    text: str
    industry: str | None
    basis: str  # "description" or "name"


def account_text(name: str | None, description: str | None) -> tuple[str, str]:
    """(text to classify, what it rests on): name and description, or the name alone."""
    name, description = (name or "").strip(), (description or "").strip()
    if description:
        return (f"{name}. {description}" if name else description), "description"
    return name, "name"


def workspace_accounts(*, session: Session) -> list[AccountText]:
    """Every account that is not archived, with its text and industry (blank industries as None)."""
    rows = session.execute(select(Account.id, Account.name, Account.description, Account.industry)
                           .where(Account.archived_at.is_(None)).order_by(Account.id)).all()
    out = []
    for account_id, name, description, industry in rows:
        text, basis = account_text(name, description)
        if text:
            out.append(AccountText(int(account_id), text, (industry or "").strip() or None, basis))
    return out


def label_prototypes(labels: list[str], index: LabelIndex) -> dict[str, list[str]]:
    """What each workspace label means, from the taxonomy: a leaf's description in both languages; a sector's
    description and its industries'. Labels the taxonomy does not know are read by their name."""
    out: dict[str, list[str]] = {}
    for label in labels:
        leaf = index.leaf(label)
        if leaf is not None:
            out[label] = [leaf.text("en"), leaf.text("zh")]
            continue
        sector = index.sector_of(label)
        if sector is not None:
            out[label] = [index.sector_text(sector.key)] + [x.text("en") for x in index.leaves
                                                           if x.sector_key == sector.key]
    return out


def canonical_labels(industries: list[str], index: LabelIndex) -> dict[str, str]:
    """Each spelling -> the label the model uses: spellings of one taxonomy label, or equal but for case and
    dashes, become the spelling the workspace uses most."""
    from bizpilot.domain.industry import label_key

    counts = Counter(industries)
    groups: dict[str, list[str]] = {}
    for spelling in counts:
        node = index.node(spelling)
        groups.setdefault(node.key if node is not None else "~" + label_key(spelling), []).append(spelling)
    out = {}
    for spellings in groups.values():
        best = max(spellings, key=lambda s: (counts[s], s))
        out.update({s: best for s in spellings})
    return out


def _cross_validated(texts: list[str], labels: list[str], params: dict[str, Any],
                     prototypes: dict[str, list[str]]) -> dict[str, Any]:
    """Out-of-fold accuracy, macro F1 and top-3 accuracy on the labelled accounts (stratified, fixed seed)."""
    from sklearn.model_selection import StratifiedKFold

    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.industry import IndustryClassifier, top_k_accuracy

    folds = min(CV_FOLDS, max(Counter(labels).values()))
    if folds < 2 or len(texts) < 2 * MIN_LABELLED:
        return {}
    truth, predicted, hits = [], [], []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels))
    for train_idx, test_idx in splits:
        if len({labels[i] for i in train_idx}) < 2:
            continue
        model = IndustryClassifier(**params).fit([texts[i] for i in train_idx], [labels[i] for i in train_idx],
                                                 label_texts=prototypes)
        test = [texts[i] for i in test_idx]
        gold = [labels[i] for i in test_idx]
        probs = model.predict_proba(test)
        truth.extend(gold)
        predicted.extend(model.classes_[i] for i in probs.argmax(axis=1))
        hits.append(top_k_accuracy(probs, model.classes_, gold, k=3) * len(gold))
    if not truth:
        return {}
    scored = label_metrics(truth, predicted)
    return {"cv_accuracy": round(scored["accuracy"], 4), "cv_macro_f1": round(scored["macro_f1"], 4),
            "cv_top3_accuracy": round(sum(hits) / len(truth), 4), "cv_folds": folds}


def previous_choice(*, session: Session, param: str) -> Any:
    """``param`` as the latest finished industry run recorded it (None without one): an option a person chose
    when training by hand stays chosen when `train all` or the schedule retrains."""
    from bizpilot.domain.model_run import ModelRun

    params = session.scalar(select(ModelRun.params).where(ModelRun.task == "industry", ModelRun.status == "finished")
                            .order_by(ModelRun.id.desc()).limit(1))
    return (params or {}).get(param)


def train_industry(*, session: Session, as_of: datetime, progress: Progress, zero_shot: bool = False,
                   open_set: bool = False, review_below: float = REVIEW_BELOW, workspace_embedding: bool | None = None,
                   **params: Any) -> Trained:
    """Fit the classifier from the workspace's labelled accounts (or zero-shot) and predict every account without
    an industry. ``open_set`` also lets it predict taxonomy labels no account has yet (from their descriptions);
    ``review_below``: predictions less confident than this are queued for review. ``workspace_embedding``: embed
    through the workspace embedding model (opt-in: it did not help on company sectors, see
    ``ml/text/industry.py``); None keeps what the previous run chose."""
    from bizpilot.ml.text.industry import IndustryClassifier, predictions, review_order

    if workspace_embedding is None:
        workspace_embedding = bool(previous_choice(session=session, param="workspace_embedding"))
    params["workspace_embedding"] = workspace_embedding

    index = label_index(session=session)
    accounts = workspace_accounts(session=session)
    if not accounts:
        raise InsufficientData("no accounts to classify: import accounts (with a description) first")
    labelled = [a for a in accounts if a.industry]
    todo = [a for a in accounts if not a.industry]
    canon = canonical_labels([a.industry for a in labelled if a.industry], index)
    labels = [canon[a.industry] for a in labelled if a.industry]
    trained = not zero_shot and len(labelled) >= MIN_LABELLED and len(set(labels)) >= 2
    model_params = {k: v for k, v in params.items() if k in IndustryClassifier().get_params()}
    metrics: dict[str, Any] = {"n_accounts": len(accounts), "n_labelled": len(labelled), "n_to_classify": len(todo),
                               "taxonomy": "workspace" if index.taxonomy.name is None else "default"}
    started = time.perf_counter()
    model = IndustryClassifier(**model_params)
    if trained:
        classes = sorted(set(labels))
        prototypes = label_prototypes(classes, index)
        if open_set:
            prototypes.update(_uncovered(classes, index))
        progress(0.05, "cross-validating")
        metrics.update(_cross_validated([a.text for a in labelled], labels, model_params,
                                        label_prototypes(classes, index)))
        progress(0.4, "fitting")
        model.fit([a.text for a in labelled], labels, label_texts=prototypes,
                  on_progress=lambda done: progress(0.4 + 0.3 * done / max(len(labelled), 1), "embedding"))
        metrics["labels_described"] = sum(1 for c in classes if c in prototypes)
    else:
        model.fit([], [], label_texts={x.en: [x.text("en"), x.text("zh")] for x in index.leaves})
    source = "model" if trained else "zero-shot"
    metrics.update({"mode": model.mode_, "n_labels": len(model.classes_),
                    "embedding": getattr(model, "embedding_config_", model.embedder_),
                    "fit_seconds": round(time.perf_counter() - started, 3)})
    outputs: list[Output] = []
    if todo:
        progress(0.75, "classifying accounts")
        vectors = model.embed([a.text for a in todo]) if model.embedder_ != "none" else None
        probs = model.predict_proba([a.text for a in todo], vectors=vectors)
        preds = predictions(probs, model.classes_, k=4)
        queued = [i for i, p in enumerate(preds) if p.confidence < review_below]
        order, priority = (review_order(probs[queued], None if vectors is None else vectors[queued]) if queued
                           else ([], []))
        rank = {queued[j]: (r + 1, priority[r]) for r, j in enumerate(order)}
        for i, (account, pred) in enumerate(zip(todo, preds, strict=True)):
            position, score = rank.get(i, (None, 0.0))
            outputs.append(Output("account", account.id, score=round(score, 6), payload={
                "label": pred.label, "sector": _sector(index, pred.label), "confidence": round(pred.confidence, 4),
                "alternatives": [{"label": a, "sector": _sector(index, a), "confidence": round(p, 4)}
                                 for a, p in pred.alternatives],
                "source": source, "needs_review": position is not None, "review_rank": position,
                "margin": round(pred.margin, 4), "entropy": round(pred.entropy, 4), "basis": account.basis}))
        metrics.update({"n_predicted": len(outputs), "n_review": len(queued),
                        "mean_confidence": round(float(np.mean([p.confidence for p in preds])), 4),
                        "predicted": dict(Counter(p.label for p in preds).most_common(20))})
    progress(1.0, "done")
    return Trained(model, metrics, n_rows=len(labelled) if trained else len(todo), outputs=outputs,
                   params={**model.get_params(), "zero_shot": zero_shot, "open_set": open_set,
                           "review_below": review_below})


def _uncovered(classes: list[str], index: LabelIndex) -> dict[str, list[str]]:
    """Taxonomy leaves no workspace label stands for (neither the leaf nor its whole sector), by English name."""
    nodes = [index.node(c) for c in classes]
    covered = {n.key for n in nodes if n is not None}
    return {x.en: [x.text("en"), x.text("zh")] for x in index.leaves
            if x.key not in covered and x.sector_key not in covered and x.en not in classes}


def _sector(index: LabelIndex, label: str) -> dict[str, Any] | None:
    sector = index.sector_of(label)
    return {"key": sector.key, "en": sector.en, "zh": sector.zh} if sector is not None else None


__all__ = ["MIN_LABELLED", "REVIEW_BELOW", "AccountText", "account_text", "canonical_labels", "label_prototypes",
           "previous_choice", "train_industry", "workspace_accounts"]

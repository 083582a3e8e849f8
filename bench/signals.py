"""Signals latency and accuracy beside their cheap peers, in one process (ratios, since timings are noisy).

    python bench/signals.py [--data ../shared/data] [--n 200]

* per-message latency of ``analyse_message`` (shipped models, after load) vs the TF-IDF-only intent model and the
  lexicon-only sentiment on the same messages;
* the shipped default intent model (seeds only, never saw the data) vs a TF-IDF-only model on the same seeds, on
  the Bitext customer-support utterances whose intents map onto the default set (zero-shot, English);
* the shipped sentiment default vs the lexicon on the UCI sentences (Amazon, Yelp) and a sample of Chinese
  reviews (online_shopping_10_cats), when ``--data`` has them.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

MESSAGES = ["where is my order 1043?", "你们的付款条件是什么", "the pump leaks, I want a refund",
            "can you ship 20 pallets to Rotterdam?", "发票抬头写错了，请重开", "what is the max pressure of the X200?",
            "服务太差了，我要投诉", "I can't log into the portal", "thanks, all good", "这款多少钱？500件起订吗"]


def _latency(fn, texts: list[str], repeat: int) -> tuple[float, float]:  # noqa: ANN001
    """Median and p95 milliseconds per call; every call gets a new text (an order number appended), so the
    embedding cache never answers."""
    times = []
    for r in range(repeat):
        for i, text in enumerate(texts):
            started = time.perf_counter()
            fn(f"{text} #{r * 1000 + i}")
            times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


BITEXT_MAP = {"create_account": "account", "delete_account": "account", "edit_account": "account",
              "recover_password": "account", "registration_problems": "account", "switch_account": "account",
              "delivery_options": "shipping", "delivery_period": "shipping", "complaint": "complaint",
              "check_invoice": "invoice_payment", "get_invoice": "invoice_payment",
              "check_payment_methods": "invoice_payment", "payment_issue": "invoice_payment",
              "track_order": "order_status", "check_refund_policy": "returns_refunds",
              "get_refund": "returns_refunds", "track_refund": "returns_refunds"}


def _bitext(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["intent"] in BITEXT_MAP:
                texts.append(row["instruction"])
                labels.append(BITEXT_MAP[row["intent"]])
    return texts, labels


def _read_pairs(path: Path, n: int) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    with path.open(encoding="utf-8-sig") as fh:
        if path.suffix == ".txt":
            rows = [line.rstrip("\n").rsplit("\t", 1) for line in fh.readlines()[1:]]
            pairs = [(r[0], int(r[1])) for r in rows if len(r) == 2]
        else:
            pairs = [(r["review"].lstrip("\ufeff"), int(r["label"])) for r in csv.DictReader(fh) if r["review"]]
    step = max(1, len(pairs) // n)
    for text, label in pairs[::step][:n]:
        texts.append(text)
        labels.append(label)
    return texts, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--n", type=int, default=200, help="Sentences per dataset for the accuracy rows")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bizpilot.ml.text.intent import IntentClassifier, load_seeds
    from bizpilot.ml.text.sentiment import LexiconSentiment, default_sentiment_model
    from bizpilot.services.signals.analysis import analyse_message

    analyse_message("warm up")  # loads the models
    tfidf_intent = IntentClassifier(embedder="none").fit(*load_seeds())
    lexicon = LexiconSentiment()
    rows = [("analyse_message (shipped)", *_latency(analyse_message, MESSAGES, args.repeat)),
            ("peer: TF-IDF intent + lexicon", *_latency(lambda t: (tfidf_intent.analyse([t]), lexicon.analyse([t])),
                                                       MESSAGES, args.repeat))]
    print(f"{'latency per message':34} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
    for name, median, p95 in rows:
        print(f"{name:34} {median:10.2f} {p95:8.2f} {median / rows[1][1]:7.2f}")

    bitext = args.data / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    if bitext.is_file():
        from bizpilot.ml.evaluation import label_metrics
        from bizpilot.services.signals.analysis import intent_model

        texts, labels = _bitext(bitext)
        print(f"\n{'intent, Bitext mapped (zero-shot)':34} {'n':>5} {'accuracy':>9} {'macro_f1':>9} {'ratio':>7}")
        scores = [label_metrics(labels, [r["intent"] for r in m.analyse(texts)])
                  for m in (intent_model(), tfidf_intent)]
        for name, sc in zip(("shipped default (TF-IDF + e5)", "peer: TF-IDF on the same seeds"), scores, strict=True):
            print(f"{name:34} {sc['n']:5d} {sc['accuracy']:9.3f} {sc['macro_f1']:9.3f} "
                  f"{sc['accuracy'] / max(scores[1]['accuracy'], 1e-9):7.2f}")

    sets = [("UCI Amazon (en)", args.data / "english-review-sentiment" / "uci_amazon_cells_labelled.txt"),
            ("UCI Yelp (en)", args.data / "english-review-sentiment" / "uci_yelp_labelled.txt"),
            ("online_shopping (zh)", args.data / "chinese-review-sentiment" / "online_shopping_10_cats.csv")]
    default = default_sentiment_model()
    print(f"\n{'sentiment accuracy':22} {'n':>5} {'default':>8} {'lexicon':>8} {'ratio':>7}  (Amazon/Yelp: default "
          "was trained on them)")
    for name, path in sets:
        if not path.is_file():
            print(f"{name:22} skipped: {path} not found")
            continue
        texts, labels = _read_pairs(path, args.n)
        acc = [sum((s >= 0) == bool(y) for s, y in zip(m.score(texts), labels, strict=True)) / len(texts)
               for m in (default, lexicon)]
        print(f"{name:22} {len(texts):5d} {acc[0]:8.3f} {acc[1]:8.3f} {acc[0] / max(acc[1], 1e-9):7.2f}")


if __name__ == "__main__":
    main()

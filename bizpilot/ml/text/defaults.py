"""Build the shipped default models under ``bizpilot/ml/text/data`` (run by maintainers, not at run time).

    python -m bizpilot.ml.text.defaults [--uci DIR] [--only intent|sentiment]

* ``intent_default.npz``: the intent classifier fitted on the hand-written seeds (``intent_seeds.json``).
* ``sentiment_default.npz``: see `bizpilot.ml.text.sentiment`; fitted on the UCI Sentiment Labelled Sentences
  (Amazon + Yelp, CC BY 4.0, Kotzias et al. 2015) plus the hand-written seed reviews (``sentiment_seeds.json``:
  150 of them Chinese, across many domains) and scored together with the hand-written lexicon. Only data whose
  licence allows redistributing derived weights may be used here; ``data/PROVENANCE.md`` records what was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bizpilot.ml.text.intent import DEFAULT_MODEL_PATH as INTENT_PATH
from bizpilot.ml.text.intent import build_default_intent_model


def build_intent() -> Path:
    return build_default_intent_model().save(INTENT_PATH)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uci", type=Path, help="Folder with uci_amazon_cells_labelled.txt and uci_yelp_labelled.txt")
    parser.add_argument("--only", choices=("intent", "sentiment"), help="Rebuild only this model's file")
    args = parser.parse_args(argv)
    if args.only != "sentiment":
        print(f"wrote {build_intent()}", file=sys.stderr)
    if args.uci and args.only != "intent":
        from bizpilot.ml.text.sentiment import build_default_sentiment_model

        print(f"wrote {build_default_sentiment_model(args.uci)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The industry model as the model store knows it (see ``services/models/spec.py``).

It is part of `train all` (and so of the nightly retrain and the demo build): accounts imported without an
industry are classified by the next `train all`, the nightly retrain (the accounts table's fingerprint changed) or
`bizpilot classify accounts`. Imports themselves do not train: an import is one transaction over one file and
stays fast; classification needs the embedder and belongs with the other models.
"""

from __future__ import annotations

from bizpilot.domain import Account
from bizpilot.domain.industry import AccountIndustry, IndustryLabel
from bizpilot.ml.text.industry import IndustryClassifier
from bizpilot.services.industry.training import train_industry
from bizpilot.services.models.spec import ModelSpec

INDUSTRY = ModelSpec(
    name="industry", title="Industry", estimator=IndustryClassifier, train=train_industry,
    summary="Each account's industry from its name and description (zh and en): learned from the accounts that "
            "have one, zero-shot over the taxonomy while none do; uncertain ones queued for review",
    inputs=(Account, AccountIndustry, IndustryLabel), key_metrics={"cv_accuracy": "higher"})

SPECS = (INDUSTRY,)

__all__ = ["INDUSTRY", "SPECS"]

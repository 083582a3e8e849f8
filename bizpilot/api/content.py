"""Content generation over HTTP: POST /content/generate (role write) and POST /content/{id}/feedback (write);
stored generations are listed by the generic ``generated_content`` entity routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.api.params import Id, errors
from bizpilot.services.content import KINDS, generate_content, rate_content
from bizpilot.services.content.purpose import PURPOSE_KINDS, PURPOSES

router = APIRouter(prefix="/content", tags=["content"])


ContentKind = Literal[KINDS]  # type: ignore[valid-type]
ContentPurpose = Literal[PURPOSES]  # type: ignore[valid-type]
Reference = Annotated[str | None, Field(min_length=1, max_length=64)]


class GenerateRequest(BaseModel):
    kind: ContentKind = Field(description="What to write (product kinds need product_id, the others account_id)")
    product_id: Reference = Field(default=None, description="Product id or SKU")
    account_id: Reference = Field(default=None, description="Account id or external id")
    language: Literal["en", "zh"] = "en"
    tone: Literal["neutral", "friendly", "formal", "enthusiastic"] = "neutral"
    length: Literal["short", "medium", "long"] = "medium"
    use_llm: bool = True
    inquiry: str | None = Field(default=None, max_length=4000)
    purpose: ContentPurpose = Field(default="auto", description="Why to write (sales_email, follow_up, "
                                    "call_script): auto chooses from the account's data; a purpose the data cannot "
                                    "support is a 422")


class FeedbackRequest(BaseModel):
    rating: int | None = Field(default=None, ge=1, le=5)
    approve: bool = False
    edited_output: str | None = Field(default=None, max_length=20000)
    feedback: str | None = Field(default=None, max_length=4000)


@router.post("/generate", responses=errors(404, descriptions={404: "No such product or account"}))
async def generate(body: GenerateRequest, session: SessionDep) -> dict[str, Any]:
    """Generate, check against the facts, store; the answer has the text, per-sentence backing facts, removed and
    repaired claims, and whether (and why) the deterministic realisation was used."""
    result = await run_in_threadpool(
        generate_content, session=session, kind=body.kind,
        product_id=str(body.product_id) if body.product_id is not None else None,
        account_id=str(body.account_id) if body.account_id is not None else None, language=body.language,
        tone=body.tone, length=body.length, use_llm=body.use_llm, inquiry=body.inquiry,
        purpose=body.purpose if body.kind in PURPOSE_KINDS else None)
    return result.to_dict()


@router.post("/{content_id}/feedback")
def feedback(content_id: Id, body: FeedbackRequest, session: SessionDep) -> dict[str, Any]:
    """Rate, approve, edit: approved copy becomes an example for similar generations."""
    return rate_content(session=session, id=content_id, rating=body.rating, edited_output=body.edited_output,
                        feedback=body.feedback, approve=body.approve)

"""``/subscriptions`` and ``/notifications``: what a user asked to be told, and the feed of what was found.

Every key manages its own subscriptions only; which topics a role may take is
:data:`api.services.notify.TOPICS`. The feed holds the key's own notifications, newest first, sent by
e-mail or not; they name obligations, vacancies and pseudonymous candidate ids, never a candidate's details.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from api.http.common import ERRORS, Limit, Offset, page
from api.http.deps import PrincipalDep, StoreDep, audit
from api.http.problems import ApiProblem
from api.http.schemas import Page, Timestamp
from api.security import Principal
from api.services.notify import SubscriptionError, check_subscription, named_candidates
from models.store import notifications as store_notes

router = APIRouter(tags=["notifications"], responses=ERRORS)
Topic = Literal["obligation_status", "obligation_deadline", "vacancy_match", "import_result"]
EMAIL = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$"


class NewSubscription(BaseModel):
    """What to be told, and where: ``email`` (else the feed only) and the topic's parameters."""

    topic: Topic = Field(
        description="`obligation_status` (adviseur: an obligation turns risico or achter), `obligation_deadline` "
        "(adviseur: an obligation not yet fulfilled ends within `weeks`), `vacancy_match` (coach: a new or changed "
        "vacancy ranks one of `coach_id`'s candidates in its `top_k`), `import_result` (werkgeversservice)"
    )
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL, description="where to e-mail it")
    weeks: int | None = Field(default=None, ge=1, le=104, description="obligation_deadline: weeks before the end")
    top_k: int | None = Field(default=None, ge=1, le=100, description="vacancy_match: how many suggestions count")
    coach_id: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$", description="vacancy_match"
    )

    model_config = {"json_schema_extra": {"examples": [{"topic": "obligation_status", "email": "adviseur@example.nl"}]}}


class SubscriptionOut(BaseModel):
    subscription_id: int
    topic: Topic
    email: str | None
    weeks: int | None
    top_k: int | None
    coach_id: str | None
    created_at: Timestamp


class Notification(BaseModel):
    notification_id: int
    subscription_id: int
    topic: Topic
    subject: str
    body: str
    link: str = Field(description="where to see it in Koppelaar")
    created_at: Timestamp
    sent_at: Timestamp | None = Field(description="when it was e-mailed; null: not (yet) e-mailed")


def _own(principal: Principal) -> str:
    if principal.key_id is None:
        raise ApiProblem(403, "subscriptions belong to a key or an account")
    return principal.key_id


def _out(sub: store_notes.Subscription) -> dict[str, Any]:
    return {name: getattr(sub, name) for name in SubscriptionOut.model_fields}


@router.get("/subscriptions", response_model=list[SubscriptionOut], summary="Your subscriptions")
def subscriptions(store: StoreDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [_out(s) for s in store_notes.of_key(conn, _own(principal))]


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionOut,
    summary="Subscribe to a topic",
    description="Which role may take which topic: `obligation_*` an adviseur, `vacancy_match` a coach, "
    "`import_result` a werkgeversservice (an admin any); another role gets 403. Events of your region only.",
)
def subscribe(body: NewSubscription, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    key_id = _own(principal)
    try:
        weeks, top_k, coach_id = check_subscription(
            principal.role.value, body.topic, weeks=body.weeks, top_k=body.top_k, coach_id=body.coach_id
        )
    except SubscriptionError as exc:
        status = 422 if body.topic == "vacancy_match" and principal.role.value in ("coach", "admin") else 403
        raise ApiProblem(status, str(exc)) from None
    with store.begin() as conn:
        made = store_notes.subscribe(
            conn, key_id=key_id, topic=body.topic, email=body.email, weeks=weeks, top_k=top_k, coach_id=coach_id
        )
        return next(_out(s) for s in store_notes.of_key(conn, key_id) if s.subscription_id == made)


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    response_class=Response,
    summary="Unsubscribe (its notifications go too)",
)
def unsubscribe(
    subscription_id: Annotated[int, Path(ge=1, le=2**31 - 1)], store: StoreDep, principal: PrincipalDep
) -> Response:
    with store.begin() as conn:
        if not store_notes.unsubscribe(conn, _own(principal), subscription_id):
            raise ApiProblem(404, f"you have no subscription {subscription_id}")
    return Response(status_code=204)


@router.get("/notifications", response_model=Page[Notification], summary="Your notifications, newest first")
def notifications(
    request: Request, store: StoreDep, principal: PrincipalDep, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    with store.begin() as conn:
        items, total = store_notes.feed(conn, _own(principal), offset, limit)
        named = sorted({c for item in items for c in named_candidates(item["body"])})
        if named:  # a coach's matches name candidates by their pseudonymous ids: who read them is logged
            audit(conn, principal, "read notifications", str(request.url.path), named)
    return page(items, total, offset, limit)


__all__ = ["Notification", "SubscriptionOut", "router"]

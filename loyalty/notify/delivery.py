"""Delivering the outbox: claim due notifications, plan, render, send, record each outcome.

One pass (:func:`run`) repeats until nothing is due:

1. **Claim** up to ``claim_size`` due ``notification`` rows with ``FOR UPDATE SKIP LOCKED``
   and push their ``next_attempt_at`` out by a lease, in one statement. Concurrent workers
   never claim the same row; a worker that dies leaves rows that come due again when the
   lease ends.
2. **Plan** (first claim only): one ``delivery`` row per device (push), per mailbox
   (email) and per phone number (sms, for the events ``loyalty.sms.planning`` names), or a
   ``skipped`` row saying why not (no consent, no device, no email, quiet hours). The
   unique key (notification, channel, target) makes planning twice plan once.
3. **Send** each provider's due rows through a few lanes (16 for push, 1 for SMTP), one
   message at a time per lane: the row moves to ``sending`` (committed: the intent) just
   before its message leaves, and only rows this worker moved are sent.
4. **Record** each result as soon as the provider answers, before the lane takes the next:
   ``sent``, ``failed`` (the provider's reason), ``pruned`` (the device row is deleted),
   ``skipped`` (no provider configured) or ``retry`` (due again after Retry-After, or
   exponential backoff with jitter for 5xx and timeouts; ``failed`` after ``max_attempts``).
   A notification is ``done`` when no row is left to send; otherwise it is due again when
   its earliest retry is. Marks and outcomes of concurrent lanes share one statement.

**A worker that dies loses nothing and misrecords nothing beyond its lanes.** Only the
messages truly in flight at the moment of death (at most one per lane) are left ``sending``;
everything answered is recorded, everything not started is still ``queued``. The next claim
re-sends the in-flight ones of :data:`RESENT_WHEN_INTERRUPTED` channels under the same
collapse id (push) or Message-ID (email), so a copy that did arrive is replaced or recognised,
and records those of other channels ``failed: interrupted`` (never sent twice). If the old
worker was only slow, its real result still overwrites ``interrupted`` when it arrives.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from loyalty import db, program
from loyalty.notify import devices, templates
from loyalty.sms import planning as sms_planning
from loyalty.validity import dates
from push.content import (
    DeliveryResult,
    EmailMessage,
    EmailSender,
    PushMessage,
    PushSender,
    SmsMessage,
    SmsSender,
    failed,
    skipped,
)
from schemas.program import QuietHours

log = logging.getLogger("loyalty.notify")

MARKETING_EVENTS = frozenset({"balance_summary", "birthday"})
"""Events that need the member's marketing consent (``newsletter``) on both channels."""
INTERRUPTED = "interrupted"
OPEN_STATUSES = ("queued", "sending", "retry")
RESENT_WHEN_INTERRUPTED = frozenset({"push", "email"})
"""Channels whose message in flight when a worker died is sent again: a push carries its
notification's collapse id (the phone replaces the first, shows one), an email its delivery's
own Message-ID (``<d<id>.n<notification>@domain>``). A channel not listed (one whose copies
cannot be told apart, such as SMS) records it ``failed: interrupted`` instead."""
T = TypeVar("T")
R = TypeVar("R")
SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class ProviderSenders:
    """One sender per provider; a missing provider is a stand-in answering ``skipped``."""

    fcm: PushSender
    apns: PushSender
    smtp: EmailSender
    twilio: SmsSender = field(default_factory=lambda: _NoSms())

    def by_provider(self, provider: str) -> PushSender | EmailSender | SmsSender:
        if provider == "twilio":
            return self.twilio
        return self.smtp if provider == "smtp" else self.push(provider)

    def push(self, provider: str) -> PushSender:
        return self.apns if provider == "apns" else self.fcm

    async def close(self) -> None:
        await asyncio.gather(
            self.fcm.close(), self.apns.close(), self.smtp.close(), self.twilio.close()
        )


class _NoSms:
    """The SMS sender of a process built without one: every text ``skipped``."""

    async def send(self, batch: list[SmsMessage]) -> list[DeliveryResult]:
        return [skipped(m.to, "twilio_not_configured") for m in batch]

    async def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True, slots=True)
class Policy:
    """The knobs of delivery (defaults are production values; tests shrink some)."""

    claim_size: int = 500
    lanes: int = 16
    """Messages in flight at once per provider (FCM and APNs multiplex over HTTP/2)."""
    provider_lanes: Mapping[str, int] = field(default_factory=lambda: {"smtp": 1})
    """Providers that take fewer: SMTP sends one message at a time on its one connection."""
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 6
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    quiet_hours: QuietHours | None = field(default_factory=QuietHours)
    """The program's (``ProgramRules.quiet_hours``), set at the start of each pass."""
    program_zone: str = "Europe/Oslo"
    budget_s: float = 50.0
    requeue_s: float = 30.0

    def lanes_for(self, provider: str) -> int:
        return max(1, self.provider_lanes.get(provider, self.lanes))


@dataclass(slots=True)
class ClaimedNotification:
    """A claimed notification."""

    id: int
    member: int | None
    event: str
    data: dict[str, Any]


@dataclass(slots=True)
class Planned:
    """A delivery row to insert."""

    notification: int
    member: int | None
    channel: str
    target: str
    status: str
    provider: str | None = None
    platform: str | None = None
    device: int | None = None
    locale: str | None = None
    reason: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(slots=True)
class DueDelivery:
    """A delivery row to send now."""

    id: int
    notification: int
    channel: str
    provider: str
    platform: str | None
    target: str
    locale: str
    attempts: int


@dataclass(slots=True)
class Batch:
    """What a claimed batch needs to render: its notifications, members and copy."""

    notes: dict[int, ClaimedNotification]
    members: dict[int, dict[str, Any]]
    copy: templates.CustomCopy
    now: datetime
    deep_link: str
    rendered: dict[tuple[int, str, str], templates.Rendered] = field(default_factory=dict)


# -- the pass ----------------------------------------------------------------------------------


async def run(
    senders: ProviderSenders, *, now: datetime, deep_link: str, policy: Policy | None = None
) -> dict[str, int]:
    """Deliver everything due at ``now``; returns counts of outcomes for the log."""
    rules = await program.get_rules()
    policy = replace(policy or Policy(), quiet_hours=rules.quiet_hours, program_zone=rules.timezone)
    totals: Counter[str] = Counter()
    started = time.monotonic()
    while time.monotonic() - started < policy.budget_s:
        notes = await claim(now, policy)
        if not notes:
            break
        totals["notifications"] += len(notes)
        totals.update(await process(notes, senders, now=now, deep_link=deep_link, policy=policy))
    return dict(totals)


async def claim(now: datetime, policy: Policy) -> list[ClaimedNotification]:
    """Lease up to ``claim_size`` due notifications to this worker (see the module doc)."""
    rows = await db.fetch(
        """UPDATE notification n SET next_attempt_at = $2, attempts = n.attempts + 1
           WHERE n.id IN (SELECT id FROM notification
                          WHERE status = 'pending' AND next_attempt_at <= $1
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING n.id, n.member, n.event, n.data::text AS data""",
        now,
        now + policy.lease,
        policy.claim_size,
    )
    return [
        ClaimedNotification(r["id"], r["member"], r["event"], db.loads(r["data"]) or {})
        for r in rows
    ]


async def process(
    notes: list[ClaimedNotification],
    senders: ProviderSenders,
    *,
    now: datetime,
    deep_link: str,
    policy: Policy,
) -> Counter[str]:
    """One claimed batch: plan what is new, send what is due, settle each notification."""
    ids = [n.id for n in notes]
    members = await _members({n.member for n in notes if n.member is not None})
    await _mark_interrupted(ids, now, policy)
    stale = await _superseded(ids)
    await _withdraw(stale, now)
    await plan(notes, members, now=now, policy=policy, withdrawn=stale)
    due = await _due(ids, now)
    batch = Batch(
        notes={n.id: n for n in notes},
        members=members,
        copy=await templates.load_custom(),
        now=now,
        deep_link=deep_link,
    )
    by_provider: dict[str, list[DueDelivery]] = {}
    for row in due:
        by_provider.setdefault(row.provider, []).append(row)
    counts: Counter[str] = Counter()
    results = await asyncio.gather(
        *(_send_all(rows, senders.by_provider(p), batch, policy) for p, rows in by_provider.items())
    )
    for found in results:
        counts.update(found)
    await _finish(ids, now, policy)
    return counts


# -- planning ----------------------------------------------------------------------------------


async def plan(
    notes: list[ClaimedNotification],
    members: dict[int, dict[str, Any]],
    *,
    now: datetime,
    policy: Policy,
    withdrawn: frozenset[int] = frozenset(),
) -> int:
    """Insert the delivery rows of notifications not planned yet (``withdrawn`` ones get
    ``skipped: superseded`` rows); returns how many."""
    ids = [n.id for n in notes]
    planned = {
        r["notification"]
        for r in await db.fetch(
            "SELECT DISTINCT notification FROM delivery WHERE notification = ANY($1::bigint[])", ids
        )
    }
    todo = [n for n in notes if n.id not in planned]
    if not todo:
        return 0
    phones = await _devices({n.member for n in todo if n.member is not None})
    staff = await _admin_emails() if any(n.member is None for n in todo) else []
    rows = [
        row
        for n in todo
        for row in (
            _withdrawn_rows(n, members.get(n.member or 0))
            if n.id in withdrawn
            else plan_one(
                n,
                members.get(n.member or 0),
                phones.get(n.member or 0, []),
                staff=staff,
                now=now,
                policy=policy,
            )
        )
    ]
    await _insert(rows, now)
    return len(rows)


def _withdrawn_rows(note: ClaimedNotification, member: dict[str, Any] | None) -> list[Planned]:
    """``skipped: superseded`` rows of a withdrawn notification: push and email, and SMS only
    when the event would have gone to this member by text (no phone, no SMS row)."""
    sms = sms_planning.channels(note.event, member) if member is not None else ()
    return [
        Planned(note.id, note.member, c, "", "skipped", reason=SUPERSEDED)
        for c in ("push", "email", *sms)
    ]


def plan_one(
    note: ClaimedNotification,
    member: dict[str, Any] | None,
    phones: list[dict[str, Any]],
    *,
    staff: list[str],
    now: datetime,
    policy: Policy,
) -> list[Planned]:
    """The deliveries one notification calls for, as a pure function of what we know."""
    if member is None:
        return _plan_staff(note, staff)
    skip = Planned(note.id, member["id"], "", "", "skipped")
    if note.event in MARKETING_EVENTS and not member["newsletter"]:
        return [
            replace(skip, channel=c, reason="no_consent")
            for c in ("push", "email", *sms_planning.channels(note.event, member))
        ]
    rows = sms_planning.plan(
        note.id,
        note.event,
        member,
        quiet_hours_end(member.get("timezone"), now, policy),
        marketing=note.event in MARKETING_EVENTS,
    )
    if note.event in sms_planning.SMS_ONLY:
        return rows
    rows += _plan_push(note, member, phones, now, policy)
    if member["email"]:
        rows.append(
            Planned(
                note.id,
                member["id"],
                "email",
                member["email"].strip(),
                "queued",
                provider="smtp",
                locale=member["locale"],
            )
        )
    else:
        rows.append(replace(skip, channel="email", reason="no_email"))
    return rows


def _plan_push(
    note: ClaimedNotification,
    member: dict[str, Any],
    phones: list[dict[str, Any]],
    now: datetime,
    policy: Policy,
) -> list[Planned]:
    if not phones:
        return [Planned(note.id, member["id"], "push", "", "skipped", reason="no_device")]
    quiet_until = quiet_hours_end(member.get("timezone"), now, policy)
    rows = []
    for phone in phones:
        row = Planned(
            note.id,
            member["id"],
            "push",
            phone["token"],
            "queued",
            provider=phone["provider"],
            platform=phone["platform"],
            device=phone["id"],
            locale=phone["locale"] or member["locale"],
        )
        if quiet_until is not None and note.event in MARKETING_EVENTS:
            row.status, row.reason = "skipped", "quiet_hours"
        elif quiet_until is not None:
            row.status, row.reason, row.next_attempt_at = "retry", "quiet_hours", quiet_until
        rows.append(row)
    return rows


def _plan_staff(note: ClaimedNotification, staff: list[str]) -> list[Planned]:
    """Member-less notifications (admin alerts) go by email to ``data.to`` or to the admins."""
    to = note.data.get("to") or staff
    addresses = [to] if isinstance(to, str) else [str(a) for a in to]
    rows = [Planned(note.id, None, "push", "", "skipped", reason="no_device")]
    if not addresses:
        return [*rows, Planned(note.id, None, "email", "", "skipped", reason="no_email")]
    locale = str(note.data.get("locale") or templates.DEFAULT_LOCALE)
    return rows + [
        Planned(note.id, None, "email", a, "queued", provider="smtp", locale=locale)
        for a in dict.fromkeys(addresses)
    ]


def quiet_hours_end(timezone: str | None, now: datetime, policy: Policy) -> datetime | None:
    """When the quiet hours end, if they are on now where the member is (their zone, else
    the program's); ``None`` when pushes may go out now."""
    quiet = policy.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(dates.zone(timezone, policy.program_zone))
    start, end = _minute_of_day(quiet.start), _minute_of_day(quiet.end)
    minute = local.hour * 60 + local.minute
    inside = (minute >= start or minute < end) if start > end else start <= minute < end
    if not inside:
        return None
    morning = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning.astimezone(now.tzinfo)


def _minute_of_day(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


async def _insert(rows: list[Planned], now: datetime) -> None:
    if not rows:
        return
    await db.execute(
        """INSERT INTO delivery (notification, member, channel, provider, platform, target,
               device, locale, status, reason, next_attempt_at, attempts, created_at, updated_at)
           SELECT r.*, 0, $12, $12 FROM unnest($1::bigint[], $2::bigint[], $3::text[],
               $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[],
               $10::text[], $11::timestamptz[]) AS r
           ON CONFLICT (notification, channel, target) DO NOTHING""",
        [r.notification for r in rows],
        [r.member for r in rows],
        [r.channel for r in rows],
        [r.provider for r in rows],
        [r.platform for r in rows],
        [r.target for r in rows],
        [r.device for r in rows],
        [r.locale for r in rows],
        [r.status for r in rows],
        [r.reason for r in rows],
        [r.next_attempt_at for r in rows],
        now,
    )


async def _members(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = await db.fetch(
        """SELECT id, customer_id, name, email, locale, timezone, newsletter, available, pending,
                  lifetime, spent, expired, points_expire_at, phone, sms_opt_in, sms_block
           FROM member WHERE id = ANY($1::bigint[])""",
        list(ids),
    )
    return {r["id"]: dict(r) for r in rows}


async def _devices(member_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await db.fetch(
        """SELECT id, member, token, platform, provider, locale FROM device
           WHERE member = ANY($1::bigint[]) ORDER BY id""",
        list(member_ids),
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["member"], []).append(dict(r))
    return found


async def _admin_emails() -> list[str]:
    rows = await db.fetch(
        "SELECT email FROM staff_user WHERE role = 'admin' AND active ORDER BY email"
    )
    return [r["email"] for r in rows]


async def _superseded(ids: list[int]) -> frozenset[int]:
    """Expiry reminders whose date the member no longer faces (a later order moved the
    rolling date, or the lots of that date are spent): withdrawn rather than naming a date
    that is no longer true."""
    rows = await db.fetch(
        """SELECT n.id FROM notification n JOIN member m ON m.id = n.member
           WHERE n.id = ANY($1::bigint[]) AND n.event = 'points_expiring'
             AND m.points_expire_at IS DISTINCT FROM (n.data->>'expires_at')::timestamptz
             AND NOT EXISTS (
                 SELECT 1 FROM point_lot l WHERE l.member = m.id AND l.remaining > 0
                   AND l.expires_at = (n.data->>'expires_at')::timestamptz)""",
        ids,
    )
    return frozenset(r["id"] for r in rows)


async def _withdraw(ids: frozenset[int], now: datetime) -> None:
    """Rows of withdrawn notifications still waiting (quiet hours, retries) are not sent."""
    if ids:
        await db.execute(
            """UPDATE delivery SET status = 'skipped', reason = $3, updated_at = $2
               WHERE notification = ANY($1::bigint[]) AND status IN ('queued', 'retry')""",
            sorted(ids),
            now,
            SUPERSEDED,
        )


# -- sending -----------------------------------------------------------------------------------


async def _mark_interrupted(ids: list[int], now: datetime, policy: Policy) -> None:
    """Rows left ``sending`` by a worker that died (at most one per lane): maybe sent. Those
    of :data:`RESENT_WHEN_INTERRUPTED` go out again now, under the same collapse id or
    Message-ID, while attempts remain; the rest are recorded ``failed: interrupted``."""
    status = await db.execute(
        """UPDATE delivery SET updated_at = $2, reason = $3,
               status = CASE WHEN channel = ANY($4::text[]) AND attempts < $5
                             THEN 'retry' ELSE 'failed' END,
               next_attempt_at = CASE WHEN channel = ANY($4::text[]) AND attempts < $5
                                      THEN $2::timestamptz ELSE next_attempt_at END
           WHERE notification = ANY($1::bigint[]) AND status = 'sending'""",
        ids,
        now,
        INTERRUPTED,
        sorted(RESENT_WHEN_INTERRUPTED),
        policy.max_attempts,
    )
    if status != "UPDATE 0":
        log.warning("%s deliveries were in flight when a worker stopped", status[7:])


async def _due(ids: list[int], now: datetime) -> list[DueDelivery]:
    rows = await db.fetch(
        """SELECT id, notification, channel, provider, platform, target, locale, attempts
           FROM delivery WHERE notification = ANY($1::bigint[])
             AND (status = 'queued' OR (status = 'retry' AND next_attempt_at <= $2))
           ORDER BY notification, id""",
        ids,
        now,
    )
    return [
        DueDelivery(
            r["id"],
            r["notification"],
            r["channel"],
            r["provider"],
            r["platform"],
            r["target"],
            r["locale"] or templates.DEFAULT_LOCALE,
            r["attempts"],
        )
        for r in rows
    ]


async def _send_all(
    rows: list[DueDelivery],
    sender: PushSender | EmailSender | SmsSender,
    batch: Batch,
    policy: Policy,
) -> Counter[str]:
    """Send one provider's rows through ``policy.lanes_for`` lanes, one message at a time each.

    A lane marks its message ``sending`` (committed) just before it leaves and records its
    outcome as soon as the provider answers, before taking the next: a worker killed now
    leaves ``sending`` only the messages truly in flight, at most one per lane. Marks and
    outcomes of concurrent lanes are written together (:class:`GroupWrite`), so the per-message
    bookkeeping costs about one statement per round of lanes, not one per message.
    """
    counts: Counter[str] = Counter()
    ready, broken = _build_all(rows, batch)

    async def write_outcomes(outcomes: list[tuple[DueDelivery, DeliveryResult]]) -> list[None]:
        counts.update(await record(outcomes, now=batch.now, policy=policy))
        return [None] * len(outcomes)

    async def write_marks(ids: list[int]) -> list[bool]:
        owned = await _mark_sending(ids, batch.now)
        return [i in owned for i in ids]

    marks, outcomes = GroupWrite(write_marks), GroupWrite(write_outcomes)
    if broken:
        await _mark_sending([row.id for row, _ in broken], batch.now)
        await write_outcomes(broken)
    queue = iter(ready)

    async def lane() -> None:
        for row, msg in queue:
            if await marks.submit(row.id):
                [result] = await _send(sender, [(row, msg)])
                await outcomes.submit((row, result))

    width = min(policy.lanes_for(rows[0].provider), len(ready)) if rows else 0
    await asyncio.gather(*(lane() for _ in range(width)))
    return counts


def _build_all(
    rows: list[DueDelivery], batch: Batch
) -> tuple[
    list[tuple[DueDelivery, PushMessage | EmailMessage | SmsMessage]],
    list[tuple[DueDelivery, DeliveryResult]],
]:
    """Render every row; bad copy fails its own row and never blocks the rest."""
    ready: list[tuple[DueDelivery, PushMessage | EmailMessage | SmsMessage]] = []
    broken: list[tuple[DueDelivery, DeliveryResult]] = []
    for row in rows:
        try:
            ready.append((row, build_message(row, batch)))
        except Exception as exc:
            broken.append((row, failed(row.target, f"template_error: {exc}")))
    return ready, broken


class GroupWrite(Generic[T, R]):
    """Items submitted one by one, written together: each caller waits until the write that
    holds its item has committed (group commit). The first caller to find no write running
    does the writing, for everyone who queues up meanwhile."""

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._write = write
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._busy = False

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._busy:
            self._busy = True
            try:
                await self._drain()
            finally:
                self._busy = False
                self._fail_pending(RuntimeError("group write abandoned"))
        return await future

    async def _drain(self) -> None:
        while self._pending:
            taken, self._pending = self._pending, []
            try:
                results = await self._write([item for item, _ in taken])
            except BaseException as exc:
                self._pending = taken + self._pending
                self._fail_pending(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                raise
            for (_, future), result in zip(taken, results, strict=True):
                future.set_result(result)

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, []
        for _, future in pending:
            if not future.done():
                future.set_exception(exc)


async def _send(
    sender: PushSender | EmailSender | SmsSender,
    ready: Sequence[tuple[DueDelivery, PushMessage | EmailMessage | SmsMessage]],
) -> list[DeliveryResult]:
    if not ready:
        return []
    messages = [msg for _, msg in ready]
    try:
        results = list(await sender.send(messages))  # type: ignore[arg-type]
    except Exception as exc:  # outcome unknown: do not resend
        log.exception("sender %s failed on a batch of %d", type(sender).__name__, len(messages))
        results = []
        reason = f"sender_error: {type(exc).__name__}"
    else:
        reason = "sender_error: no result"
    if len(results) != len(ready):
        results = [*results[: len(ready)]]
        results += [
            DeliveryResult(key=row.target, outcome="failed", reason=reason)
            for row, _ in ready[len(results) :]
        ]
    return results


async def _mark_sending(ids: list[int], now: datetime) -> set[int]:
    """Record the intent to send; returns the rows this worker now owns."""
    if not ids:
        return set()
    rows = await db.fetch(
        """UPDATE delivery SET status = 'sending', attempts = attempts + 1, updated_at = $2
           WHERE id = ANY($1::bigint[])
             AND (status = 'queued' OR (status = 'retry' AND next_attempt_at <= $2))
           RETURNING id""",
        ids,
        now,
    )
    return {r["id"] for r in rows}


def build_message(row: DueDelivery, batch: Batch) -> PushMessage | EmailMessage | SmsMessage:
    """The push, email or text for one delivery row, in the row's language."""
    note = batch.notes[row.notification]
    rendered = _rendered(row, note, batch)
    if row.channel == "sms":
        return SmsMessage(to=row.target, body=rendered.body)
    if row.channel == "email":
        assert rendered.html is not None
        return EmailMessage(
            to=row.target,
            subject=rendered.title,
            text=rendered.body,
            html=rendered.html,
            message_id=f"d{row.id}.n{note.id}",
        )
    data = {"event": note.event, "notification_id": str(note.id)}
    if note.data.get("coupon_id") is not None:
        data["coupon_id"] = str(note.data["coupon_id"])
    return PushMessage(
        token=row.target,
        platform=row.platform or ("ios" if row.provider == "apns" else "android"),  # type: ignore[arg-type]
        provider=row.provider,  # type: ignore[arg-type]
        title=rendered.title,
        body=rendered.body,
        deep_link=deep_link_for(batch.deep_link, note.data),
        data=data,
        collapse_key=f"n{note.id}",
    )


def _rendered(row: DueDelivery, note: ClaimedNotification, batch: Batch) -> templates.Rendered:
    key = (note.id, row.channel, row.locale)
    found = batch.rendered.get(key)
    if found is None:
        locale, copy = templates.resolve(note.event, row.channel, row.locale, batch.copy)
        member = batch.members.get(note.member) if note.member is not None else None
        values = templates.placeholder_values(
            note.event,
            member=member,
            data=note.data,
            locale=locale,
            now=batch.now,
            deep_link=deep_link_for(batch.deep_link, note.data),
        )
        found = batch.rendered[key] = templates.render(copy, row.channel, values, locale)
    return found


def deep_link_for(base: str, data: dict[str, Any]) -> str:
    """The shop's deep link, plus ``coupon_id`` when the event is about one coupon."""
    coupon_id = data.get("coupon_id")
    if coupon_id is None:
        return base
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}coupon_id={quote(str(coupon_id), safe='')}"


# -- recording ---------------------------------------------------------------------------------


async def record(
    outcomes: Sequence[tuple[DueDelivery, DeliveryResult]], *, now: datetime, policy: Policy
) -> Counter[str]:
    """Write every outcome (and prune dead tokens) in one transaction."""
    counts: Counter[str] = Counter()
    ids, statuses, reasons, retry_at, provider_ids = [], [], [], [], []
    dead: list[str] = []
    refused: list[tuple[str, str]] = []
    for row, result in outcomes:
        status, reason, when = decide(row, result, now, policy)
        counts[status] += 1
        ids.append(row.id)
        statuses.append(status)
        reasons.append(reason)
        retry_at.append(when)
        provider_ids.append(result.provider_id)
        if status == "pruned":
            dead.append(row.target)
        if row.channel == "sms" and result.outcome == "pruned":
            refused.append((row.target, result.reason))
    if not ids:
        return counts
    async with db.transaction():
        await db.execute(
            """UPDATE delivery d SET status = r.status, reason = r.reason,
                   next_attempt_at = r.next_at, provider_id = r.pid, updated_at = $6,
                   sent_at = CASE WHEN r.status = 'sent' THEN $6::timestamptz ELSE d.sent_at END
               FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
                    AS r(id, status, reason, next_at, pid)
               WHERE d.id = r.id
                 AND (d.status = 'sending' OR (d.status = 'failed' AND d.reason = $7))""",
            ids,
            statuses,
            reasons,
            retry_at,
            provider_ids,
            now,
            INTERRUPTED,
        )
        await devices.prune(dead)
        await sms_planning.mark_refused(refused, now=now)
    return counts


def decide(
    row: DueDelivery,
    result: DeliveryResult,
    now: datetime,
    policy: Policy,
    rng: random.Random | None = None,
) -> tuple[str, str | None, datetime | None]:
    """Status, reason and next attempt for one provider answer."""
    if result.outcome == "pruned" and row.channel == "email":
        return "failed", f"recipient_refused: {result.reason}", None
    if result.outcome == "pruned" and row.channel == "sms":
        return "failed", f"number_refused: {result.reason}", None
    if result.outcome != "retry":
        return result.outcome, result.reason or None, None
    attempt = row.attempts + 1  # ``row`` was read before this attempt was counted
    if attempt >= policy.max_attempts:
        return "failed", f"gave_up after {attempt} attempts: {result.reason}", None
    return (
        "retry",
        result.reason or None,
        now + timedelta(seconds=retry_delay(result.retry_after_s, attempt, policy, rng)),
    )


def retry_delay(
    retry_after_s: float | None, attempts: int, policy: Policy, rng: random.Random | None = None
) -> float:
    """Retry-After when the provider gave one; else exponential backoff with full jitter
    over the upper half (so retries spread out but never come back at once)."""
    if retry_after_s is not None:
        return max(retry_after_s, 1.0)
    ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** max(attempts - 1, 0))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


async def _finish(ids: list[int], now: datetime, policy: Policy) -> None:
    """``done`` when nothing is left to send, else due again at the earliest retry."""
    await db.execute(
        """WITH s AS (
               SELECT notification, bool_or(status = ANY($4::text[])) AS open,
                      min(next_attempt_at) FILTER (WHERE status = 'retry') AS next_retry
               FROM delivery WHERE notification = ANY($1::bigint[]) GROUP BY notification)
           UPDATE notification n SET
               status = CASE WHEN s.open THEN 'pending' ELSE 'done' END,
               next_attempt_at = CASE WHEN s.open THEN coalesce(s.next_retry, $3::timestamptz)
                                      ELSE n.next_attempt_at END,
               processed_at = CASE WHEN s.open THEN NULL ELSE $2::timestamptz END
           FROM s WHERE n.id = s.notification""",
        ids,
        now,
        now + timedelta(seconds=policy.requeue_s),
        list(OPEN_STATUSES),
    )

"""Deals and their orders: what each bot has traded, durable enough to resume after a crash.

A deal order is written ``pending`` (with its client order id) *before* the gateway is asked to
place it, so after a crash every order that may exist on the exchange has a row to reconcile by
client order id. ``(deal_id, step)`` and ``(bot_id, client_order_id)`` are unique: one step names
one order for good.

Tables live here (not in ``tables.py``) because only this module uses them; migration
``0003_bots`` creates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tradebind.domain.credentials import Bot, BotState
from tradebind.store.bots import _bot
from tradebind.store.engine import Store
from tradebind.store.errors import Conflict, NotFound
from tradebind.store.owners import new_id
from tradebind.store.scope import OwnerScoped
from tradebind.store.tables import ID, Base, BotRow, UtcDateTime, utcnow
from tradebind.store.types import AMOUNT

__all__ = ["DealOrderRecord", "DealOrderRow", "DealRecord", "DealRepository", "DealRow", "bots_in_state"]


class DealRow(Base):
    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("bot_id", "seq"), Index("ix_deals_bot_status", "bot_id", "status"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    bot_id: Mapped[str] = mapped_column(ID, ForeignKey("bots.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    close_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class DealOrderRow(Base):
    __tablename__ = "deal_orders"
    __table_args__ = (UniqueConstraint("deal_id", "step"), UniqueConstraint("bot_id", "client_order_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, index=True)
    bot_id: Mapped[str] = mapped_column(ID)
    deal_id: Mapped[str] = mapped_column(ID, ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    client_order_id: Mapped[str] = mapped_column(String(64))
    exchange_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    price: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    reduce_only: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))  # pending | open | filled | canceled | rejected
    filled: Mapped[Decimal] = mapped_column(AMOUNT)
    average_price: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    fee_quote: Mapped[Decimal] = mapped_column(AMOUNT)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True, slots=True)
class DealOrderRecord:
    step: str
    client_order_id: str
    exchange_order_id: str | None
    symbol: str
    side: str
    kind: str
    amount: Decimal
    price: Decimal | None
    reduce_only: bool
    state: str
    filled: Decimal
    average_price: Decimal | None
    fee_quote: Decimal
    note: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DealRecord:
    id: str
    bot_id: str
    seq: int
    symbol: str
    status: str
    close_reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    orders: tuple[DealOrderRecord, ...]


def _order(row: DealOrderRow) -> DealOrderRecord:
    return DealOrderRecord(
        step=row.step,
        client_order_id=row.client_order_id,
        exchange_order_id=row.exchange_order_id,
        symbol=row.symbol,
        side=row.side,
        kind=row.kind,
        amount=row.amount,
        price=row.price,
        reduce_only=row.reduce_only,
        state=row.state,
        filled=row.filled,
        average_price=row.average_price,
        fee_quote=row.fee_quote,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _deal(row: DealRow, orders: list[DealOrderRow]) -> DealRecord:
    return DealRecord(
        id=row.id,
        bot_id=row.bot_id,
        seq=row.seq,
        symbol=row.symbol,
        status=row.status,
        close_reason=row.close_reason,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        orders=tuple(_order(o) for o in sorted(orders, key=lambda o: (o.created_at, o.step))),
    )


def bots_in_state(store: Store, state: BotState) -> list[Bot]:
    """Every owner's bots in ``state``: the worker's schedule (the one unscoped read of bots)."""
    with store.read() as session:
        rows = session.scalars(select(BotRow).where(BotRow.state == state.value).order_by(BotRow.id))
        return [_bot(r) for r in rows]


class DealRepository(OwnerScoped):
    """One owner's deals; another owner's id raises :class:`NotFound` like a missing one."""

    def open_deal(self, bot_id: str) -> DealRecord | None:
        """The bot's open deal with its orders, or ``None``."""
        with self._store.read() as session:
            row = session.scalars(
                select(DealRow).where(
                    DealRow.owner_id == self._owner, DealRow.bot_id == bot_id, DealRow.status == "open"
                )
            ).one_or_none()
            return None if row is None else _deal(row, self._orders(session, [row.id])[row.id])

    def get(self, deal_id: str) -> DealRecord:
        with self._store.read() as session:
            row = self._row(session, deal_id)
            return _deal(row, self._orders(session, [row.id])[row.id])

    def deals(self, bot_id: str, *, limit: int = 50) -> list[DealRecord]:
        """The bot's deals, newest first, with their orders."""
        with self._store.read() as session:
            rows = list(
                session.scalars(
                    select(DealRow)
                    .where(DealRow.owner_id == self._owner, DealRow.bot_id == bot_id)
                    .order_by(DealRow.seq.desc())
                    .limit(limit)
                )
            )
            orders = self._orders(session, [r.id for r in rows])
            return [_deal(r, orders[r.id]) for r in rows]

    def orders(self, bot_id: str) -> list[DealOrderRecord]:
        """Every order the bot ever recorded, oldest first (for reconciliation and views)."""
        with self._store.read() as session:
            rows = session.scalars(
                select(DealOrderRow)
                .where(DealOrderRow.owner_id == self._owner, DealOrderRow.bot_id == bot_id)
                .order_by(DealOrderRow.created_at, DealOrderRow.id)
            )
            return [_order(r) for r in rows]

    def start(self, bot_id: str, symbol: str) -> DealRecord:
        """Open the bot's next deal; :class:`Conflict` (field ``bot_id``) if one is open."""
        try:
            with self._store.write() as session:
                bot = session.scalars(
                    select(BotRow).where(BotRow.owner_id == self._owner, BotRow.id == bot_id)
                ).one_or_none()
                if bot is None:
                    raise NotFound("bot not found", field="bot_id")
                open_count = session.scalar(
                    select(func.count()).where(DealRow.bot_id == bot_id, DealRow.status == "open")
                )
                if open_count:
                    raise Conflict("bot_id: the bot already has an open deal", field="bot_id")
                seq = (session.scalar(select(func.max(DealRow.seq)).where(DealRow.bot_id == bot_id)) or 0) + 1
                row = DealRow(
                    id=new_id(),
                    owner_id=self._owner,
                    bot_id=bot_id,
                    seq=seq,
                    symbol=symbol,
                    status="open",
                    opened_at=utcnow(),
                )
                session.add(row)
                session.flush()
                return _deal(row, [])
        except IntegrityError:
            raise Conflict("bot_id: the bot already has an open deal", field="bot_id") from None

    def add_order(
        self,
        deal_id: str,
        *,
        step: str,
        client_order_id: str,
        side: str,
        kind: str,
        amount: Decimal,
        price: Decimal | None,
        reduce_only: bool,
    ) -> DealOrderRecord:
        """Record an order as ``pending`` before it is sent; :class:`Conflict` if the step exists."""
        now = utcnow()
        try:
            with self._store.write() as session:
                deal = self._row(session, deal_id)
                row = DealOrderRow(
                    id=new_id(),
                    owner_id=self._owner,
                    bot_id=deal.bot_id,
                    deal_id=deal_id,
                    step=step,
                    client_order_id=client_order_id,
                    symbol=deal.symbol,
                    side=side,
                    kind=kind,
                    amount=amount,
                    price=price,
                    reduce_only=reduce_only,
                    state="pending",
                    filled=Decimal(0),
                    fee_quote=Decimal(0),
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                return _order(row)
        except IntegrityError:
            raise Conflict(f"step: the deal already has an order {step}", field="step") from None

    def update_order(
        self,
        deal_id: str,
        step: str,
        *,
        state: str,
        filled: Decimal | None = None,
        average_price: Decimal | None = None,
        fee_quote: Decimal | None = None,
        exchange_order_id: str | None = None,
        note: str | None = None,
    ) -> DealOrderRecord:
        """Record what the exchange says of the order (or that it refused it)."""
        with self._store.write() as session:
            row = session.scalars(
                select(DealOrderRow).where(
                    DealOrderRow.owner_id == self._owner, DealOrderRow.deal_id == deal_id, DealOrderRow.step == step
                )
            ).one_or_none()
            if row is None:
                raise NotFound("deal order not found", field="step")
            row.state = state
            if filled is not None:
                row.filled = filled
            if average_price is not None:
                row.average_price = average_price
            if fee_quote is not None:
                row.fee_quote = fee_quote
            if exchange_order_id is not None:
                row.exchange_order_id = exchange_order_id
            if note is not None:
                row.note = note[:200]
            row.updated_at = utcnow()
            return _order(row)

    def close(self, deal_id: str, reason: str) -> DealRecord:
        with self._store.write() as session:
            row = self._row(session, deal_id)
            row.status, row.close_reason, row.closed_at = "closed", reason[:64], utcnow()
            return _deal(row, self._orders(session, [row.id])[row.id])

    def _row(self, session: Session, deal_id: str) -> DealRow:
        return self._owned(session, DealRow, deal_id, "deal", field="deal_id")

    def _orders(self, session: Session, deal_ids: list[str]) -> dict[str, list[DealOrderRow]]:
        found: dict[str, list[DealOrderRow]] = {d: [] for d in deal_ids}
        if deal_ids:
            rows = session.scalars(
                select(DealOrderRow).where(DealOrderRow.owner_id == self._owner, DealOrderRow.deal_id.in_(deal_ids))
            )
            for r in rows:
                found[r.deal_id].append(r)
        return found

"""Bots: a named strategy instance with its parameters (JSON) on one binding; many per binding."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradebind.domain.credentials import Bot, BotState
from tradebind.store.errors import Conflict, Invalid
from tradebind.store.owners import new_id
from tradebind.store.scope import OwnerScoped, check_choice, check_label
from tradebind.store.tables import BindingRow, BotRow, utcnow

__all__ = ["BotRepository"]


def _bot(row: BotRow) -> Bot:
    return Bot(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        binding_id=row.binding_id,
        symbol=row.symbol,
        strategy=row.strategy,
        params=dict(row.params),
        state=BotState(row.state),
        created_at=row.created_at,
    )


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON round-trip copy of ``params``; :class:`Invalid` (field ``params``) if not JSON."""
    try:
        copied: dict[str, Any] = json.loads(json.dumps(dict(params), allow_nan=False))
    except (TypeError, ValueError):
        raise Invalid(
            "params: must be a JSON object of strings, numbers, booleans, lists and objects", field="params"
        ) from None
    return copied


class BotRepository(OwnerScoped):
    """One owner's bots; another owner's id raises :class:`NotFound` like a missing one."""

    def get(self, bot_id: str) -> Bot:
        with self._store.read() as session:
            return _bot(self._row(session, bot_id))

    def all(self, *, binding_id: str | None = None) -> list[Bot]:
        """This owner's bots (on one binding if given), oldest first."""
        query = select(BotRow).where(BotRow.owner_id == self._owner)
        if binding_id is not None:
            query = query.where(BotRow.binding_id == binding_id)
        with self._store.read() as session:
            return [_bot(r) for r in session.scalars(query.order_by(BotRow.created_at, BotRow.id))]

    def add(self, name: str, binding_id: str, symbol: str, strategy: str, params: Mapping[str, Any]) -> Bot:
        """A new bot on ``binding_id``, created ``stopped``."""
        row = BotRow(
            id=new_id(),
            owner_id=self._owner,
            binding_id=binding_id,
            name=check_label(name, "name"),
            symbol=check_label(symbol, "symbol", max_len=64),
            strategy=check_label(strategy, "strategy", max_len=64),
            params=_params(params),
            state=BotState.STOPPED.value,
            created_at=utcnow(),
        )
        with self._store.write() as session:
            self._binding(session, binding_id)
            session.add(row)
            session.flush()
            self._log(session, "bot.add", details={"bot": row.id, "name": row.name, "binding": binding_id})
        return _bot(row)

    def set_state(self, bot_id: str, state: str, *, reason: str | None = None) -> Bot:
        """Start, pause, stop or mark failed. A bot without a binding can only be stopped.

        ``reason`` (e.g. why the runner marked it failed) goes into the activity entry's details.
        """
        chosen = check_choice(BotState, state, "state")
        with self._store.write() as session:
            row = self._row(session, bot_id)
            if row.binding_id is None and chosen is not BotState.STOPPED:
                raise Conflict("state: the bot has no binding; give it one before starting it", field="state")
            previous, row.state = row.state, chosen.value
            details = {"bot": row.id, "from": previous, "to": chosen.value}
            if reason:
                details["reason"] = reason[:500]
            self._log(session, "bot.state", details=details)
            return _bot(row)

    def configure(
        self,
        bot_id: str,
        *,
        name: str | None = None,
        binding_id: str | None = None,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Bot:
        """Change a bot's name, binding, symbol or parameters (the binding only while stopped)."""
        with self._store.write() as session:
            row = self._row(session, bot_id)
            changed: list[str] = []
            if name is not None:
                row.name = check_label(name, "name")
                changed.append("name")
            if binding_id is not None and binding_id != row.binding_id:
                if row.state != BotState.STOPPED.value:
                    raise Conflict("binding_id: stop the bot before moving it to another binding", field="binding_id")
                self._binding(session, binding_id)
                row.binding_id = binding_id
                changed.append("binding")
            if symbol is not None:
                row.symbol = check_label(symbol, "symbol", max_len=64)
                changed.append("symbol")
            if params is not None:
                row.params = _params(params)
                changed.append("params")
            self._log(session, "bot.configure", details={"bot": row.id, "changed": changed})
            return _bot(row)

    def delete(self, bot_id: str) -> None:
        """Delete a stopped bot; :class:`Conflict` (field ``state``) otherwise."""
        with self._store.write() as session:
            row = self._row(session, bot_id)
            if row.state != BotState.STOPPED.value:
                raise Conflict("state: stop the bot before deleting it", field="state")
            session.delete(row)
            self._log(session, "bot.delete", details={"bot": row.id, "name": row.name})

    def _row(self, session: Session, bot_id: str) -> BotRow:
        return self._owned(session, BotRow, bot_id, "bot")

    def _binding(self, session: Session, binding_id: str) -> None:
        self._owned(session, BindingRow, binding_id, "binding", field="binding_id")

"""One simulated exchange: its accounts, keys, instruments, prices, orders and faults.

Every method is synchronous and does not yield, so within the server's single event loop each
call is atomic; no locks are needed. Protocol modules translate wire requests into these calls and
render the results and :class:`~.errors.SandboxError` in their exchange's format.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .accounts import Account, WalletLayout
from .clock import Clock
from .errors import ErrorKind, SandboxError
from .faults import Faults
from .instruments import Catalog, Instrument, Market
from .keys import ApiKey, KeyRing
from .margin import MarginSummary, PositionFigures, summarise
from .orders import Fill, Order, OrderStatus, OrderType, Side
from .permissions import Permission
from .prices import PriceBook

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """What differs between exchanges at the core level; everything else is the protocol's."""

    name: str
    catalog: Catalog
    layout: WalletLayout
    initial_prices: dict[str, Decimal]
    # "open": a client order id may be reused once its order is closed (Binance, OKX);
    # "always": never reused within the account (Bybit).
    client_id_unique: str = "open"
    default_leverage: int = 20
    # Keys created without an IP list and without an explicit expiry expire this long after
    # creation (Bybit: "No ip bound api key will be invalid after 90 days"); None: never.
    unbound_key_lifetime_ms: int | None = None


class Venue:
    """The state of one exchange in the sandbox."""

    def __init__(self, spec: VenueSpec, seed: int = 0) -> None:
        self.spec = spec
        self.name = spec.name
        self.catalog = spec.catalog
        self.layout = spec.layout
        self.clock = Clock()
        self.keys = KeyRing()
        self.faults = Faults(seed)
        ticks: dict[str, Decimal] = {}
        for inst in spec.catalog:
            ticks[inst.pair] = min(ticks.get(inst.pair, inst.tick_size), inst.tick_size)
        self.prices = PriceBook(dict(spec.initial_prices), ticks, seed)
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, Order] = {}
        # Indexes kept in step with ``orders`` so placing and looking up stay O(1) as history grows.
        self._open_by_pair: dict[str, dict[int, Order]] = {}
        self._open_by_account: dict[str, dict[int, Order]] = {}
        self._latest_by_client_id: dict[tuple[str, str], Order] = {}
        self._order_ids = itertools.count(10_000_001)
        self._trade_ids = itertools.count(5_000_001)
        self._uids = itertools.count(100_000_001)

    def restore(self, accounts: Iterable[Account], keys: Iterable[ApiKey], orders: Iterable[Order]) -> None:
        """Take over saved accounts, keys and orders (the ``--state`` file) on a venue fresh from its spec.

        Rebuilds the order indexes and moves the id counters past every saved id, so new orders,
        trades and accounts never reuse one.
        """
        self.accounts = {a.account_id: a for a in accounts}
        for key in keys:
            self.keys.add(key)
        self.orders = {o.order_id: o for o in sorted(orders, key=lambda o: o.order_id)}
        for order in self.orders.values():
            if order.client_order_id:
                self._latest_by_client_id[(order.account_id, order.client_order_id)] = order
            if order.status.is_open:
                pair = self.catalog.get(order.instrument_id).pair
                self._open_by_pair.setdefault(pair, {})[order.order_id] = order
                self._open_by_account.setdefault(order.account_id, {})[order.order_id] = order
        trade_ids = [f.trade_id for o in self.orders.values() for f in o.fills]
        self._order_ids = itertools.count(max(self.orders, default=10_000_000) + 1)
        self._trade_ids = itertools.count(max(trade_ids, default=5_000_000) + 1)
        self._uids = itertools.count(max((a.uid for a in self.accounts.values()), default=100_000_000) + 1)

    # accounts and keys ----------------------------------------------------------------------

    def account(self, account_id: str) -> Account:
        """The account, created on first use (with its parent, for a sub-account)."""
        acct = self.accounts.get(account_id)
        if acct is None:
            if "/" in account_id:
                self.account(account_id.split("/", 1)[0])
            acct = self.accounts[account_id] = Account(account_id, next(self._uids))
        return acct

    def add_key(self, key: ApiKey) -> ApiKey:
        self.account(key.account_id)
        key.created_ms = self.clock.now_ms()
        lifetime = self.spec.unbound_key_lifetime_ms
        if key.expires_at is None and not key.ips and lifetime is not None:
            key.expires_at = datetime.fromtimestamp((key.created_ms + lifetime) / 1000, tz=UTC)
        self.keys.add(key)
        return key

    def authenticate(
        self,
        api_key: str,
        client_ip: str,
        signature_ok: Callable[[ApiKey], bool],
        *,
        passphrase: str | None = None,
        environment: str = "live",
        refuse_frozen: bool = True,
    ) -> tuple[ApiKey, Account]:
        """Find the key and check it in the order exchanges do; raise the first failure.

        ``environment``: the environment the request arrived on ("live" or "demo"); a key of the
        other one fails with ``WRONG_ENVIRONMENT``. ``refuse_frozen``: a correctly signed request
        of a frozen account fails with ``ACCOUNT_FROZEN`` (exchanges that still answer reads of a
        frozen account pass False and refuse trading only, through :attr:`Account.may_trade`).
        """
        key = self.keys.find(api_key)
        if key is None:
            raise SandboxError(ErrorKind.UNKNOWN_KEY)
        if key.environment != environment:
            raise SandboxError(ErrorKind.WRONG_ENVIRONMENT)
        if key.expired(self.clock.now_ms()):
            raise SandboxError(ErrorKind.KEY_EXPIRED)
        if not key.allows_ip(client_ip):
            raise SandboxError(ErrorKind.IP_NOT_ALLOWED, client_ip)
        if not key.passphrase_matches(passphrase):
            raise SandboxError(ErrorKind.BAD_PASSPHRASE)
        if not signature_ok(key):
            raise SandboxError(ErrorKind.BAD_SIGNATURE)
        account = self.account(key.account_id)
        if refuse_frozen and account.frozen:
            raise SandboxError(ErrorKind.ACCOUNT_FROZEN)
        return key, account

    @staticmethod
    def require(key: ApiKey, *permissions: Permission) -> None:
        missing = [p for p in permissions if p not in key.permissions]
        if missing:
            raise SandboxError(ErrorKind.PERMISSION_DENIED, ", ".join(p.value for p in missing))

    # funds ------------------------------------------------------------------------------------

    def check_wallet(self, wallet: str) -> str:
        if wallet not in self.layout.wallets:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"unknown wallet {wallet!r}")
        return wallet

    def deposit(self, account_id: str, wallet: str, asset: str, amount: Decimal) -> None:
        if amount <= 0:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "amount must be positive")
        self.account(account_id).balance(self.check_wallet(wallet), asset).free += amount

    def spendable(self, acct: Account, wallet: str, asset: str) -> Decimal:
        """What can leave ``wallet`` now: free funds, capped by margin where positions use it."""
        free = acct.balance(wallet, asset).free
        if wallet in self.layout.margin_wallets and self._is_settle_asset(asset):
            return max(ZERO, min(free, self.margin(acct, wallet, asset).transferable))
        return max(ZERO, free)

    def transfer(self, account_id: str, asset: str, amount: Decimal, source: str, target: str) -> None:
        self.check_wallet(source)
        self.check_wallet(target)
        if amount <= 0 or source == target:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "amount must be positive between two wallets")
        acct = self.account(account_id)
        if amount > self.spendable(acct, source, asset):
            raise SandboxError(ErrorKind.INSUFFICIENT_BALANCE, f"{asset} in {source}")
        acct.balance(source, asset).free -= amount
        acct.balance(target, asset).free += amount

    def margin(self, acct: Account, wallet: str, asset: str = "USDT") -> MarginSummary:
        """Margin figures of ``asset`` in ``wallet`` with positions valued at current prices."""
        figures = []
        for pos in acct.open_positions():
            inst = self.catalog.get(pos.instrument_id)
            if inst.settle != asset or self.layout.wallet_for(inst.market) != wallet:
                continue
            figures.append(
                PositionFigures(
                    qty=pos.qty,
                    contract_size=inst.contract_size,
                    entry_price=pos.entry_price,
                    mark_price=self.prices.get(inst.pair),
                    leverage=self.leverage(acct, inst),
                )
            )
        order_margin = sum(
            (
                o.reserved
                for o in self.open_orders(acct.account_id)
                if self.catalog.get(o.instrument_id).market is Market.LINEAR and o.reserved_asset == asset
            ),
            ZERO,
        )
        bal = acct.balance(wallet, asset)
        return summarise(asset, bal.total, bal.locked, figures, order_margin)

    def leverage(self, acct: Account, inst: Instrument) -> int:
        return acct.leverage.get(inst.exchange_id, self.spec.default_leverage)

    def set_leverage(self, account_id: str, instrument_id: str, leverage: int) -> int:
        inst = self.catalog.get(instrument_id)
        if inst.market is not Market.LINEAR or not 1 <= leverage <= inst.max_leverage:
            raise SandboxError(ErrorKind.BAD_PARAMETER, f"leverage must be 1..{inst.max_leverage}")
        self.account(account_id).leverage[instrument_id] = leverage
        return leverage

    # orders -----------------------------------------------------------------------------------

    def place_order(
        self,
        account_id: str,
        instrument_id: str,
        side: Side,
        type_: OrderType,
        qty: Decimal,
        price: Decimal | None,
        client_order_id: str,
        *,
        time_in_force: str = "GTC",
        reduce_only: bool = False,
    ) -> Order:
        """Validate, reserve funds, and fill at once if marketable; return the stored order."""
        inst = self.catalog.get(instrument_id)
        acct = self.account(account_id)
        if not acct.may_trade:
            raise SandboxError(ErrorKind.ACCOUNT_RESTRICTED)
        if type_ is OrderType.LIMIT and price is None:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "price is required for limit orders")
        if type_ is OrderType.MARKET:
            price = None
        self._check_client_id(account_id, client_order_id)
        mark = self.prices.get(inst.pair)
        inst.check_order(qty, price, mark)
        now = self.clock.now_ms()
        order = Order(
            order_id=next(self._order_ids),
            client_order_id=client_order_id,
            account_id=account_id,
            instrument_id=instrument_id,
            side=side,
            type=type_,
            qty=qty,
            price=price,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
            created_ms=now,
            updated_ms=now,
        )
        marketable = price is None or (price >= mark if side is Side.BUY else price <= mark)
        fill_price = mark if marketable else price
        assert fill_price is not None
        if inst.market is Market.SPOT:
            self._reserve_spot(acct, inst, order, fill_price if price is None else price)
        else:
            self._reserve_linear(acct, inst, order, fill_price)
        if marketable:
            self._fill(order, inst, fill_price, is_maker=False)
        elif time_in_force in ("IOC", "FOK"):
            self._release(acct, inst, order)
            order.status = OrderStatus.CANCELED
        self.orders[order.order_id] = order
        if client_order_id:
            self._latest_by_client_id[(account_id, client_order_id)] = order
        if order.status.is_open:
            self._open_by_pair.setdefault(inst.pair, {})[order.order_id] = order
            self._open_by_account.setdefault(account_id, {})[order.order_id] = order
        return order

    def cancel_order(
        self, account_id: str, instrument_id: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        order = self.find_order(account_id, instrument_id, order_id, client_order_id)
        if not order.status.is_open:
            raise SandboxError(ErrorKind.CANCEL_REJECTED, "order is not open")
        inst = self.catalog.get(instrument_id)
        self._release(self.account(account_id), inst, order)
        order.status = OrderStatus.CANCELED
        order.updated_ms = self.clock.now_ms()
        self._unlist(order, inst)
        return order

    def find_order(
        self, account_id: str, instrument_id: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """The order by id, or the latest with that client id; ``ORDER_NOT_FOUND`` otherwise."""
        if order_id is not None:
            order = self.orders.get(order_id)
            if order and order.account_id == account_id and order.instrument_id == instrument_id:
                return order
        elif client_order_id is not None:
            latest = self._latest_by_client_id.get((account_id, client_order_id))
            if latest and latest.instrument_id == instrument_id:
                return latest
        else:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "order id or client order id is required")
        raise SandboxError(ErrorKind.ORDER_NOT_FOUND)

    def open_orders(
        self, account_id: str, instrument_id: str | None = None, market: Market | None = None
    ) -> list[Order]:
        return [
            o
            for o in self._open_by_account.get(account_id, {}).values()
            if (instrument_id is None or o.instrument_id == instrument_id)
            and (market is None or self.catalog.get(o.instrument_id).market is market)
        ]

    def orders_of(self, account_id: str | None = None) -> list[Order]:
        return [o for o in self.orders.values() if account_id is None or o.account_id == account_id]

    def fills_of(self, account_id: str, instrument_id: str) -> list[Fill]:
        return [
            f
            for o in self.orders.values()
            if o.account_id == account_id and o.instrument_id == instrument_id
            for f in o.fills
        ]

    # prices and matching -----------------------------------------------------------------------

    def set_price(self, pair: str, price: Decimal) -> None:
        if pair not in self.prices.pairs():
            raise SandboxError(ErrorKind.UNKNOWN_SYMBOL, pair)
        if price <= 0:
            raise SandboxError(ErrorKind.BAD_PARAMETER, "price must be positive")
        self.prices.set(pair, price)
        self._match(pair)

    def tick(self) -> None:
        """One step of the random walk, then fill what the new prices cross."""
        for pair in self.prices.step():
            self._match(pair)

    def _match(self, pair: str) -> None:
        mark = self.prices.get(pair)
        book = self._open_by_pair.get(pair, {})
        for order in list(book.values()):
            assert order.price is not None
            crossed = mark <= order.price if order.side is Side.BUY else mark >= order.price
            if crossed:
                inst = self.catalog.get(order.instrument_id)
                acct = self.account(order.account_id)
                if order.reduce_only and not self._reduces(acct, inst, order):
                    # A reduce-only order whose position is gone (or shrank) can no longer fill.
                    self._release(acct, inst, order)
                    order.status = OrderStatus.CANCELED
                    order.updated_ms = self.clock.now_ms()
                else:
                    self._fill(order, inst, order.price, is_maker=True)
                self._unlist(order, inst)

    # internals -------------------------------------------------------------------------------

    def _is_settle_asset(self, asset: str) -> bool:
        return any(i.settle == asset for i in self.catalog.of(Market.LINEAR))

    def _unlist(self, order: Order, inst: Instrument) -> None:
        self._open_by_pair.get(inst.pair, {}).pop(order.order_id, None)
        self._open_by_account.get(order.account_id, {}).pop(order.order_id, None)

    def _check_client_id(self, account_id: str, client_order_id: str) -> None:
        if not client_order_id:
            return  # no client id given (optional on Bybit and OKX): nothing to be unique
        # Only the latest order with an id matters: "open" venues refuse while it is open, and
        # "always" venues refuse once any order had the id.
        latest = self._latest_by_client_id.get((account_id, client_order_id))
        if latest and (self.spec.client_id_unique == "always" or latest.status.is_open):
            raise SandboxError(ErrorKind.DUPLICATE_CLIENT_ORDER_ID, client_order_id)

    def _reserve_spot(self, acct: Account, inst: Instrument, order: Order, price: Decimal) -> None:
        wallet = self.layout.wallet_for(Market.SPOT)
        asset, amount = (inst.quote, order.qty * price) if order.side is Side.BUY else (inst.base, order.qty)
        if amount > self.spendable(acct, wallet, asset):
            raise SandboxError(ErrorKind.INSUFFICIENT_BALANCE, asset)
        bal = acct.balance(wallet, asset)
        bal.free -= amount
        bal.locked += amount
        order.reserved, order.reserved_asset = amount, asset

    def _reserve_linear(self, acct: Account, inst: Instrument, order: Order, price: Decimal) -> None:
        reduces = self._reduces(acct, inst, order)
        if order.reduce_only and not reduces:
            raise SandboxError(ErrorKind.REDUCE_ONLY_REJECTED)
        wallet = self.layout.wallet_for(Market.LINEAR)
        margin = ZERO if reduces else inst.notional(order.qty, price) / self.leverage(acct, inst)
        fee = inst.notional(order.qty, price) * inst.taker_fee
        if not reduces and margin + fee > self.margin(acct, wallet, inst.settle).available:
            raise SandboxError(ErrorKind.INSUFFICIENT_BALANCE, "margin is insufficient")
        order.reserved, order.reserved_asset = margin, inst.settle

    @staticmethod
    def _reduces(acct: Account, inst: Instrument, order: Order) -> bool:
        """True when filling ``order`` whole only shrinks the current position."""
        pos = acct.position(inst.exchange_id)
        return pos.qty * order.side.sign < 0 and abs(pos.qty) >= order.qty

    def _release(self, acct: Account, inst: Instrument, order: Order) -> None:
        if inst.market is Market.SPOT and order.reserved:
            bal = acct.balance(self.layout.wallet_for(Market.SPOT), order.reserved_asset)
            bal.locked -= order.reserved
            bal.free += order.reserved
        order.reserved = ZERO

    def _fill(self, order: Order, inst: Instrument, price: Decimal, *, is_maker: bool) -> None:
        acct = self.account(order.account_id)
        now = self.clock.now_ms()
        rate = inst.maker_fee if is_maker else inst.taker_fee
        notional = inst.notional(order.qty, price)
        if inst.market is Market.SPOT:
            fee, fee_asset, pnl = self._settle_spot(acct, inst, order, price, notional, rate)
        else:
            fee, fee_asset = notional * rate, inst.settle
            pnl = self._settle_linear(acct, inst, order, price)
            acct.balance(self.layout.wallet_for(Market.LINEAR), inst.settle).free += pnl - fee
        order.reserved = ZERO
        order.fills.append(
            Fill(
                trade_id=next(self._trade_ids),
                order_id=order.order_id,
                instrument_id=inst.exchange_id,
                side=order.side,
                price=price,
                qty=order.qty,
                quote_qty=notional,
                fee=fee,
                fee_asset=fee_asset,
                is_maker=is_maker,
                realised_pnl=pnl,
                time_ms=now,
            )
        )
        order.status = OrderStatus.FILLED
        order.filled_qty = order.qty
        order.avg_price = price
        order.updated_ms = now

    def _settle_spot(
        self, acct: Account, inst: Instrument, order: Order, price: Decimal, notional: Decimal, rate: Decimal
    ) -> tuple[Decimal, str, Decimal]:
        wallet = self.layout.wallet_for(Market.SPOT)
        paid_asset = acct.balance(wallet, order.reserved_asset)
        paid_asset.locked -= order.reserved
        if order.side is Side.BUY:
            paid_asset.free += order.reserved - notional
            fee = order.qty * rate
            acct.balance(wallet, inst.base).free += order.qty - fee
            return fee, inst.base, ZERO
        paid_asset.free += order.reserved - order.qty
        fee = notional * rate
        acct.balance(wallet, inst.quote).free += notional - fee
        return fee, inst.quote, ZERO

    def _settle_linear(self, acct: Account, inst: Instrument, order: Order, price: Decimal) -> Decimal:
        """Net the fill into the position; return the realised PnL."""
        pos = acct.position(inst.exchange_id)
        delta = order.qty * order.side.sign
        pnl = ZERO
        if pos.qty == 0 or (pos.qty > 0) == (delta > 0):
            total = abs(pos.qty) + abs(delta)
            pos.entry_price = (abs(pos.qty) * pos.entry_price + abs(delta) * price) / total
        else:
            closed = min(abs(pos.qty), abs(delta))
            direction = 1 if pos.qty > 0 else -1
            pnl = (price - pos.entry_price) * closed * inst.contract_size * direction
            if abs(delta) > abs(pos.qty):
                pos.entry_price = price
        pos.qty += delta
        if pos.qty == 0:
            pos.entry_price = ZERO
        pos.realised_pnl += pnl
        pos.updated_ms = self.clock.now_ms()
        return pnl

"""Ground truth of a simulator run: every auction, who filled it at what price, maker PnL.

Open auctions live in memory; a finished auction is written as one JSON line to a spool
file (when a report path is set) and kept in a bounded ring for ``Simulator.report()``, so a
day of flow does not grow memory. ``write`` assembles the final JSON document by streaming
the spool back.

Report JSON (integers in protocol precision)::

    {"scenario", "seed", "start_slot", "end_slot", "auctions_total", "auctions_open",
     "auctions_filled", "fills_total", "fills_by_maker": {name: count}, "stats": {...},
     "auctions": [{"taker", "taker_name", "order_id", "market_index", "direction",
                   "order_type", "base", "auction_start_price", "auction_end_price",
                   "auction_duration", "oracle_price_offset", "oracle_at_placement", "slot",
                   "fills": [{"maker", "maker_order_id", "base", "quote", "price", "slot",
                              "taker_fee", "maker_rebate"}],
                   "filled_base", "status": "filled" | "partial" | "unfilled"}],
     "makers": [{"maker", "user", "pnl", "fills",
                 "positions": [{"market_index", "base", "quote", "oracle_price", "pnl"}]}]}

``maker`` names: ``AMM``, ``maker-<competitor>``, ``funded:<authority>/<sub account>`` or
the maker User pubkey. Maker PnL is marked to the oracle: quote + base * oracle / 1e9.
"""

from __future__ import annotations

import json
import os
import struct
from collections import deque
from pathlib import Path
from typing import IO, Any

from solders.pubkey import Pubkey

from jitmaker.accounts.positions import PERP_POSITION_SIZE, PerpPosition
from jitmaker.accounts.user import User
from jitmaker.intmath import div_trunc
from jitmaker.sim.offsets import record_offsets
from jitmaker.sim.world import World, user_pda

__all__ = ["Report"]

BASE_PRECISION = 1_000_000_000
_PERPS_AT = record_offsets(User)["perp_positions"][0]
_POSITION = record_offsets(PerpPosition, 0)
_BASE_QUOTE_AT = _POSITION["base_asset_amount"][0]  # base then quote, both i64
_MARKET_INDEX_AT = _POSITION["market_index"][0]
assert _POSITION["quote_asset_amount"][0] == _BASE_QUOTE_AT + 8


def _enum_name(value: Any) -> Any:
    return value.name if hasattr(value, "name") else value


class Report:
    def __init__(
        self, world: World, *, path: str | Path | None = None, keep: int = 5_000, seed: int = 0
    ) -> None:
        self.world = world
        self.path = Path(path) if path else None
        self.seed = seed
        self.open: dict[tuple[Pubkey, int], dict[str, Any]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self.auctions_total = 0
        self.auctions_filled = 0
        self.fills_total = 0
        self.unmatched_fills = 0
        self.fills_by_maker: dict[str, int] = {}
        self.labels: dict[Pubkey, str] = {}
        for p in world.takers:
            self.labels[p.user] = p.name
        for p in world.competitors:
            self.labels[p.user] = p.name
        self._spool: IO[str] | None = None
        self._spool_path: Path | None = None
        if self.path is not None:
            self._spool_path = self.path.with_name(self.path.name + ".auctions.jsonl")
            self._spool = open(self._spool_path, "w")

    def label(self, user: Pubkey | None) -> str:
        if user is None:
            return "AMM"
        return self.labels.get(user) or str(user)

    def add_funded(self, authority: Pubkey) -> None:
        for sub in range(4):
            self.labels[user_pda(authority, sub)] = f"funded:{authority}/{sub}"

    # -- events ------------------------------------------------------------------------

    def auction_placed(self, order: Any, params: Any, oracle_price: int, slot: int) -> None:
        self.auctions_total += 1
        self.open[(order.taker.user, order.order_id)] = {
            "taker": str(order.taker.user),
            "taker_name": order.taker.name,
            "order_id": order.order_id,
            "market_index": order.market.index,
            "direction": _enum_name(params.direction),
            "order_type": _enum_name(params.order_type),
            "base": params.base_asset_amount,
            "auction_start_price": params.auction_start_price,
            "auction_end_price": params.auction_end_price,
            "auction_duration": params.auction_duration,
            "oracle_price_offset": params.oracle_price_offset,
            "oracle_at_placement": oracle_price,
            "slot": slot,
            "fills": [],
        }

    def on_fills(self, fills: list[Any]) -> None:
        for f in fills:
            self.fills_total += 1
            name = self.label(f.maker)
            self.fills_by_maker[name] = self.fills_by_maker.get(name, 0) + 1
            record = self.open.get((f.taker, f.taker_order_id))
            if record is None:
                self.unmatched_fills += 1
                continue
            record["fills"].append(
                {
                    "maker": name,
                    "maker_order_id": f.maker_order_id,
                    "base": f.base,
                    "quote": f.quote,
                    "price": f.price,
                    "slot": f.slot,
                    "taker_fee": f.taker_fee,
                    "maker_rebate": f.maker_rebate,
                }
            )

    def auction_finished(self, taker_user: Pubkey, order_id: int) -> None:
        record = self.open.pop((taker_user, order_id), None)
        if record is None:
            return
        filled = sum(f["base"] for f in record["fills"])
        record["filled_base"] = filled
        record["status"] = (
            "filled" if filled >= record["base"] else ("partial" if filled else "unfilled")
        )
        if filled >= record["base"]:
            self.auctions_filled += 1
        self.recent.append(record)
        if self._spool is not None:
            self._spool.write(json.dumps(record) + "\n")

    # -- makers --------------------------------------------------------------------------

    def maker_positions(self) -> list[dict[str, Any]]:
        """Positions and PnL (mark-to-oracle, quote 1e6) of competitors and funded users."""
        users: list[tuple[str, Pubkey]] = [(p.name, p.user) for p in self.world.competitors]
        for authority in self.world.funded:
            users += [(f"funded:{authority}/{s}", user_pda(authority, s)) for s in range(4)]
        oracle = {m.index: m.oracle_price for m in self.world.perp.values()}
        out = []
        for name, key in users:
            account = self.world.ledger.get(key)
            if account is None:
                continue
            data = account.data
            positions = []
            pnl = 0
            for i in range(8):
                at = _PERPS_AT + PERP_POSITION_SIZE * i
                base, quote = struct.unpack_from("<qq", data, at + _BASE_QUOTE_AT)
                (market_index,) = struct.unpack_from("<H", data, at + _MARKET_INDEX_AT)
                if base == 0 and quote == 0:
                    continue
                price = oracle.get(market_index, 0)
                value = quote + div_trunc(base * price, BASE_PRECISION)
                pnl += value
                positions.append(
                    {
                        "market_index": market_index,
                        "base": base,
                        "quote": quote,
                        "oracle_price": price,
                        "pnl": value,
                    }
                )
            out.append(
                {
                    "maker": name,
                    "user": str(key),
                    "positions": positions,
                    "pnl": pnl,
                    "fills": self.fills_by_maker.get(name, 0),
                }
            )
        return out

    # -- output --------------------------------------------------------------------------

    def summary(self, chain: Any = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.world.scenario.name,
            "seed": self.seed,
            "auctions_total": self.auctions_total,
            "auctions_open": len(self.open),
            "auctions_filled": self.auctions_filled,
            "fills_total": self.fills_total,
            "fills_by_maker": dict(self.fills_by_maker),
        }
        if chain is not None:
            out["start_slot"] = chain.start_slot
            out["end_slot"] = chain.slot
        if extra:
            out.update(extra)
        return out

    def to_dict(self, chain: Any = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """In-process report: the summary, the most recent finished auctions, makers."""
        return {
            **self.summary(chain, extra),
            "auctions": list(self.recent),
            "makers": self.maker_positions(),
        }

    def write(
        self, path: str | Path | None = None, chain: Any = None, extra: dict[str, Any] | None = None
    ) -> Path:
        """Write the full JSON report: every finished auction (from the spool), then makers."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no report path")
        for key in list(self.open):  # still-open auctions are reported as they stand
            self.auction_finished(*key)
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "w") as out:
            head = json.dumps(self.summary(chain, extra))
            out.write(head[:-1] + ', "auctions": [')
            first = True
            if self._spool is not None and self._spool_path is not None:
                self._spool.flush()
                with open(self._spool_path) as spool:
                    for line in spool:
                        out.write(("" if first else ",\n") + line.rstrip("\n"))
                        first = False
            else:
                for record in self.recent:
                    out.write(("" if first else ",\n") + json.dumps(record))
                    first = False
            out.write('], "makers": ' + json.dumps(self.maker_positions()) + "}\n")
        os.replace(tmp, target)
        return target

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
            if self._spool_path is not None:
                self._spool_path.unlink(missing_ok=True)

"""Simplified Drift margin: collateral versus initial/fill/maintenance requirements."""

from __future__ import annotations

from jitmaker.sim.program.constants import (
    BASE_PRECISION,
    MARGIN_PRECISION,
)
from jitmaker.sim.program.errors import drift_error
from jitmaker.sim.program.layout import (
    MAX_SPOT_POSITIONS,
    PerpPos,
    SpotMarketView,
    UserView,
)
from jitmaker.sim.program.oracle import read_oracle
from jitmaker.sim.program.rules import (
    OPEN_ORDER_MARGIN_REQUIREMENT,
    _ceil_div,
)
from jitmaker.sim.program.state import AccountMaps

__all__ = ["MarginRules"]


class MarginRules:
    """Margin rules of ``DriftEngine`` (mixin)."""

    # ------------------------------------------------------------------ margin
    def _worst_case_base(self, pos: PerpPos) -> int:
        b = pos.base_asset_amount
        return max(abs(b + pos.open_bids), abs(b + pos.open_asks))

    def collateral_and_requirement(
        self, user: UserView, maps: AccountMaps, kind: str = "initial"
    ) -> tuple[int, int]:
        """(total collateral, initial margin requirement), QUOTE precision (simplified):
        USDC at face value, other spot deposits at oracle x initial asset weight, spot
        borrows (worst case with open orders) at oracle x initial liability weight, perps at
        oracle PnL with the initial ratio on the worst-case base plus $0.01 per open order."""
        collateral = 0
        requirement = 0
        for i in range(MAX_SPOT_POSITIONS):
            pos = user.spot_pos(i)
            if pos.is_available():
                continue
            if pos.market_index == 0:
                amount = self._usdc_tokens(pos.scaled_balance, maps, pos.balance_type)
                if pos.balance_type == 1:
                    requirement += amount
                else:
                    collateral += amount
                continue
            entry = maps.spot.get(pos.market_index)
            if entry is None:
                continue
            market = SpotMarketView(entry[0], self.work.buf(entry[0]))
            key = market.oracle
            data = self.work.data(key) if key in maps.oracles else None
            price = read_oracle(market.oracle_source, None if data is None else bytes(data)).price
            dec = 10 ** (19 - market.decimals)
            if pos.balance_type == 0:
                tokens = pos.scaled_balance * market.cumulative_deposit_interest // dec
            else:
                tokens = -_ceil_div(pos.scaled_balance * market.cumulative_borrow_interest, dec)
            worst = min(tokens + pos.open_asks, tokens) if tokens + pos.open_asks < 0 else tokens
            precision = 10**market.decimals
            if worst < 0:
                value = -worst * price // precision
                weight = (
                    market.maintenance_liability_weight
                    if kind == "maintenance"
                    else market.initial_liability_weight
                )
                requirement += value * weight // MARGIN_PRECISION
            if tokens > 0:
                value = tokens * price // precision
                weight = (
                    market.maintenance_asset_weight
                    if kind == "maintenance"
                    else market.initial_asset_weight
                )
                collateral += value * weight // MARGIN_PRECISION
            requirement += pos.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT
        for pos in user.perp_positions():
            entry = maps.perp.get(pos.market_index)
            if entry is None:
                continue
            market = self.work.market(entry[0])
            oracle = self.oracle_price(market, maps)
            collateral += pos.base_asset_amount * oracle // BASE_PRECISION + (
                pos.quote_asset_amount
            )
            worst = self._worst_case_base(pos)
            if kind == "initial":
                ratio = market.margin_ratio_initial
            elif kind == "fill":
                ratio = (market.margin_ratio_initial + market.margin_ratio_maintenance) // 2
            else:
                ratio = market.margin_ratio_maintenance
            requirement += worst * oracle // BASE_PRECISION * ratio // MARGIN_PRECISION
            requirement += pos.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT
        return collateral, requirement

    def free_collateral(self, user: UserView, maps: AccountMaps) -> int:
        collateral, requirement = self.collateral_and_requirement(user, maps)
        return collateral - requirement

    def _usdc_tokens(self, scaled: int, maps: AccountMaps, balance_type: int = 0) -> int:
        entry = maps.spot.get(0)
        interest, decimals = 10**10, 6
        if entry is not None:
            market = SpotMarketView(entry[0], self.work.data(entry[0]))  # read only: no copy
            if balance_type == 0:
                interest = market.cumulative_deposit_interest
            else:
                interest = market.cumulative_borrow_interest
            decimals = market.decimals
        if balance_type == 0:
            return scaled * interest // 10 ** (19 - decimals)
        return _ceil_div(scaled * interest, 10 ** (19 - decimals))

    def check_margin(
        self, user: UserView, maps: AccountMaps, what: str, kind: str = "initial"
    ) -> None:
        """InsufficientCollateral unless collateral covers the ``kind`` requirement
        (initial for placements; fill = mean of initial and maintenance, or maintenance for
        position-reducing fills, as ``fulfill_perp_order``'s post-fill checks)."""
        collateral, requirement = self.collateral_and_requirement(user, maps, kind)
        if collateral < requirement:
            raise drift_error(
                "InsufficientCollateral",
                f"{what}: total collateral {collateral} < {kind} margin requirement {requirement}",
            )

"""The simulator's transaction executor: Drift and jit-proxy program rules.

``execute_transaction`` decodes a wire transaction (legacy or v0, lookup tables from the
ledger), runs the bank checks (signatures, blockhash, status cache, fee payer), the compute
budget, and the Drift / jit-proxy instructions, returning the RPC-shaped error, Anchor-style
logs, the accounts it changed and its fills. Instruction data is decoded with anchorpy's
coder over driftpy's Drift IDL (independent of the bot's encoders); jit-proxy's ``JitParams``
are Borsh-decoded here.

Simplified on purpose (the bot's behaviour does not depend on these):
* Spot (``place_and_make_spot_order``, ``jit`` against spot takers, ``place_taker_order``
  with MarketType.SPOT): placement as the program; the JIT maker match moves token balances
  through scaled balances (no interest accrual); no keeper spot fills, no external venues.
* The AMM trades at its quoted bid/ask without moving reserves; in keeper fills a resting
  maker fills before the AMM only when its price is at least as good as the AMM's quote.
  Inside place_and_make the AMM takes no part unless asked: ``ctx.amm_in_place_and_make``
  lets it fill ahead of a worse maker and the taker's remainder (on chain it does once the
  order is "low risk", §5.6; here from the slot after placement), and
  ``ctx.amm_jit_in_place_and_make`` enables its JIT split (§5.4, without the imbalance boost
  and wash-trade taper). Keeper fills use the AMM unless ``ctx.amm_fills`` is off.
* No funding, filler rewards or builder fees; referrals are modelled (discount, reward, the
  accounts Drift requires); fee tier from 30-day volume only (no staking benefit).
* Margin: USDC at face value, other spot deposits at oracle x asset weight, spot borrows at
  oracle x liability weight, perp PnL at the oracle price versus the margin ratio on the
  worst-case position, plus $0.01 per open order; initial ratio for risk-increasing
  placements, Fill (mean of initial and maintenance) or Maintenance (position-reducing)
  after fills, as the program; only markets passed to the instruction are counted; no
  unrealized-PnL asset weight, no size premium.
* Oracles (Pyth pull PriceUpdateV2, Pyth Lazer, Prelaunch, quote asset; normalised by
  ``jitmaker.accounts.oracle_price_data``) are always Valid; the MM-oracle rule of §1.4 and
  the oracle-vs-5min-TWAP "no fill" rule are applied.
* Auction parameter sanitisation at placement (§3 step 7) is not reproduced.
* Drift rounds the base of a perp order down to the step size before validating it, so
  InvalidOrderNotStepSizeMultiple cannot occur for perp orders (as on chain).
"""

from jitmaker.sim.program.constants import DRIFT, JIT_PROXY
from jitmaker.sim.program.executor import (
    cancel_expired,
    drift_coder,
    execute_transaction,
    fill_from_resting_and_amm,
    maker_jit_fill,
    place_taker_order,
)
from jitmaker.sim.program.types import ExecContext, ExecResult, FillRecord, OrderParams

__all__ = [
    "DRIFT",
    "JIT_PROXY",
    "ExecContext",
    "ExecResult",
    "FillRecord",
    "OrderParams",
    "cancel_expired",
    "drift_coder",
    "execute_transaction",
    "fill_from_resting_and_amm",
    "maker_jit_fill",
    "place_taker_order",
]

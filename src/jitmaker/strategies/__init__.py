"""The pure decision layer: quotes, position bounds and pluggable auction strategies.

Nothing here does I/O or reads a clock: slot, oracle and positions are arguments, strategies
return commands (``Attempt``/``Skip``) and are told outcomes.
"""

from jitmaker.strategies.base import (
    DEFAULT_MAX_TRACKED_AUCTIONS,
    AuctionStrategy,
    Strategy,
    TrackedAuction,
    taker_price_at,
)
from jitmaker.strategies.commands import (
    Attempt,
    AttemptOutcome,
    AttemptTag,
    Command,
    OutcomeKind,
    Skip,
    SkipReason,
)
from jitmaker.strategies.loader import BUILTIN_STRATEGIES, load_strategy
from jitmaker.strategies.pricing import (
    BPS,
    PriceType,
    PricingConfig,
    Quote,
    ReferenceSource,
    compute_quote,
    reference_prices,
)
from jitmaker.strategies.shotgun import DEFAULT_SHOTGUN_MAX_ATTEMPTS, Shotgun
from jitmaker.strategies.sizing import (
    LEVERAGE_PRECISION,
    MarketSizing,
    PositionLimits,
    leverage_ppm,
    position_limits,
    size_subaccount,
    split_leverage,
)
from jitmaker.strategies.sniper import (
    DEFAULT_SNIPER_LEAD_SLOTS,
    DEFAULT_SNIPER_MAX_RETRIES,
    Sniper,
)
from jitmaker.strategies.views import (
    AuctionView,
    MarketKey,
    MarketView,
    PositionView,
    market_key,
    parse_market_key,
)

__all__ = [
    "BPS",
    "BUILTIN_STRATEGIES",
    "DEFAULT_MAX_TRACKED_AUCTIONS",
    "DEFAULT_SHOTGUN_MAX_ATTEMPTS",
    "DEFAULT_SNIPER_LEAD_SLOTS",
    "DEFAULT_SNIPER_MAX_RETRIES",
    "LEVERAGE_PRECISION",
    "Attempt",
    "AttemptOutcome",
    "AttemptTag",
    "AuctionStrategy",
    "AuctionView",
    "Command",
    "MarketKey",
    "MarketSizing",
    "MarketView",
    "OutcomeKind",
    "PositionLimits",
    "PositionView",
    "PriceType",
    "PricingConfig",
    "Quote",
    "ReferenceSource",
    "Shotgun",
    "Skip",
    "SkipReason",
    "Sniper",
    "Strategy",
    "TrackedAuction",
    "compute_quote",
    "leverage_ppm",
    "load_strategy",
    "market_key",
    "parse_market_key",
    "position_limits",
    "reference_prices",
    "size_subaccount",
    "split_leverage",
    "taker_price_at",
]

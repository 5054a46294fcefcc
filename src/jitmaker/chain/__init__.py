"""jitmaker.chain."""

# Pure transaction builders (instructions, PDAs, v0 messages); see their modules.
from jitmaker.chain.instructions import JitParams as JitParams
from jitmaker.chain.instructions import OrderParams as OrderParams
from jitmaker.chain.instructions import PriceType as PriceType
from jitmaker.chain.maker_tx import MakerTxBuilder as MakerTxBuilder
from jitmaker.chain.maker_tx import SignedTx as SignedTx
from jitmaker.chain.maker_tx import TakerRef as TakerRef
from jitmaker.chain.remaining import MarketDirectory as MarketDirectory
from jitmaker.chain.remaining import PerpMarketRef as PerpMarketRef
from jitmaker.chain.remaining import SpotMarketRef as SpotMarketRef
from jitmaker.chain.remaining import UserMarkets as UserMarkets
from jitmaker.chain.remaining import user_markets as user_markets

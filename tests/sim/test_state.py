"""Chain clock: blockhash validity window, commitment slots, status cache bounds."""

from __future__ import annotations

from solders.signature import Signature

from jitmaker.sim.ledger import Ledger
from jitmaker.sim.state import MAX_PROCESSING_AGE, Chain, TxStatus


def _chain(**kw) -> Chain:
    return Chain(
        Ledger(), start_slot=1000, start_unix_timestamp=1_700_000_000, block_height_lag=100, **kw
    )


def test_blockhash_valid_for_150_blocks_then_not_found():
    chain = _chain()
    first, last_valid = chain.latest_blockhash("processed")
    assert last_valid == chain.block_height + MAX_PROCESSING_AGE
    for _ in range(MAX_PROCESSING_AGE):
        chain.advance()
    assert chain.is_blockhash_valid(first)
    chain.advance()
    assert not chain.is_blockhash_valid(first)
    assert len(chain.valid_blockhashes()) == MAX_PROCESSING_AGE + 1


def test_early_expiry_and_commitment_levels():
    chain = _chain(confirmed_lag=2, finalized_lag=10)
    old, _ = chain.latest_blockhash("processed")
    for _ in range(12):
        chain.advance()
    assert chain.slot_at("processed") == 1012
    assert chain.slot_at("confirmed") == 1010
    assert chain.slot_at("finalized") == 1002
    assert chain.latest_blockhash("finalized")[0] == chain._blockhash_for(1002)
    chain.blockhash_max_age = 5
    assert not chain.is_blockhash_valid(old)
    assert chain.is_blockhash_valid(chain.latest_blockhash("processed")[0])
    chain.blockhash_max_age = MAX_PROCESSING_AGE
    assert chain.is_blockhash_valid(old)
    assert chain.unix_timestamp == 1_700_000_000 + 12 * 2 // 5


def test_status_cache_is_bounded_and_levels_follow_depth():
    chain = _chain(status_capacity=10, confirmed_lag=1, finalized_lag=3)
    sigs = [Signature.new_unique() for _ in range(25)]
    for sig in sigs:
        chain.record_status(sig, TxStatus(chain.slot, None), chain.block_height + 150)
    assert (
        len(chain.statuses) == 10 and sigs[-1] in chain.statuses and sigs[0] not in chain.statuses
    )
    assert chain.confirmation_status(chain.slot) == ("processed", 0)
    chain.advance()
    assert chain.confirmation_status(chain.slot - 1) == ("confirmed", 1)
    chain.advance()
    chain.advance()
    assert chain.confirmation_status(chain.slot - 3) == ("finalized", None)

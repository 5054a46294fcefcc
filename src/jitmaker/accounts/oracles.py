"""Oracle accounts Drift reads, and their normalisation to Drift's OraclePriceData.

* ``PriceUpdateV2`` — Pyth pull oracle, owned by the Pyth receiver program
  (``PYTH_RECEIVER_PROGRAM_ID``). Borsh, not zero-copy: ``verification_level`` is an enum
  ``Partial { num_signatures: u8 }`` (2 bytes) or ``Full`` (1 byte), so the price message
  shifts by one byte between the two. The account is allocated at 134 bytes either way.
* ``PythLazerOracle`` and ``PrelaunchOracle`` — Drift-owned zero-copy accounts (IDL layouts).

:func:`oracle_price_data` reproduces the program's ``get_oracle_price`` per ``OracleSource``:
price and confidence rescaled from ``10^exponent`` to PRICE_PRECISION (1e6) after dividing the
precision by the source's multiple (1K / 1M markets), stable-coin snapping to $1, and the
delay in slots.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Any, NamedTuple

from jitmaker.accounts._layout import AccountCodec, record
from jitmaker.accounts.discriminators import (
    PRELAUNCH_ORACLE_DISCRIMINATOR,
    PRICE_UPDATE_V2_DISCRIMINATOR,
    PYTH_LAZER_ORACLE_DISCRIMINATOR,
)
from jitmaker.accounts.enums import OracleSource
from jitmaker.errors import DecodeError, EncodeError
from jitmaker.intmath import div_trunc

__all__ = [
    "PRELAUNCH_ORACLE_SIZE",
    "PRICE_UPDATE_V2_SIZE",
    "PYTH_LAZER_ORACLE_SIZE",
    "PYTH_RECEIVER_PROGRAM_ID",
    "OraclePriceData",
    "PrelaunchOracle",
    "PriceUpdateV2",
    "PythLazerOracle",
    "VerificationLevel",
    "decode_oracle",
    "decode_prelaunch_oracle",
    "decode_price_update_v2",
    "decode_pyth_lazer_oracle",
    "encode_prelaunch_oracle",
    "encode_price_update_v2",
    "encode_pyth_lazer_oracle",
    "oracle_price_data",
]

PYTH_RECEIVER_PROGRAM_ID = "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ"
PRICE_PRECISION = 1_000_000


class VerificationLevel(IntEnum):
    """Pyth receiver ``VerificationLevel`` variant index."""

    PARTIAL = 0
    FULL = 1


PriceUpdateV2 = record(
    "PriceUpdateV2",
    [
        ("write_authority", "pubkey"),
        ("verification_level", VerificationLevel),
        ("num_signatures", "u8"),  # only meaningful for Partial; 0 for Full
        ("feed_id", ("bytes", 32)),
        ("price", "i64"),
        ("conf", "u64"),
        ("exponent", "i32"),
        ("publish_time", "i64"),
        ("prev_publish_time", "i64"),
        ("ema_price", "i64"),
        ("ema_conf", "u64"),
        ("posted_slot", "u64"),
    ],
    doc="A Pyth pull price update (price * 10^exponent; publish_time unix seconds).",
)

PRICE_UPDATE_V2_SIZE = 134
_PUV2_HEAD = struct.Struct("<32sB")
_PUV2_MSG = struct.Struct("<32sqQiqqqQQ")  # price message + posted_slot


def decode_price_update_v2(data: bytes) -> Any:
    """Decode a Pyth receiver PriceUpdateV2 account (134 bytes); ``DecodeError`` if malformed."""
    if len(data) != PRICE_UPDATE_V2_SIZE:
        raise DecodeError(f"PriceUpdateV2: expected {PRICE_UPDATE_V2_SIZE} bytes, got {len(data)}")
    if data[:8] != PRICE_UPDATE_V2_DISCRIMINATOR:
        raise DecodeError(
            f"PriceUpdateV2: wrong discriminator: expected {PRICE_UPDATE_V2_DISCRIMINATOR.hex()},"
            f" got {bytes(data[:8]).hex()}"
        )
    authority, level = _PUV2_HEAD.unpack_from(data, 8)
    if level == VerificationLevel.PARTIAL:
        num_signatures = data[41]
        at = 42
    elif level == VerificationLevel.FULL:
        num_signatures = 0
        at = 41
    else:
        raise DecodeError(
            f"PriceUpdateV2: invalid enum value {level} for field verification_level "
            "(expected 0..1)"
        )
    return tuple.__new__(
        PriceUpdateV2, (authority, level, num_signatures, *_PUV2_MSG.unpack_from(data, at))
    )


def encode_price_update_v2(update: Any) -> bytes:
    """The 134 account bytes of ``update`` (a Full update leaves the last byte zero)."""
    try:
        if update[1] == VerificationLevel.PARTIAL:
            level = struct.pack("<BB", 0, update[2])
        elif update[1] == VerificationLevel.FULL:
            level = b"\x01"
        else:
            raise EncodeError(f"PriceUpdateV2: bad verification_level {update[1]!r}")
        out = PRICE_UPDATE_V2_DISCRIMINATOR + update[0] + level + _PUV2_MSG.pack(*update[3:])
    except struct.error as exc:
        raise EncodeError(f"PriceUpdateV2: {exc}") from exc
    return out.ljust(PRICE_UPDATE_V2_SIZE, b"\0")


PythLazerOracle = record(
    "PythLazerOracle",
    [
        ("price", "i64"),
        ("publish_time", "u64"),
        ("posted_slot", "u64"),
        ("exponent", "i32"),
        ("padding", ("bytes", 4)),
        ("conf", "u64"),
    ],
    doc="Drift's Pyth Lazer oracle account (price * 10^exponent; publish_time in µs).",
)
_LAZER = AccountCodec("PythLazerOracle", PythLazerOracle, PYTH_LAZER_ORACLE_DISCRIMINATOR)
PYTH_LAZER_ORACLE_SIZE = _LAZER.size

PrelaunchOracle = record(
    "PrelaunchOracle",
    [
        ("price", "i64"),
        ("max_price", "i64"),
        ("confidence", "u64"),
        ("last_update_slot", "u64"),
        ("amm_last_update_slot", "u64"),
        ("perp_market_index", "u16"),
        ("padding", ("bytes", 70)),
    ],
    doc="Drift's prelaunch-market oracle (price already PRICE 1e6).",
)
_PRELAUNCH = AccountCodec("PrelaunchOracle", PrelaunchOracle, PRELAUNCH_ORACLE_DISCRIMINATOR)
PRELAUNCH_ORACLE_SIZE = _PRELAUNCH.size
assert PRELAUNCH_ORACLE_SIZE == 120


def decode_pyth_lazer_oracle(data: bytes) -> Any:
    """Decode a PythLazerOracle account; ``DecodeError`` if malformed."""
    return _LAZER.decode(data)


def encode_pyth_lazer_oracle(oracle: Any) -> bytes:
    return _LAZER.encode(oracle)


def decode_prelaunch_oracle(data: bytes) -> Any:
    """Decode a PrelaunchOracle account (120 bytes); ``DecodeError`` if malformed."""
    return _PRELAUNCH.decode(data)


def encode_prelaunch_oracle(oracle: Any) -> bytes:
    return _PRELAUNCH.encode(oracle)


_BY_DISC = {
    PRICE_UPDATE_V2_DISCRIMINATOR: decode_price_update_v2,
    PYTH_LAZER_ORACLE_DISCRIMINATOR: decode_pyth_lazer_oracle,
    PRELAUNCH_ORACLE_DISCRIMINATOR: decode_prelaunch_oracle,
}


def decode_oracle(data: bytes) -> Any:
    """Decode any supported oracle account, chosen by its discriminator."""
    decoder = _BY_DISC.get(bytes(data[:8]))
    if decoder is None:
        raise DecodeError(
            f"oracle: unsupported discriminator {bytes(data[:8]).hex()} "
            "(expected PriceUpdateV2, PythLazerOracle or PrelaunchOracle)"
        )
    return decoder(data)


class OraclePriceData(NamedTuple):
    """Drift's normalised oracle reading.

    ``price``/``confidence`` PRICE 1e6; ``delay`` = clock_slot - oracle slot (None when no
    clock slot was given); ``slot`` the oracle's posted/update slot; ``publish_time`` as the
    oracle states it (seconds for Pyth pull, µs for Lazer, 0 when none).
    """

    price: int
    confidence: int
    delay: int | None
    slot: int
    publish_time: int
    has_sufficient_number_of_data_points: bool = True


_PULL = {
    OracleSource.PYTH_PULL: 1,
    OracleSource.PYTH_1K_PULL: 1_000,
    OracleSource.PYTH_1M_PULL: 1_000_000,
    OracleSource.PYTH_STABLE_COIN_PULL: 1,
}
_LAZER_SOURCES = {
    OracleSource.PYTH_LAZER: 1,
    OracleSource.PYTH_LAZER_1K: 1_000,
    OracleSource.PYTH_LAZER_1M: 1_000_000,
    OracleSource.PYTH_LAZER_STABLE_COIN: 1,
}
_STABLE = {OracleSource.PYTH_STABLE_COIN_PULL, OracleSource.PYTH_LAZER_STABLE_COIN}


def _scaled(price: int, conf: int, exponent: int, multiple: int) -> tuple[int, int]:
    # The program computes 10^|exponent| in u128 (fails beyond 10^38). Checking first also
    # matters for us: 10 ** 2**31 from a corrupted account would never finish.
    if abs(exponent) > 38:
        raise DecodeError(f"oracle: exponent {exponent} out of range (|exponent| <= 38)")
    precision = 10 ** abs(exponent)
    if precision <= multiple:
        raise DecodeError(
            f"oracle: multiple {multiple} larger than oracle precision 10^{abs(exponent)}"
        )
    precision //= multiple
    if precision > PRICE_PRECISION:
        div = precision // PRICE_PRECISION
        return div_trunc(price, div), conf // div
    mult = PRICE_PRECISION // precision
    return price * mult, conf * mult


def oracle_price_data(
    source: OracleSource | int, oracle: Any = None, clock_slot: int | None = None
) -> OraclePriceData:
    """Normalise an oracle account (decoded record or raw bytes) as the program does for
    ``source``. QuoteAsset needs no account. Legacy Pyth push and Switchboard sources are not
    supported (``DecodeError``), nor is an account of the wrong kind for the source."""
    source = OracleSource(source)
    if source == OracleSource.QUOTE_ASSET:
        return OraclePriceData(PRICE_PRECISION, 1, 0 if clock_slot is not None else None, 0, 0)
    if isinstance(oracle, bytes | bytearray | memoryview):
        oracle = decode_oracle(oracle)
    if source in _PULL or source in _LAZER_SOURCES:
        expected = PriceUpdateV2 if source in _PULL else PythLazerOracle
        if not isinstance(oracle, expected):
            raise DecodeError(
                f"oracle: source {source.name} needs a {expected.__name__}, "
                f"got {type(oracle).__name__}"
            )
        multiple = _PULL.get(source) or _LAZER_SOURCES[source]
        price, conf = _scaled(oracle.price, oracle.conf, oracle.exponent, multiple)
        if source in _STABLE and abs(price - PRICE_PRECISION) <= min(500, conf):
            price = PRICE_PRECISION
        slot = oracle.posted_slot
        delay = clock_slot - slot if clock_slot is not None else None
        return OraclePriceData(price, conf, delay, slot, oracle.publish_time)
    if source == OracleSource.PRELAUNCH:
        if not isinstance(oracle, PrelaunchOracle):
            raise DecodeError(
                f"oracle: source PRELAUNCH needs a PrelaunchOracle, got {type(oracle).__name__}"
            )
        delay = max(0, oracle.amm_last_update_slot - clock_slot) if clock_slot is not None else None
        return OraclePriceData(oracle.price, oracle.confidence, delay, oracle.last_update_slot, 0)
    raise DecodeError(f"oracle: source {source.name} is not supported")

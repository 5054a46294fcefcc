"""TxFailure attribution on realistic error JSON and program logs (protocol.md §6.3, §7.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitmaker.chain.txerrors import (
    DEFAULT_PROGRAM_IDS,
    FailureReason,
    Program,
    ProgramIds,
    TxFailure,
    drift_error_name,
    failure_from_rpc_error,
    parse_tx_error,
)
from jitmaker.errors import RpcError

CB = "ComputeBudget111111111111111111111111111111"
JIT = "J1TnP8zvVxbtF5KFp5xRmWuvG9McnhzmBd9XGfCyuxFP"
DRIFT = "dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH"
IX = [CB, CB, JIT]


def cb_prelude() -> list[str]:
    return [
        f"Program {CB} invoke [1]",
        f"Program {CB} success",
        f"Program {CB} invoke [1]",
        f"Program {CB} success",
    ]


def jit_failure_logs(code: int, name: str, msg: str = "") -> list[str]:
    return [
        *cb_prelude(),
        f"Program {JIT} invoke [1]",
        "Program log: Instruction: Jit",
        "Program log: slot = 1003 auction duration = 7 slots_left = 4",
        *([f"Program log: {msg}"] if msg else []),
        f"Program log: AnchorError occurred. Error Code: {name}. Error Number: {code}. "
        f"Error Message: {name}.",
        f"Program {JIT} consumed 40000 of 1400000 compute units",
        f"Program {JIT} failed: custom program error: {hex(code)}",
    ]


def drift_cpi_failure_logs(code: int, name: str) -> list[str]:
    return [
        *cb_prelude(),
        f"Program {JIT} invoke [1]",
        "Program log: Instruction: Jit",
        f"Program {DRIFT} invoke [2]",
        "Program log: Instruction: PlaceAndMakePerpOrder",
        f"Program log: AnchorError occurred. Error Code: {name}. Error Number: {code}. "
        f"Error Message: {name}.",
        f"Program {DRIFT} consumed 21000 of 1380000 compute units",
        f"Program {DRIFT} failed: custom program error: {hex(code)}",
        f"Program {JIT} consumed 40000 of 1400000 compute units",
        f"Program {JIT} failed: custom program error: {hex(code)}",
    ]


def ierr(code: int, index: int = 2) -> dict:
    return {"InstructionError": [index, {"Custom": code}]}


@pytest.mark.parametrize(
    ("code", "name", "reason"),
    [
        (6000, "BidNotCrossed", FailureReason.NOT_CROSSED),
        (6001, "AskNotCrossed", FailureReason.NOT_CROSSED),
        (6002, "TakerOrderNotFound", FailureReason.TAKER_GONE),
        (6008, "PositionLimitBreached", FailureReason.POSITION_LIMIT),
        (6009, "NoFill", FailureReason.NO_FILL),
        (6010, "SignedMsgOrderDoesNotExist", FailureReason.TAKER_GONE),
        (6003, "OrderSizeBreached", FailureReason.OTHER),
    ],
)
def test_jit_proxy_errors_are_attributed_to_jit_proxy(code, name, reason) -> None:
    f = parse_tx_error(
        ierr(code), jit_failure_logs(code, name, "taker price 150000000 > worst bid")
    )
    assert f == TxFailure(Program.JIT_PROXY, code, name, reason, 2, JIT)


@pytest.mark.parametrize(
    ("code", "name", "reason"),
    [
        (6052, "InvalidOrderIOCPostOnly", FailureReason.OTHER),
        (6035, "InvalidOracle", FailureReason.ORACLE),
        (6036, "OracleNotFound", FailureReason.ORACLE),
        (6061, "OrderDoesNotExist", FailureReason.TAKER_GONE),
        (6003, "InsufficientCollateral", FailureReason.INSUFFICIENT_COLLATERAL),
        # Same numbers as jit-proxy errors, but Drift failed first: Drift's meaning wins.
        (6000, "InvalidSpotMarketAuthority", FailureReason.OTHER),
        (6002, drift_error_name(6002), FailureReason.OTHER),
        (6009, drift_error_name(6009), FailureReason.OTHER),
    ],
)
def test_drift_cpi_errors_are_attributed_to_the_innermost_program(code, name, reason) -> None:
    f = parse_tx_error(ierr(code), drift_cpi_failure_logs(code, name))
    assert f.program is Program.DRIFT and f.program_id == DRIFT
    assert (f.code, f.name, f.reason, f.instruction_index) == (code, name, reason, 2)


def test_shared_number_0x1772_means_different_things_per_program() -> None:
    jit = parse_tx_error(ierr(6002), jit_failure_logs(6002, "TakerOrderNotFound"))
    drift = parse_tx_error(ierr(6002), drift_cpi_failure_logs(6002, "x"))
    assert jit.reason is FailureReason.TAKER_GONE
    assert drift.reason is not FailureReason.TAKER_GONE and drift.name != "TakerOrderNotFound"


def test_without_logs_the_instruction_index_picks_the_program() -> None:
    f = parse_tx_error(ierr(6009), None, ix_program_ids=IX)
    assert (f.program, f.name, f.reason) == (Program.JIT_PROXY, "NoFill", FailureReason.NO_FILL)
    f = parse_tx_error(ierr(6035), [], ix_program_ids=IX)  # not a jit-proxy code: propagated
    assert (f.program, f.name, f.reason) == (Program.DRIFT, "InvalidOracle", FailureReason.ORACLE)
    f = parse_tx_error(ierr(6009))  # nothing to attribute with
    assert (f.program, f.code, f.name, f.reason) == (
        Program.OTHER,
        6009,
        "Custom(6009)",
        FailureReason.OTHER,
    )


def test_truncated_logs_showing_only_jit_proxy_line_still_find_drift() -> None:
    logs = [
        f"Program {JIT} invoke [1]",
        f"Program {DRIFT} invoke [2]",
        "Log truncated",
        f"Program {JIT} failed: custom program error: 0x1793",
    ]
    f = parse_tx_error(ierr(6035), logs)
    assert (f.program, f.name, f.reason) == (Program.DRIFT, "InvalidOracle", FailureReason.ORACLE)


@pytest.mark.parametrize(
    ("err", "name", "reason"),
    [
        ("BlockhashNotFound", "BlockhashNotFound", FailureReason.BLOCKHASH),
        ("AlreadyProcessed", "AlreadyProcessed", FailureReason.ALREADY_PROCESSED),
        ("InsufficientFundsForFee", "InsufficientFundsForFee", FailureReason.OTHER),
        ("AccountNotFound", "AccountNotFound", FailureReason.OTHER),
        (
            {"InsufficientFundsForRent": {"account_index": 0}},
            "InsufficientFundsForRent",
            FailureReason.OTHER,
        ),
    ],
)
def test_transaction_level_errors(err, name, reason) -> None:
    f = parse_tx_error(err, [])
    assert (f.program, f.code, f.name, f.reason) == (Program.RUNTIME, None, name, reason)


def test_compute_budget_exceeded() -> None:
    logs = [
        *cb_prelude(),
        f"Program {JIT} invoke [1]",
        f"Program {JIT} consumed 200000 of 200000 compute units",
        f"Program {JIT} failed: exceeded CUs meter at BPF instruction #1234",
    ]
    f = parse_tx_error({"InstructionError": [2, "ComputationalBudgetExceeded"]}, logs)
    assert (f.program, f.code, f.name, f.reason) == (
        Program.JIT_PROXY,
        None,
        "ComputationalBudgetExceeded",
        FailureReason.COMPUTE_EXCEEDED,
    )
    f = parse_tx_error({"InstructionError": [2, "ProgramFailedToComplete"]}, logs)
    assert f.reason is FailureReason.COMPUTE_EXCEEDED and f.name == "ProgramFailedToComplete"


def test_compute_budget_program_error_and_system_error() -> None:
    logs = [f"Program {CB} invoke [1]", f"Program {CB} failed: invalid instruction data"]
    f = parse_tx_error({"InstructionError": [0, "InvalidInstructionData"]}, logs)
    assert (f.program, f.name, f.instruction_index) == (
        Program.COMPUTE_BUDGET,
        "InvalidInstructionData",
        0,
    )
    sys_id = DEFAULT_PROGRAM_IDS.system
    logs = [f"Program {sys_id} invoke [1]", f"Program {sys_id} failed: custom program error: 0x1"]
    f = parse_tx_error(ierr(1, 0), logs)
    assert (f.program, f.name) == (Program.SYSTEM, "ResultWithNegativeLamports")


def test_anchor_framework_error_names() -> None:
    logs = [
        f"Program {JIT} invoke [1]",
        "Program log: AnchorError caused by account: authority. Error Code: "
        "AccountNotSigner. Error Number: 3010. Error Message: The given account did not sign.",
        f"Program {JIT} failed: custom program error: 0xbc2",
    ]
    f = parse_tx_error(ierr(3010), logs)
    assert (f.program, f.name, f.reason) == (
        Program.JIT_PROXY,
        "AccountNotSigner",
        FailureReason.OTHER,
    )


def test_unknown_program_uses_the_anchor_log_name() -> None:
    other = "Other1111111111111111111111111111111111111"
    logs = [
        f"Program {other} invoke [1]",
        "Program log: AnchorError occurred. Error Code: Weird. Error Number: 6123. Error "
        "Message: weird.",
        f"Program {other} failed: custom program error: 0x17eb",
    ]
    f = parse_tx_error(ierr(6123, 0), logs)
    assert (f.program, f.name, f.program_id) == (Program.OTHER, "Weird", other)


def test_program_ids_are_configurable() -> None:
    ids = ProgramIds(jit_proxy="MyJit111111111111111111111111111111111111", drift="MyDrift11111")
    logs = [
        f"Program {ids.jit_proxy} invoke [1]",
        f"Program {ids.jit_proxy} failed: custom program error: 0x1779",
    ]
    f = parse_tx_error(ierr(6009), logs, program_ids=ids)
    assert (f.program, f.reason) == (Program.JIT_PROXY, FailureReason.NO_FILL)
    assert parse_tx_error(ierr(6009), logs).program is Program.OTHER  # default ids: unknown


@pytest.mark.parametrize(
    "err",
    [
        {},
        [],
        5,
        {"InstructionError": "x"},
        {"InstructionError": [None]},
        {"InstructionError": [1, {"Custom": "six"}]},
    ],
)
def test_malformed_errors_never_raise(err) -> None:
    f = parse_tx_error(err, ["garbage", 7, None])  # type: ignore[list-item]
    assert isinstance(f, TxFailure)


def test_none_is_not_a_failure() -> None:
    with pytest.raises(ValueError):
        parse_tx_error(None)


def test_failure_from_preflight_rpc_error() -> None:
    data = {
        "err": ierr(6000),
        "logs": jit_failure_logs(6000, "BidNotCrossed"),
        "accounts": None,
        "unitsConsumed": 41234,
    }
    exc = RpcError(
        "sendTransaction: Transaction simulation failed: Error processing "
        "Instruction 2: custom program error: 0x1770 (code -32002)",
        code=-32002,
        data=data,
    )
    f = failure_from_rpc_error(exc)
    assert f is not None and (f.program, f.reason) == (Program.JIT_PROXY, FailureReason.NOT_CROSSED)
    bh = RpcError(
        "Transaction simulation failed: Blockhash not found",
        code=-32002,
        data={"err": "BlockhashNotFound", "logs": []},
    )
    assert failure_from_rpc_error(bh).reason is FailureReason.BLOCKHASH
    no_data = RpcError(
        "Transaction simulation failed: This transaction has already been processed", code=-32002
    )
    assert failure_from_rpc_error(no_data).reason is FailureReason.ALREADY_PROCESSED
    assert failure_from_rpc_error(RpcError("Node is behind", code=-32005)) is None


def test_str_is_readable() -> None:
    f = parse_tx_error(ierr(6009), jit_failure_logs(6009, "NoFill"))
    assert str(f) == "JIT_PROXY NoFill 6009 (0x1779) in instruction 2 [NO_FILL]"


_LOG_LINES = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda p, c: f"Program {p} failed: custom program error: 0x{c:x}",
        st.sampled_from([JIT, DRIFT, CB, "Zz", ""]),
        st.integers(0, 2**40),
    ),
    st.builds(lambda p: f"Program {p} invoke [1]", st.sampled_from([JIT, DRIFT, CB])),
    st.builds(
        lambda n, c: f"Program log: AnchorError occurred. Error Code: {n}. Error Number: {c}.",
        st.text("abcXYZ", min_size=1, max_size=10),
        st.integers(0, 10**6),
    ),
)
_ERRS = st.one_of(
    st.text(max_size=20),
    st.builds(
        lambda i, c: {"InstructionError": [i, {"Custom": c}]},
        st.integers(-5, 300),
        st.integers(-(2**33), 2**33),
    ),
    st.builds(lambda i, d: {"InstructionError": [i, d]}, st.integers(0, 5), st.text(max_size=20)),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=300)
@given(
    err=_ERRS,
    logs=st.lists(_LOG_LINES, max_size=12),
    ix=st.none() | st.lists(st.sampled_from([JIT, DRIFT, CB]), max_size=4),
)
def test_parse_tx_error_total_on_arbitrary_input(err, logs, ix) -> None:
    f = parse_tx_error(err, logs, ix_program_ids=ix)
    assert isinstance(f, TxFailure) and isinstance(f.reason, FailureReason)
    assert isinstance(f.name, str) and isinstance(f.program, Program)

"""Solana JSON-RPC over HTTP, as the real validator answers it (protocol.md §9).

``Rpc.handle`` takes a request body and returns (HTTP status, headers, body), so it can be
tested without a socket. Result and error shapes follow Agave closely enough that solders and
solana-py parse them: contextful results carry ``{"context":{"slot":N,"apiVersion":…}}``,
accounts carry ``rentEpoch`` and ``space``, −32002 always has a ``data`` object, signature
statuses always have ``status``. Batches are answered in request order.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import base58
import zstandard
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from jitmaker.logging import get_logger
from jitmaker.sim.ledger import Account
from jitmaker.sim.state import Chain, Commitment, TxStatus

__all__ = [
    "API_VERSION",
    "AccountFilter",
    "Rpc",
    "RpcFault",
    "display_error",
    "parse_commitment",
    "parse_filters",
    "render_account",
]

_log = get_logger("jitmaker.sim.rpc")
API_VERSION = "2.1.21"
MAX_MULTIPLE_ACCOUNTS = 100
MAX_SIGNATURE_STATUSES = 256
TX_FEE_LAMPORTS = 5000

Executor = Callable[..., Any]  # execute_transaction(tx_bytes, ledger, ctx) -> ExecResult


class RpcFault(Exception):
    """A JSON-RPC error response (code, message, optional data)."""

    def __init__(self, code: int, message: str, data: Any = None, *, has_data: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.has_data = has_data or data is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.has_data:
            out["data"] = self.data
        return out


def invalid_params(message: str) -> RpcFault:
    return RpcFault(-32602, message)


# ------------------------------------------------------------------------------ encoding

_ZSTD = zstandard.ZstdCompressor(level=1)


def _slice(data: bytes, data_slice: tuple[int, int] | None) -> bytes:
    if data_slice is None:
        return data
    offset, length = data_slice
    return data[offset : offset + length]


def encode_data(data: bytes, encoding: str) -> Any:
    if encoding == "base64":
        return [base64.b64encode(data).decode(), "base64"]
    if encoding == "base64+zstd":
        return [base64.b64encode(_ZSTD.compress(data)).decode(), "base64+zstd"]
    if encoding == "base58":
        return [base58.b58encode(data).decode(), "base58"]
    if encoding == "binary":
        return base58.b58encode(data).decode()
    raise invalid_params(f"Invalid params: unsupported encoding {encoding!r}")


def render_account(
    account: Account,
    encoding: str = "base64",
    data_slice: tuple[int, int] | None = None,
    data: bytes | None = None,
    strict: bool = True,
) -> dict[str, Any]:
    """UiAccount JSON; ``data`` overrides the stored bytes (the corruption fault uses it)."""
    raw = account.data if data is None else data
    if encoding in ("base58", "binary"):
        shown = len(raw)
        if data_slice is not None:
            shown = min(data_slice[1], max(0, len(raw) - data_slice[0]))
        if shown > 128:
            if not strict:  # a notification cannot fail: fall back to base64
                encoding = "base64"
            else:  # Agave answers InvalidRequest here, not InvalidParams
                raise RpcFault(
                    -32600,
                    "Encoded binary (base 58) data should be less than 128 bytes, please use "
                    "Base64 encoding.",
                )
    return {
        "lamports": account.lamports,
        "data": encode_data(_slice(raw, data_slice), encoding),
        "owner": str(account.owner),
        "executable": account.executable,
        "rentEpoch": account.rent_epoch,
        "space": len(account.data),
    }


def _encoding(config: dict[str, Any], default: str) -> str:
    enc = config.get("encoding") or default
    if enc == "jsonParsed":
        return "base64"  # no parser for program accounts: Agave falls back to base64
    if enc not in ("base64", "base64+zstd", "base58", "binary"):
        raise invalid_params(f"Invalid params: unknown variant `{enc}`")
    return enc


def _data_slice(config: dict[str, Any]) -> tuple[int, int] | None:
    ds = config.get("dataSlice")
    if ds is None:
        return None
    try:
        return int(ds["offset"]), int(ds["length"])
    except (KeyError, TypeError, ValueError):
        raise invalid_params("Invalid params: invalid dataSlice") from None


def parse_commitment(config: dict[str, Any] | None) -> str:
    raw = (config or {}).get("commitment") or Commitment.FINALIZED
    level = Commitment.ALIASES.get(raw)
    if level is None:
        raise invalid_params(f"Invalid params: unknown variant `{raw}`")
    return level


def parse_pubkey(value: Any, what: str = "Invalid param") -> Pubkey:
    try:
        return Pubkey.from_string(value)
    except (ValueError, TypeError):
        raise invalid_params(f"{what}: Invalid") from None


def _config(params: list[Any], index: int) -> dict[str, Any]:
    if len(params) <= index or params[index] is None:
        return {}
    cfg = params[index]
    if not isinstance(cfg, dict):
        raise invalid_params("Invalid params: expected a config object")
    return cfg


# ------------------------------------------------------------------------------ filters


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """One getProgramAccounts/programSubscribe filter: memcmp (offset, bytes) or dataSize."""

    offset: int = 0
    bytes_: bytes | None = None
    data_size: int | None = None

    def matches(self, data: bytes) -> bool:
        if self.data_size is not None:
            return len(data) == self.data_size
        end = self.offset + len(self.bytes_)  # type: ignore[arg-type]
        return end <= len(data) and data[self.offset : end] == self.bytes_


def parse_filters(raw: Any) -> list[AccountFilter]:
    """Validate and compile filters exactly as Agave does (≤4, memcmp forms, size limits)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_params("Invalid params: filters must be an array")
    if len(raw) > 4:
        raise invalid_params("Too many filters provided; max 4")
    out: list[AccountFilter] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid_params("Invalid params: invalid filter")
        if "dataSize" in item:
            try:
                out.append(AccountFilter(data_size=int(item["dataSize"])))
            except (TypeError, ValueError):
                raise invalid_params("Invalid params: invalid dataSize") from None
            continue
        if "memcmp" not in item or not isinstance(item["memcmp"], dict):
            raise invalid_params("Invalid params: invalid filter")
        m = item["memcmp"]
        try:
            offset = int(m["offset"])
        except (KeyError, TypeError, ValueError):
            raise invalid_params("Invalid params: memcmp offset") from None
        value = m.get("bytes")
        encoding = m.get("encoding", "base58")
        if isinstance(value, list):
            try:
                data = bytes(value)
            except (TypeError, ValueError):
                raise invalid_params("Invalid param: invalid bytes") from None
        elif isinstance(value, str):
            if encoding in ("base58", "binary"):
                if len(value) > 175:
                    raise invalid_params("Invalid param: DataTooLarge")
                try:
                    data = base58.b58decode(value)
                except ValueError:
                    raise invalid_params("Invalid param: base58 decode error") from None
            elif encoding == "base64":
                if len(value) > 172:
                    raise invalid_params("Invalid param: DataTooLarge")
                try:
                    data = base64.b64decode(value, validate=True)
                except ValueError:
                    raise invalid_params("Invalid param: base64 decode error") from None
            else:
                raise invalid_params(f"Invalid params: unknown variant `{encoding}`")
        else:
            raise invalid_params("Invalid params: memcmp bytes missing")
        if len(data) > 128:
            raise invalid_params("Invalid param: DataTooLarge")
        out.append(AccountFilter(offset=offset, bytes_=data))
    return out


def matches_all(filters: list[AccountFilter], data: bytes) -> bool:
    for f in filters:
        if not f.matches(data):
            return False
    return True


# ------------------------------------------------------------------------------ errors

_IX_ERROR_TEXT = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "ProgramFailedToComplete": "Program failed to complete",
    "UnsupportedProgramId": "Unsupported program id",
    "IncorrectProgramId": "incorrect program id for instruction",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
}
_TX_ERROR_TEXT = {
    "BlockhashNotFound": "Blockhash not found",
    "AlreadyProcessed": "This transaction has already been processed",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "SignatureFailure": "Transaction did not pass signature verification",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "AddressLookupTableNotFound": "Transaction loads an address table account that doesn't exist",
    "InvalidAddressLookupTableIndex": "Transaction address table lookup uses an invalid index",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "AccountInUse": "Account in use",
}


def display_error(err: dict | str) -> str:
    """Agave's Display text of a TransactionError (what goes after "simulation failed: ")."""
    if isinstance(err, str):
        return _TX_ERROR_TEXT.get(err, err)
    if "InstructionError" in err:
        index, inner = err["InstructionError"]
        if isinstance(inner, dict) and "Custom" in inner:
            text = f"custom program error: 0x{int(inner['Custom']):x}"
        elif isinstance(inner, dict):
            name = next(iter(inner))
            text = f"{name}: {inner[name]}"
        else:
            text = _IX_ERROR_TEXT.get(inner, inner)
        return f"Error processing Instruction {index}: {text}"
    name = next(iter(err))
    return f"{name}: {err[name]}"


def _status_json(status: TxStatus, chain: Chain) -> dict[str, Any]:
    level, confirmations = chain.confirmation_status(status.slot)
    return {
        "slot": status.slot,
        "confirmations": confirmations,
        "err": status.err,
        "status": {"Ok": None} if status.err is None else {"Err": status.err},
        "confirmationStatus": level,
    }


# ------------------------------------------------------------------------------ the RPC


class Rpc:
    """Method dispatch over a ``Chain``; transaction landing is delegated to ``submit``."""

    def __init__(
        self,
        chain: Chain,
        *,
        executor: Executor | None = None,
        make_context: Callable[..., Any] | None = None,
    ) -> None:
        self.chain = chain
        self.executor = executor
        self.make_context = make_context
        self.faults: Any = None  # set by the simulator: jitmaker.sim.faults.Faults
        self.on_tx_received: list[Callable[[bytes, int], None]] = []
        self.on_landed: list[Callable[[Signature, TxStatus, Any], None]] = []
        self.on_signature_received: list[Callable[[Signature], None]] = []
        self.transactions: OrderedDict[Signature, str] = OrderedDict()
        self.transactions_capacity = 2_000
        self.request_count = 0
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "getAccountInfo": self.get_account_info,
            "getMultipleAccounts": self.get_multiple_accounts,
            "getProgramAccounts": self.get_program_accounts,
            "getSlot": self.get_slot,
            "getBlockHeight": self.get_block_height,
            "getLatestBlockhash": self.get_latest_blockhash,
            "isBlockhashValid": self.is_blockhash_valid,
            "getRecentPrioritizationFees": self.get_recent_prioritization_fees,
            "getBalance": self.get_balance,
            "getMinimumBalanceForRentExemption": self.get_minimum_balance,
            "sendTransaction": self.send_transaction,
            "simulateTransaction": self.simulate_transaction,
            "getSignatureStatuses": self.get_signature_statuses,
            "getTransaction": self.get_transaction,
            "getVersion": lambda p: {"solana-core": API_VERSION, "feature-set": 3294202862},
            "getHealth": lambda p: "ok",
            "getGenesisHash": lambda p: str(Hash.default()),
            "getEpochInfo": self.get_epoch_info,
            "getFeeForMessage": lambda p: self._ctx(TX_FEE_LAMPORTS),
        }

    # -- envelope ------------------------------------------------------------------------

    def handle(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request body -> (status, extra headers, response body)."""
        self.request_count += 1
        try:
            payload = json.loads(_maybe_gunzip(body))
        except (ValueError, UnicodeDecodeError):
            err = {
                "jsonrpc": "2.0",
                "error": {"code": -32700, "message": "Parse error"},
                "id": None,
            }
            return 200, {}, json.dumps(err).encode()
        faults = self.faults
        if faults is not None and faults.rate_limited():
            first_id = None
            if isinstance(payload, dict):
                first_id = payload.get("id")
            elif isinstance(payload, list) and payload and isinstance(payload[0], dict):
                first_id = payload[0].get("id")
            body_out = {
                "jsonrpc": "2.0",
                "error": {"code": 429, "message": "Too many requests for a specific RPC call"},
                "id": first_id,
            }
            return 429, {"Retry-After": "1"}, json.dumps(body_out).encode()
        if isinstance(payload, list):
            if not payload:
                err = {
                    "jsonrpc": "2.0",
                    "error": {"code": -32600, "message": "Invalid request"},
                    "id": None,
                }
                return 200, {}, json.dumps(err).encode()
            out = [self.handle_one(item) for item in payload]
            return 200, {}, json.dumps(out).encode()
        return 200, {}, json.dumps(self.handle_one(payload)).encode()

    def handle_one(self, req: Any) -> dict[str, Any]:
        if not isinstance(req, dict) or req.get("jsonrpc") != "2.0" or "method" not in req:
            rid = req.get("id") if isinstance(req, dict) else None
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32600, "message": "Invalid request"},
                "id": rid,
            }
        rid = req.get("id")
        method = self._methods.get(req["method"])
        if method is None:
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32601, "message": "Method not found"},
                "id": rid,
            }
        params = req.get("params", [])
        if params is None:
            params = []
        if not isinstance(params, list):
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32602, "message": "Invalid params: expected an array"},
                "id": rid,
            }
        try:
            result = method(params)
        except RpcFault as fault:
            return {"jsonrpc": "2.0", "error": fault.to_json(), "id": rid}
        except Exception as exc:  # a simulator bug must not look like a transport failure
            _log.exception("rpc_internal_error", method=req["method"])
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32603, "message": f"Internal error: {type(exc).__name__}"},
                "id": rid,
            }
        return {"jsonrpc": "2.0", "result": result, "id": rid}

    def _ctx(self, value: Any, slot: int | None = None) -> dict[str, Any]:
        return {
            "context": {
                "apiVersion": API_VERSION,
                "slot": self.chain.slot if slot is None else slot,
            },
            "value": value,
        }

    def _read_config(self, params: list[Any], encoding: str) -> tuple[dict[str, Any], str]:
        """The account reads' config object (``params[1]``): commitment and minContextSlot
        checked, and the data encoding (``encoding`` when not given)."""
        cfg = _config(params, 1)
        parse_commitment(cfg)
        self._min_context(cfg)
        return cfg, _encoding(cfg, encoding)

    def _min_context(self, config: dict[str, Any]) -> None:
        wanted = config.get("minContextSlot")
        if wanted is not None and int(wanted) > self.chain.slot:
            raise RpcFault(
                -32016,
                "Minimum context slot has not been reached",
                {"contextSlot": self.chain.slot},
            )

    def _account_json(
        self, key: Pubkey, account: Account, encoding: str, data_slice: tuple[int, int] | None
    ) -> dict[str, Any]:
        faults = self.faults
        data = None
        if faults is not None:
            data = faults.corrupt(key, account.data)
        return render_account(account, encoding, data_slice, data)

    # -- accounts -----------------------------------------------------------------------

    def get_account_info(self, params: list[Any]) -> Any:
        if not params:
            raise invalid_params("Invalid params: missing pubkey")
        key = parse_pubkey(params[0])
        cfg, enc = self._read_config(params, "binary")
        account = self.chain.ledger.get(key)
        value = None if account is None else self._account_json(key, account, enc, _data_slice(cfg))
        return self._ctx(value)

    def get_multiple_accounts(self, params: list[Any]) -> Any:
        if not params or not isinstance(params[0], list):
            raise invalid_params("Invalid params: expected an array of pubkeys")
        if len(params[0]) > MAX_MULTIPLE_ACCOUNTS:
            raise invalid_params(f"Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}")
        keys = [parse_pubkey(k) for k in params[0]]
        cfg, enc = self._read_config(params, "base64")
        ds = _data_slice(cfg)
        ledger = self.chain.ledger
        values = []
        for key in keys:
            account = ledger.get(key)
            values.append(None if account is None else self._account_json(key, account, enc, ds))
        return self._ctx(values)

    def get_program_accounts(self, params: list[Any]) -> Any:
        if not params:
            raise invalid_params("Invalid params: missing program id")
        program = parse_pubkey(params[0])
        cfg, enc = self._read_config(params, "binary")
        ds = _data_slice(cfg)
        filters = parse_filters(cfg.get("filters"))
        out = []
        for key, account in self.chain.ledger.by_owner(program):
            if filters and not matches_all(filters, account.data):
                continue
            out.append({"pubkey": str(key), "account": self._account_json(key, account, enc, ds)})
        if cfg.get("withContext"):
            return self._ctx(out)
        return out

    def get_balance(self, params: list[Any]) -> Any:
        if not params:
            raise invalid_params("Invalid params: missing pubkey")
        key = parse_pubkey(params[0])
        parse_commitment(_config(params, 1))
        account = self.chain.ledger.get(key)
        return self._ctx(0 if account is None else account.lamports)

    def get_minimum_balance(self, params: list[Any]) -> Any:
        try:
            size = int(params[0])
        except (IndexError, TypeError, ValueError):
            raise invalid_params("Invalid params: expected a data length") from None
        return (128 + size) * 6960

    # -- clock ---------------------------------------------------------------------------

    def get_slot(self, params: list[Any]) -> Any:
        return self.chain.slot_at(parse_commitment(_config(params, 0)))

    def get_block_height(self, params: list[Any]) -> Any:
        return (
            self.chain.slot_at(parse_commitment(_config(params, 0))) - self.chain.block_height_lag
        )

    def get_epoch_info(self, params: list[Any]) -> Any:
        slot = self.chain.slot_at(parse_commitment(_config(params, 0)))
        return {
            "absoluteSlot": slot,
            "blockHeight": slot - self.chain.block_height_lag,
            "epoch": slot // 432_000,
            "slotIndex": slot % 432_000,
            "slotsInEpoch": 432_000,
            "transactionCount": len(self.chain.statuses),
        }

    def get_latest_blockhash(self, params: list[Any]) -> Any:
        level = parse_commitment(_config(params, 0))
        blockhash, last_valid = self.chain.latest_blockhash(level)
        return self._ctx(
            {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid},
            self.chain.slot_at(level),
        )

    def is_blockhash_valid(self, params: list[Any]) -> Any:
        try:
            bh = Hash.from_string(params[0])
        except (IndexError, ValueError, TypeError):
            raise invalid_params("Invalid params: invalid blockhash") from None
        parse_commitment(_config(params, 1))
        return self._ctx(self.chain.is_blockhash_valid(bh))

    def get_recent_prioritization_fees(self, params: list[Any]) -> Any:
        if params and params[0] is not None:
            if not isinstance(params[0], list) or len(params[0]) > 128:
                raise invalid_params("Too many inputs provided; max 128")
            for k in params[0]:
                parse_pubkey(k)
        slot = self.chain.slot
        out = []
        for s in range(max(self.chain.start_slot, slot - 149), slot + 1):
            # a deterministic, plausible fee level: most slots cheap, some contested
            h = zlib.crc32(f"{self.chain.seed}/{s}".encode())
            fee = 0 if h % 4 == 0 else (h % 5000) * (10 if h % 17 == 0 else 1)
            out.append({"slot": s, "prioritizationFee": fee})
        return out

    # -- transactions ----------------------------------------------------------------------

    def _decode_tx(self, params: list[Any]) -> tuple[bytes, VersionedTransaction, dict]:
        if not params or not isinstance(params[0], str):
            raise invalid_params("Invalid params: missing transaction")
        cfg = _config(params, 1)
        encoding = cfg.get("encoding") or "base58"
        try:
            if encoding == "base64":
                raw = base64.b64decode(params[0], validate=True)
            elif encoding == "base58":
                raw = base58.b58decode(params[0])
            else:
                raise invalid_params(f"Invalid params: unknown variant `{encoding}`")
        except ValueError as exc:
            raise invalid_params(f"invalid {encoding} encoding: {exc}") from None
        try:
            tx = VersionedTransaction.from_bytes(raw)
        except Exception as exc:  # solders raises its own error types
            raise invalid_params(
                "failed to deserialize solana_sdk::transaction::versioned::"
                f"VersionedTransaction: {exc}"
            ) from None
        return raw, tx, cfg

    def _context(self, **overrides: Any) -> Any:
        if self.make_context is None:
            raise RpcFault(-32603, "Internal error: no transaction executor")
        return self.make_context(**overrides)

    def _execute(self, raw: bytes, ctx: Any) -> Any:
        if self.executor is None:
            raise RpcFault(-32603, "Internal error: no transaction executor")
        return self.executor(raw, self.chain.ledger, ctx)

    def send_transaction(self, params: list[Any]) -> Any:
        raw, tx, cfg = self._decode_tx(params)
        for hook in self.on_tx_received:
            hook(raw, self.chain.slot)
        signature = tx.signatures[0] if tx.signatures else Signature.default()
        for sig_hook in self.on_signature_received:
            sig_hook(signature)
        skip_preflight = bool(cfg.get("skipPreflight"))
        ctx = self._context()
        result = self._execute(raw, ctx)
        err = result.err
        if err == "SignatureFailure":
            raise RpcFault(-32003, "Transaction signature verification failure")
        if err is not None and not skip_preflight:
            raise RpcFault(
                -32002,
                f"Transaction simulation failed: {display_error(err)}",
                {
                    "err": err,
                    "logs": list(result.logs),
                    "accounts": None,
                    "unitsConsumed": result.units_consumed,
                    "returnData": None,
                    "innerInstructions": None,
                    "replacementBlockhash": None,
                },
            )
        if err in (
            "BlockhashNotFound",
            "AlreadyProcessed",
            "SanitizeFailure",
            "AccountNotFound",
            "AddressLookupTableNotFound",
        ):
            return str(signature)  # dropped by the leader: never lands, status stays null
        self.land(signature, raw, result, tx)
        return str(signature)

    def land(
        self, signature: Signature, raw: bytes, result: Any, tx: VersionedTransaction | None = None
    ) -> TxStatus:
        """Commit a transaction's effects (if it succeeded) and record its status."""
        chain = self.chain
        if result.err is None:
            chain.commit(result.changed)
        status = TxStatus(
            chain.slot,
            result.err,
            list(result.logs),
            result.units_consumed,
            block_time=chain.unix_timestamp,
        )
        last_valid = chain.block_height + 150
        if tx is not None:
            entry = chain.blockhashes.get(tx.message.recent_blockhash)
            if entry is not None:
                last_valid = entry[1]
        chain.record_status(signature, status, last_valid)
        self.transactions[signature] = base64.b64encode(raw).decode()
        while len(self.transactions) > self.transactions_capacity:
            self.transactions.popitem(last=False)
        for hook in self.on_landed:
            hook(signature, status, result)
        return status

    def simulate_transaction(self, params: list[Any]) -> Any:
        raw, tx, cfg = self._decode_tx(params)
        sig_verify = bool(cfg.get("sigVerify"))
        replace = bool(cfg.get("replaceRecentBlockhash"))
        if sig_verify and replace:
            raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
        parse_commitment(cfg)
        self._min_context(cfg)
        blockhashes = dict(self.chain.valid_blockhashes())
        replacement = None
        if replace:
            latest, last_valid = self.chain.latest_blockhash(Commitment.PROCESSED)
            blockhashes[tx.message.recent_blockhash] = last_valid
            replacement = {"blockhash": str(latest), "lastValidBlockHeight": last_valid}
        ctx = self._context(verify_signatures=sig_verify, blockhashes=blockhashes, processed=set())
        result = self._execute(raw, ctx)
        accounts = None
        acfg = cfg.get("accounts")
        if isinstance(acfg, dict) and acfg.get("addresses") is not None:
            keys = [parse_pubkey(k) for k in acfg["addresses"]]
            enc = _encoding(acfg, "base64")
            if result.err is not None:
                accounts = [None] * len(keys)
            else:
                accounts = []
                for k in keys:
                    acc = result.changed.get(k) or self.chain.ledger.get(k)
                    accounts.append(None if acc is None else render_account(acc, enc))
        return self._ctx(
            {
                "err": result.err,
                "logs": list(result.logs),
                "accounts": accounts,
                "unitsConsumed": result.units_consumed,
                "returnData": None,
                "innerInstructions": None,
                "replacementBlockhash": replacement,
            }
        )

    def get_signature_statuses(self, params: list[Any]) -> Any:
        if not params or not isinstance(params[0], list):
            raise invalid_params("Invalid params: expected an array of signatures")
        if len(params[0]) > MAX_SIGNATURE_STATUSES:
            raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURE_STATUSES}")
        out = []
        for s in params[0]:
            try:
                sig = Signature.from_string(s)
            except (ValueError, TypeError):
                raise invalid_params("Invalid param: Invalid") from None
            status = self.chain.statuses.get(sig)
            out.append(None if status is None else _status_json(status, self.chain))
        return self._ctx(out)

    def get_transaction(self, params: list[Any]) -> Any:
        try:
            sig = Signature.from_string(params[0])
        except (IndexError, ValueError, TypeError):
            raise invalid_params("Invalid param: Invalid") from None
        cfg = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        level = parse_commitment(cfg)
        if level == Commitment.PROCESSED:
            raise invalid_params("Method does not support commitment below `confirmed`")
        status = self.chain.statuses.get(sig)
        tx_b64 = self.transactions.get(sig)
        if status is None or tx_b64 is None:
            return None
        reached, _ = self.chain.confirmation_status(status.slot)
        order = [Commitment.PROCESSED, Commitment.CONFIRMED, Commitment.FINALIZED]
        if order.index(reached) < order.index(level):
            return None
        version: Any = "legacy"
        raw = base64.b64decode(tx_b64)
        try:
            tx = VersionedTransaction.from_bytes(raw)
            if not str(type(tx.message).__name__).startswith("Message"):
                version = 0
            elif hasattr(tx.message, "address_table_lookups"):
                version = 0
        except Exception:  # pragma: no cover - it parsed when it was sent
            pass
        encoding = cfg.get("encoding") or "json"
        tx_field: Any = (
            [tx_b64, "base64"]
            if encoding != "base58"
            else [base58.b58encode(raw).decode(), "base58"]
        )
        return {
            "slot": status.slot,
            "blockTime": status.block_time,
            "version": version,
            "transaction": tx_field,
            "meta": {
                "err": status.err,
                "status": {"Ok": None} if status.err is None else {"Err": status.err},
                "fee": TX_FEE_LAMPORTS,
                "preBalances": [],
                "postBalances": [],
                "innerInstructions": [],
                "logMessages": status.logs,
                "preTokenBalances": [],
                "postTokenBalances": [],
                "rewards": [],
                "loadedAddresses": {"writable": [], "readonly": []},
                "computeUnitsConsumed": status.units,
            },
        }


def _maybe_gunzip(body: bytes) -> bytes:
    """driftpy sends ``content-encoding: gzip`` with a plain body; accept both forms."""
    if body[:2] == b"\x1f\x8b":
        try:
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        except zlib.error:
            return body
    return body

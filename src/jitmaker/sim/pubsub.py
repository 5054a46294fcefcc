"""Solana PubSub over websocket (protocol.md §10): subscriptions and notification fan-out.

Transport-agnostic: a ``Connection`` only needs a ``send(text)`` callable and a ``close()``;
the aiohttp server supplies both. Notifications at ``processed`` go out as soon as a change
is committed; ``confirmed``/``finalized`` subscribers get the same payload once the chain is
the configured number of slots further. Subscription ids are integers, as solders requires.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature

from jitmaker.sim.ledger import Account
from jitmaker.sim.rpc import (
    AccountFilter,
    RpcFault,
    invalid_params,
    matches_all,
    parse_commitment,
    parse_filters,
    render_account,
)
from jitmaker.sim.state import Chain, Commitment

__all__ = ["Connection", "PubSub", "Subscription"]

_UNSUBSCRIBE = {
    "accountUnsubscribe": "account",
    "programUnsubscribe": "program",
    "slotUnsubscribe": "slot",
    "signatureUnsubscribe": "signature",
    "rootUnsubscribe": "root",
}


def _rendered(cache: dict[str, str], account: Any, encoding: str, data: Any) -> str:
    """The notification value of ``account`` in ``encoding``, rendered once per change."""
    value = cache.get(encoding)
    if value is None:
        value = json.dumps(render_account(account, encoding, None, data, strict=False))
        cache[encoding] = value
    return value


@dataclass(eq=False, slots=True)
class Subscription:
    id: int
    kind: str
    conn: Connection
    commitment: str = Commitment.FINALIZED
    encoding: str = "base64"
    key: Any = None
    filters: list[AccountFilter] = field(default_factory=list)
    data_slice: tuple[int, int] | None = None
    received_notification: bool = False


class Connection:
    """One websocket client: its subscriptions and an outbound sink."""

    __slots__ = ("closed", "on_close", "send", "subs")

    def __init__(self, send: Callable[[str], None], on_close: Callable[[], None]) -> None:
        self.send = send
        self.on_close = on_close
        self.subs: dict[int, Subscription] = {}
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.on_close()


class PubSub:
    """Subscription registry bound to a ``Chain``'s commit and slot observers."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.faults: Any = None
        self.connections: set[Connection] = set()
        self.accounts: dict[Pubkey, dict[int, Subscription]] = {}
        self.programs: dict[Pubkey, dict[int, Subscription]] = {}
        self.slots: dict[int, Subscription] = {}
        self.roots: dict[int, Subscription] = {}
        self.signatures: dict[Signature, dict[int, Subscription]] = {}
        self._next_id = 1
        # (due slot, subscription, text) for confirmed / finalized subscribers
        self._pending: dict[str, deque[tuple[int, Subscription, str]]] = {
            Commitment.CONFIRMED: deque(),
            Commitment.FINALIZED: deque(),
        }
        self.notifications_sent = 0
        chain.observers.append(self.on_commit)
        chain.slot_observers.append(self.on_slot)

    # -- connections ---------------------------------------------------------------------

    def connect(self, send: Callable[[str], None], on_close: Callable[[], None]) -> Connection:
        conn = Connection(send, on_close)
        self.connections.add(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        for sub in list(conn.subs.values()):
            self._remove(sub)
        conn.subs.clear()
        self.connections.discard(conn)

    def drop_all(self) -> int:
        """Close every connection (the drop fault); returns how many were open."""
        conns = list(self.connections)
        for conn in conns:
            conn.close()
            self.disconnect(conn)
        return len(conns)

    @property
    def subscription_count(self) -> int:
        return sum(len(c.subs) for c in self.connections)

    # -- requests ------------------------------------------------------------------------

    def handle_text(self, conn: Connection, text: str) -> None:
        try:
            payload = json.loads(text)
        except ValueError:
            self._emit(
                conn,
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "error": {"code": -32700, "message": "Parse error"},
                        "id": None,
                    }
                ),
            )
            return
        if isinstance(payload, list):
            replies = [self._handle(conn, item) for item in payload]
            self._emit(conn, json.dumps(replies))
        else:
            self._emit(conn, json.dumps(self._handle(conn, payload)))

    def _handle(self, conn: Connection, req: Any) -> dict[str, Any]:
        if not isinstance(req, dict) or "method" not in req:
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32600, "message": "Invalid request"},
                "id": req.get("id") if isinstance(req, dict) else None,
            }
        rid = req.get("id")
        params = req.get("params") or []
        method = req["method"]
        try:
            if not isinstance(params, list):
                raise invalid_params("Invalid params: expected an array")
            if method in _UNSUBSCRIBE:
                result: Any = self._unsubscribe(conn, _UNSUBSCRIBE[method], params)
            elif method == "accountSubscribe":
                result = self._account_subscribe(conn, params)
            elif method == "programSubscribe":
                result = self._program_subscribe(conn, params)
            elif method == "slotSubscribe":
                result = self._add(Subscription(self._id(), "slot", conn), self.slots)
            elif method == "rootSubscribe":
                result = self._add(Subscription(self._id(), "root", conn), self.roots)
            elif method == "signatureSubscribe":
                result = self._signature_subscribe(conn, params)
            else:
                return {
                    "jsonrpc": "2.0",
                    "error": {"code": -32601, "message": "Method not found"},
                    "id": rid,
                }
        except RpcFault as fault:
            return {"jsonrpc": "2.0", "error": fault.to_json(), "id": rid}
        except Exception as exc:  # a simulator bug answers like a node's internal error
            return {
                "jsonrpc": "2.0",
                "error": {"code": -32603, "message": f"Internal error: {type(exc).__name__}"},
                "id": rid,
            }
        return {"jsonrpc": "2.0", "result": result, "id": rid}

    def _id(self) -> int:
        sid = self._next_id
        self._next_id += 1
        return sid

    def _add(self, sub: Subscription, registry: dict[int, Subscription]) -> int:
        registry[sub.id] = sub
        sub.conn.subs[sub.id] = sub
        return sub.id

    def _pubkey(self, value: Any) -> Pubkey:
        try:
            return Pubkey.from_string(value)
        except (ValueError, TypeError):
            raise invalid_params("Invalid Request: Invalid pubkey provided") from None

    def _sub_config(self, params: list[Any], index: int) -> tuple[dict[str, Any], str, str]:
        cfg = params[index] if len(params) > index and isinstance(params[index], dict) else {}
        level = parse_commitment(cfg)
        enc = cfg.get("encoding") or "binary"
        if enc == "jsonParsed":
            enc = "base64"
        if enc not in ("base64", "base64+zstd", "base58", "binary"):
            raise invalid_params(f"Invalid params: unknown variant `{enc}`")
        return cfg, level, enc

    def _account_subscribe(self, conn: Connection, params: list[Any]) -> int:
        if not params:
            raise invalid_params("Invalid params: missing pubkey")
        key = self._pubkey(params[0])
        _cfg, level, enc = self._sub_config(params, 1)
        sub = Subscription(self._id(), "account", conn, level, enc, key)
        return self._add(sub, self.accounts.setdefault(key, {}))

    def _program_subscribe(self, conn: Connection, params: list[Any]) -> int:
        if not params:
            raise invalid_params("Invalid params: missing program id")
        program = self._pubkey(params[0])
        cfg, level, enc = self._sub_config(params, 1)
        filters = parse_filters(cfg.get("filters"))
        sub = Subscription(self._id(), "program", conn, level, enc, program, filters)
        return self._add(sub, self.programs.setdefault(program, {}))

    def _signature_subscribe(self, conn: Connection, params: list[Any]) -> int:
        try:
            sig = Signature.from_string(params[0])
        except (IndexError, ValueError, TypeError):
            raise invalid_params("Invalid Request: Invalid signature provided") from None
        cfg = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        level = parse_commitment(cfg)
        sub = Subscription(
            self._id(),
            "signature",
            conn,
            level,
            key=sig,
            received_notification=bool(cfg.get("enableReceivedNotification")),
        )
        sid = self._add(sub, self.signatures.setdefault(sig, {}))
        status = self.chain.statuses.get(sig)
        if status is not None:  # already landed: notify once the level is (or will be) reached
            self._signature_notify(sub, status.slot, status.err)
        return sid

    def _unsubscribe(self, conn: Connection, kind: str, params: list[Any]) -> bool:
        try:
            sid = int(params[0])
        except (IndexError, TypeError, ValueError):
            raise invalid_params("Invalid params: expected a subscription id") from None
        sub = conn.subs.get(sid)
        if sub is None or sub.kind != kind:
            raise invalid_params("Invalid subscription id.")
        self._remove(sub)
        return True

    def _remove(self, sub: Subscription) -> None:
        sub.conn.subs.pop(sub.id, None)
        registry: dict[Any, Any] | None
        if sub.kind == "account":
            registry = self.accounts.get(sub.key)
        elif sub.kind == "program":
            registry = self.programs.get(sub.key)
        elif sub.kind == "signature":
            registry = self.signatures.get(sub.key)
        elif sub.kind == "slot":
            self.slots.pop(sub.id, None)
            return
        else:
            self.roots.pop(sub.id, None)
            return
        if registry is not None:
            registry.pop(sub.id, None)
            if not registry:
                top = {
                    "account": self.accounts,
                    "program": self.programs,
                    "signature": self.signatures,
                }[sub.kind]
                top.pop(sub.key, None)

    # -- notifications ---------------------------------------------------------------------

    def _emit(self, conn: Connection, text: str) -> None:
        if conn.closed:
            return
        faults = self.faults
        if faults is not None and faults.ws_stalled:
            return  # a stalled socket delivers nothing and says nothing
        conn.send(text)

    def _deliver(self, sub: Subscription, slot: int, text: str) -> None:
        if sub.commitment == Commitment.PROCESSED:
            self.notifications_sent += 1
            self._emit(sub.conn, text)
            return
        lag = (
            self.chain.confirmed_lag
            if sub.commitment == Commitment.CONFIRMED
            else self.chain.finalized_lag
        )
        due = slot + lag
        if due <= self.chain.slot:
            self.notifications_sent += 1
            self._emit(sub.conn, text)
        else:
            self._pending[sub.commitment].append((due, sub, text))

    def on_commit(self, changed: dict[Pubkey, Account], slot: int) -> None:
        if not self.accounts and not self.programs:
            return
        accounts, programs = self.accounts, self.programs
        corrupt = self.faults.corrupt if self.faults is not None else None
        for key, account in changed.items():
            account_subs = accounts.get(key)
            program_subs = programs.get(account.owner)
            if not account_subs and not program_subs:
                continue
            data = corrupt(key, account.data) if corrupt is not None else None
            rendered: dict[str, str] = {}
            if account_subs:
                for sub in list(account_subs.values()):
                    value = _rendered(rendered, account, sub.encoding, data)
                    text = (
                        '{"jsonrpc":"2.0","method":"accountNotification","params":'
                        f'{{"result":{{"context":{{"slot":{slot}}},"value":{value}}},'
                        f'"subscription":{sub.id}}}}}'
                    )
                    self._deliver(sub, slot, text)
            if program_subs:
                pubkey = str(key)
                raw = account.data
                for sub in list(program_subs.values()):
                    if sub.filters and not matches_all(sub.filters, raw):
                        continue
                    value = _rendered(rendered, account, sub.encoding, data)
                    text = (
                        '{"jsonrpc":"2.0","method":"programNotification","params":'
                        f'{{"result":{{"context":{{"slot":{slot}}},"value":'
                        f'{{"pubkey":"{pubkey}","account":{value}}}}},'
                        f'"subscription":{sub.id}}}}}'
                    )
                    self._deliver(sub, slot, text)

    def on_slot(self, slot: int) -> None:
        for queue in self._pending.values():
            while queue and queue[0][0] <= slot:
                _, sub, text = queue.popleft()
                if sub.conn.closed:
                    continue
                if sub.kind != "signature" and sub.id not in sub.conn.subs:
                    continue  # unsubscribed meanwhile
                self.notifications_sent += 1
                self._emit(sub.conn, text)
        if self.slots:
            root = max(self.chain.start_slot, slot - self.chain.finalized_lag)
            for sub in list(self.slots.values()):
                self._emit(
                    sub.conn,
                    (
                        '{"jsonrpc":"2.0","method":"slotNotification","params":{"result":'
                        f'{{"parent":{slot - 1},"root":{root},"slot":{slot}}},'
                        f'"subscription":{sub.id}}}}}'
                    ),
                )
        if self.roots:
            root = max(self.chain.start_slot, slot - self.chain.finalized_lag)
            for sub in list(self.roots.values()):
                self._emit(
                    sub.conn,
                    '{"jsonrpc":"2.0","method":"rootNotification","params":'
                    f'{{"result":{root},"subscription":{sub.id}}}}}',
                )

    def _signature_notify(self, sub: Subscription, slot: int, err: Any) -> None:
        text = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "signatureNotification",
                "params": {
                    "result": {"context": {"slot": slot}, "value": {"err": err}},
                    "subscription": sub.id,
                },
            }
        )
        # signature subscriptions end after their one notification
        self._remove(sub)
        self._deliver(sub, slot, text)

    def on_landed(self, signature: Signature, slot: int, err: Any) -> None:
        subs = self.signatures.get(signature)
        if not subs:
            return
        for sub in list(subs.values()):
            self._signature_notify(sub, slot, err)

    def on_received(self, signature: Signature) -> None:
        """``enableReceivedNotification``: tell the client its transaction arrived."""
        subs = self.signatures.get(signature)
        if not subs:
            return
        for sub in list(subs.values()):
            if sub.received_notification:
                self._emit(
                    sub.conn,
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "method": "signatureNotification",
                            "params": {
                                "result": {
                                    "context": {"slot": self.chain.slot},
                                    "value": "receivedSignature",
                                },
                                "subscription": sub.id,
                            },
                        }
                    ),
                )

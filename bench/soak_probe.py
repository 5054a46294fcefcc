"""What the memory soak samples in the bot's process, and how it judges a trend.

No tracemalloc by default (its own bookkeeping lives in RSS and inflates it): resident memory
from ``/proc/self/status``, glibc's ``mallinfo2`` (in use vs. free-but-held: fragmentation),
``sys.getallocatedblocks()``, gc object counts by type, and the length of every container the
engine holds (found by walking its attributes, so new per-order or per-signature maps are
covered without listing them here).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import math
import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any

__all__ = [
    "TRANSIENT_TASKS",
    "gc_types",
    "malloc_info",
    "process_memory",
    "sample",
    "slope",
    "structure_sizes",
]


# per-transaction tasks (named by the sender and the websocket client) come and go with the
# flow; every other task is long-lived and its count must not move
TRANSIENT_TASKS = ("tx-send", "tx-logs", "tx-sub", "tx-unsub", "Task-")


def process_memory(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and its anonymous part (heap, not mapped files), MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return {
        "rss_mb": out.get("VmRSS", 0.0),
        "anon_mb": out.get("RssAnon", 0.0),
        "peak_mb": out.get("VmHWM", 0.0),
    }


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc_mallinfo2() -> Any:
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):  # not glibc >= 2.33
        return None
    fn.restype = _Mallinfo2
    return fn


_MALLINFO2 = _libc_mallinfo2()


def malloc_info() -> dict[str, float]:
    """glibc heap (main arena only, plus mmapped chunks), MB: in use, free but held, mmapped.

    Python's small objects live in pymalloc arenas (mmapped 1 MiB blocks, hence ``mmap_mb``);
    native libraries (solders, zstd, ssl) use malloc directly (``in_use_mb``)."""
    if _MALLINFO2 is None:
        return {}
    m = _MALLINFO2()
    mb = 2**20
    return {
        "arena_mb": round(m.arena / mb, 1),
        "in_use_mb": round(m.uordblks / mb, 1),
        "free_mb": round(m.fordblks / mb, 1),
        "mmap_mb": round(m.hblkhd / mb, 1),
    }


def gc_types(top: int = 12) -> tuple[int, dict[str, int]]:
    """Total gc-tracked objects and the ``top`` most common types."""
    objects = gc.get_objects()
    counts = Counter(type(o).__qualname__ for o in objects)
    total = len(objects)
    del objects
    return total, dict(counts.most_common(top))


_CONTAINERS = (dict, list, set, frozenset, tuple, bytearray)


def _is_container(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return False
    if isinstance(value, _CONTAINERS):
        return True
    cls = type(value)
    # deque, OrderedDict, SortedList/SortedDict, Counter...: anything sized and iterable
    return hasattr(cls, "__len__") and hasattr(cls, "__iter__") and not _is_ours(value)


def _is_ours(value: Any) -> bool:
    return type(value).__module__.startswith("jitmaker.")


def _short_key(key: Any) -> bool:
    """Markets and sub-accounts, not signatures or subscription keys."""
    if isinstance(key, tuple):
        return all(isinstance(k, int) for k in key)
    return isinstance(key, int)


def _label(key: Any) -> str:
    if isinstance(key, tuple):
        return "-".join(str(getattr(k, "name", k)).lower() for k in key)
    return str(getattr(key, "name", key))


def structure_sizes(root: Any, name: str = "engine", depth: int = 3) -> dict[str, int]:
    """``path -> len`` for every container reachable from ``root`` through jitmaker objects'
    attributes (down to ``depth`` levels), containers of size 0..N alike.

    Containers held by our objects are measured; our objects inside containers (e.g. the
    strategy per market) are walked too, so their maps are found."""
    out: dict[str, int] = {}
    seen: set[int] = set()

    def walk(obj: Any, path: str, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        try:
            attrs = vars(obj)
        except TypeError:
            attrs = {
                s: getattr(obj, s) for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s)
            }
        for key, value in attrs.items():
            here = f"{path}.{key}"
            if isinstance(value, Enum):
                continue
            if _is_ours(value) and not isinstance(value, tuple):
                walk(value, here, level + 1)
            elif _is_container(value):
                try:
                    out[here] = len(value)
                except TypeError:
                    continue
                if isinstance(value, dict) and 0 < len(value) <= 16:
                    for k, v in list(value.items()):
                        # per-market objects (strategies, markets), not per-account ones
                        if _is_ours(v) and not isinstance(v, tuple) and _short_key(k):
                            walk(v, f"{here}[{_label(k)}]", level + 1)

    walk(root, name, 0)
    return out


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope of ``ys`` over ``xs`` and its standard error (0 with < 3 points)."""
    n = len(xs)
    if n < 2:
        return 0.0, 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, 0.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    if n < 3:
        return b, 0.0
    a = my - b * mx
    resid = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return b, math.sqrt(resid / (n - 2) / sxx)


def sample(engine: Any, *, types: bool = True) -> dict[str, Any]:
    """One reading of the bot's process (call after ``gc.collect()``)."""
    row: dict[str, Any] = process_memory()
    row["malloc"] = malloc_info()
    row["blocks"] = sys.getallocatedblocks()
    total, top = gc_types() if types else (len(gc.get_objects()), {})
    row["gc_objects"] = total
    if top:
        row["gc_types"] = top
    tasks = asyncio.all_tasks()
    row["tasks"] = len(tasks)
    row["steady_tasks"] = sum(1 for t in tasks if not t.get_name().startswith(TRANSIENT_TASKS))
    row["structures"] = structure_sizes(engine)
    return row

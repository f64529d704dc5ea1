"""ACME data at scale for benchmarks: `canon generate acme --rows N --out DIR` (Parquet).

Same four tables, columns and value domains as the seeds, with the small world's mix:
contracts ≈ N/4 (recurring, churned, pilots, one-time services, pending deals), accounts ≈
N·85/480, payments ≈ N·460/480; subscription invoices are annual ÷ 12; every key resolves.
Exactly N invoice rows.

Bounded memory: contracts are made in chunks (~1M invoices each) with numpy, turned into
Arrow arrays without Python loops over rows (ids are built as fixed-width byte matrices,
money as decimal128 buffers from integer cents), and appended to one Parquet file per table
as row groups. Chunk i uses its own seed (seed, i), so output does not depend on timing.
Two background threads write chunk i while the next is generated; all files are written in a
temporary folder and moved into place at the end, so a failure leaves no partial dataset.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from canon.errors import Location, UserError
from canon.examples.acme.calendar import CURRENT, Timeline
from canon.examples.acme.names import INDUSTRIES, NAME_STEMS, NAME_SUFFIXES, SALES_REPS

CHUNK_CONTRACTS = 64_000  # ≈ 256k invoices per chunk
DEFAULT_SEED = 20_261_031
TABLES = ("raw_accounts", "raw_contracts", "raw_invoices", "raw_payments")

I64 = npt.NDArray[np.int64]

# Contract kinds and their shares, after the small world (120 contracts).
KINDS = ("recurring-active", "recurring-churned", "pilot-active", "pilot-churned", "one-time", "pending")
KIND_P = np.array([0.49, 0.10, 0.025, 0.058, 0.25, 0.077])
KIND_TYPE = np.array([0, 0, 1, 1, 2, 0], dtype=np.int8)  # index into CONTRACT_TYPES
KIND_STATUS = np.array([0, 1, 0, 1, 0, 2], dtype=np.int8)  # index into CONTRACT_STATUSES
CONTRACT_TYPES = pa.array(["recurring", "pilot", "one-time"])
CONTRACT_STATUSES = pa.array(["active", "churned", "pending"])
INVOICE_TYPES = pa.array(["subscription", "setup", "credit"])
INVOICE_STATUSES = pa.array(["paid", "pending", "void"])
SEGMENTS = pa.array(["enterprise", "mid-market", "smb"])
SEGMENT_CUTS = (22, 70)  # hash % 100 below 22 → enterprise, below 70 → mid-market, else smb
INSTALLMENT_TENS = np.array([[2_800, 5_500], [700, 2_000], [120, 450]])  # monthly, in $10 units
SETUP_FEE_250 = np.array([[32, 60], [16, 32], [4, 10]])  # setup fee in $250 units

_GROUPS = np.frombuffer(b"".join(f"{i:03d}".encode() for i in range(1000)), dtype="S3")
_LOW_DIGITS = np.frombuffer(_GROUPS.tobytes(), dtype=np.uint8).reshape(1000, 3)


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    rows: dict[str, int]


def _segment_of(account: I64) -> I64:
    """The segment is a pure function of the account key, so every table agrees on it."""
    mixed = (account * 2_654_435_761) % 4_294_967_296 // 65_536 % 100
    return np.where(mixed < SEGMENT_CUTS[0], 0, np.where(mixed < SEGMENT_CUTS[1], 1, 2)).astype(np.int64)


class IdMatrix:
    """Ids as a fixed-width byte matrix (one row per id): cheap to gather, zero-copy to Arrow."""

    def __init__(self, matrix: npt.NDArray[np.uint8]) -> None:
        self.matrix = matrix

    @classmethod
    def build(cls, prefix: bytes, numbers: npt.NDArray[np.integer], width: int) -> IdMatrix:
        """`prefix` + zero-padded numbers, three digits at a time from a lookup table."""
        n, lead = len(numbers), len(prefix)
        groups = (width + 2) // 3
        matrix = np.empty((n, lead + width), dtype=np.uint8)
        matrix[:, :lead] = np.frombuffer(prefix, dtype=np.uint8)
        digits = np.empty((n, groups), dtype="S3")
        rest = numbers.astype(np.int64)
        for g in range(groups - 1, -1, -1):
            rest, low = np.divmod(rest, 1000)
            digits[:, g] = _GROUPS[low]
        matrix[:, lead:] = digits.view(np.uint8).reshape(n, groups * 3)[:, groups * 3 - width :]
        return cls(matrix)

    @classmethod
    def sequence(cls, prefix: bytes, start: int, count: int, width: int) -> IdMatrix:
        """Consecutive ids start..start+count-1: whole blocks of 1000 share their high digits,
        so those are computed once per block and the low three digits are one repeated table."""
        lead, size = len(prefix), len(prefix) + width
        high_width = width - 3
        blocks = (start % 1000 + count + 999) // 1000
        out = np.empty((blocks, 1000, size), dtype=np.uint8)
        out[:, :, :lead] = np.frombuffer(prefix, dtype=np.uint8)
        high = start // 1000 + np.arange(blocks, dtype=np.int64)
        high_digits = np.empty((blocks, high_width), dtype=np.uint8)
        for position in range(high_width - 1, -1, -1):
            high, digit = np.divmod(high, 10)
            high_digits[:, position] = 48 + digit
        out[:, :, lead : lead + high_width] = high_digits[:, None, :]
        out[:, :, lead + high_width :] = _LOW_DIGITS[None, :, :]
        first = start % 1000
        return cls(out.reshape(blocks * 1000, size)[first : first + count])

    def take(self, rows: npt.NDArray[np.integer]) -> IdMatrix:
        """Rows `rows` of the matrix, gathered as fixed-size records (much faster than 2-D indexing)."""
        size = self.matrix.shape[1]
        records = np.ascontiguousarray(self.matrix).view(f"V{size}").ravel()
        return IdMatrix(np.take(records, rows).view(np.uint8).reshape(len(rows), size))

    def array(self) -> pa.Array:
        n, size = self.matrix.shape
        offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
        data = np.ascontiguousarray(self.matrix)
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def categorical(rng: np.random.Generator, n: int, p: npt.NDArray[np.float64]) -> I64:
    """n draws of category indexes with probabilities p (faster than Generator.choice with p)."""
    return np.searchsorted(np.cumsum(p)[:-1], rng.random(n), side="right").astype(np.int64)


def money(cents: I64) -> pa.Array:
    """Integer cents as exact decimal(12,2): the little-endian 128-bit integers Arrow stores."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    np.right_shift(cents, 63, out=words[:, 1])
    return pa.Array.from_buffers(pa.decimal128(12, 2), len(cents), [None, pa.py_buffer(words)])


def dates(days: npt.NDArray[np.integer]) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.date32())


def enum(codes: npt.NDArray[np.integer], values: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), values)


class _Calendar:
    """Days since 1970 for (month offset, day) in bulk, for offsets -24..48."""

    LOW, HIGH = -24, 48

    def __init__(self, timeline: Timeline) -> None:
        epoch = date(1970, 1, 1).toordinal()
        span = range(self.LOW, self.HIGH + 1)
        self.first = np.array([timeline.month_start(m).toordinal() - epoch for m in span], dtype=np.int64)
        self.length = np.array([timeline.days_in(m) for m in span], dtype=np.int64)

    def day(self, month: I64, day: I64) -> I64:
        """Days of (month, day); days are drawn in 1..28 or clamped by the caller, so never overflow."""
        return self.first[month - self.LOW] + day - 1

    def last_day(self, month: I64) -> I64:
        index = month - self.LOW
        return self.first[index] + self.length[index] - 1


@dataclass
class _Chunk:
    contracts: pa.Table
    invoices: pa.Table
    payments: pa.Table


@dataclass
class _InvoiceRows:
    """Invoice rows of a chunk, ordered by contract: its monthly installments, setup charge, credit."""

    contract: I64
    month: I64
    day: I64
    amount: I64
    type: I64
    status: I64

    @property
    def size(self) -> int:
        return len(self.contract)

    def head(self, count: int) -> _InvoiceRows:
        return _InvoiceRows(
            *(a[:count] for a in (self.contract, self.month, self.day, self.amount, self.type, self.status))
        )

    @classmethod
    def layout(
        cls,
        rng: np.random.Generator,
        per_contract: I64,
        months: I64,
        setup: npt.NDArray[np.bool_],
        credit: npt.NDArray[np.bool_],
        start: I64,
        start_day: I64,
        installment: I64,
        setup_amount: I64,
    ) -> _InvoiceRows:
        """Scatter each contract's rows to its own slot range: no sort, one pass per row kind."""
        total = int(per_contract.sum())
        offset = np.cumsum(per_contract) - per_contract
        contract = np.repeat(np.arange(len(per_contract)), per_contract)
        month = np.empty(total, np.int64)
        day = np.repeat(start_day, per_contract)
        amount = np.empty(total, np.int64)
        kind = np.zeros(total, np.int64)
        status = np.zeros(total, np.int64)
        # monthly installments: slots offset..offset+months-1
        owner = np.repeat(np.arange(len(months)), months)
        position = np.arange(len(owner)) - np.repeat(np.cumsum(months) - months, months)
        slots = offset[owner] + position
        month[slots] = np.maximum(start, 0)[owner] + position
        amount[slots] = installment[owner]
        status[slots] = categorical(rng, len(slots), np.array([0.97, 0.013, 0.017]))
        # one-time charge on the start date (setup fee, services fee, or a pending deal's fee)
        charged = np.flatnonzero(setup)
        slots = offset[charged] + months[charged]
        month[slots] = np.minimum(start[charged], CURRENT)
        amount[slots] = setup_amount[charged]
        kind[slots] = 1
        # a credit (SLA, adjustment) in some billed month
        credited = np.flatnonzero(credit)
        slots = offset[credited] + months[credited] + setup[credited]
        month[slots] = rng.integers(np.maximum(start[credited], 0), CURRENT + 1)
        day[slots] = rng.integers(5, 29, len(credited))
        amount[slots] = -rng.integers(10, 500, len(credited)) * 5_000
        kind[slots] = 2
        return cls(contract, month, day, amount, kind, status)


class _Generator:
    def __init__(self, rows: int, timeline: Timeline, seed: int) -> None:
        self.rows = rows
        self.seed = seed
        self.calendar = _Calendar(timeline)
        self.accounts = max(1, round(rows * 85 / 480))
        self.width = max(5, len(str(rows * 2)))
        self.invoices_done = 0
        self.payments_done = 0
        self.contracts_done = 0

    # -- contracts and their invoices ---------------------------------------------------------
    def chunk(self, index: int) -> _Chunk | None:
        """Contracts of chunk `index` with their invoices and payments; None once N invoices exist."""
        remaining = self.rows - self.invoices_done
        if remaining <= 0:
            return None
        rng = np.random.default_rng([self.seed, index])
        n = min(CHUNK_CONTRACTS, remaining // 3 + 64)  # ~4 invoices a contract: enough to finish
        kind = categorical(rng, n, KIND_P)
        account = rng.integers(0, self.accounts, n)
        segment = _segment_of(account)
        is_pilot = (kind == 2) | (kind == 3)
        installment = (
            np.where(
                is_pilot,
                rng.integers(300, 651, n),
                rng.integers(INSTALLMENT_TENS[segment, 0], INSTALLMENT_TENS[segment, 1] + 1),
            )
            * 1000
        )
        start_day = rng.integers(1, 29, n)
        u = rng.random(n)
        # recurring customers skew recent (the company grows); churned ones run 2-8 months
        start = np.select(
            [kind == 0, kind == 1, kind <= 4],
            [CURRENT - np.floor(18 * u**2.5).astype(np.int64), np.floor(u * 15).astype(np.int64),
             np.floor(u * 18).astype(np.int64)],
            default=CURRENT + 1 + (u < 0.5),
        )  # fmt: skip
        last = np.select(
            [kind == 0, kind == 1, is_pilot],
            [np.full(n, CURRENT), np.minimum(start + rng.integers(2, 9, n) - 1, CURRENT - 1),
             np.minimum(start + 2, CURRENT)],
            default=start - 1,
        )  # fmt: skip
        months = np.where(kind <= 3, last - start + 1, 0)
        setup = ((kind <= 1) & (rng.random(n) < 0.35)) | (kind == 4) | ((kind == 5) & (rng.random(n) < 1 / 3))
        fee = rng.integers(10, 81, n) * 60_000  # one-time services, in $600 steps
        setup_amount = np.where(
            kind == 4, fee, rng.integers(SETUP_FEE_250[segment, 0], SETUP_FEE_250[segment, 1] + 1) * 25_000
        )
        credit = (kind == 0) & (rng.random(n) < 0.14)
        per_contract = months + setup + credit
        # stop at exactly N invoices: whole contracts, then the first rows of one more
        keep = min(int(np.searchsorted(np.cumsum(per_contract), remaining, side="left")) + 1, n)
        if keep < n:
            kind, account, installment, start_day, start, last, months, setup, fee, setup_amount, credit = (
                a[:keep]
                for a in (
                    kind,
                    account,
                    installment,
                    start_day,
                    start,
                    last,
                    months,
                    setup,
                    fee,
                    setup_amount,
                    credit,
                )
            )
            per_contract = per_contract[:keep]
        annual = np.where(kind == 4, fee, installment * 12)
        end = np.select(
            [kind == 1, is_pilot[:keep], kind == 4],
            [self.calendar.last_day(last), self.calendar.day(start + 3, start_day) - 1,
             self.calendar.day(start + 1 + (fee // 60_000) % 4, start_day) - 1],
            default=self.calendar.day(np.maximum(start, CURRENT - 11) + 24, start_day) - 1,
        )  # fmt: skip
        contract_ids = IdMatrix.build(b"CTR-", self.contracts_done + np.arange(keep, dtype=np.int64), self.width)
        account_ids = IdMatrix.build(b"ACC-", account, self.width)
        contracts = pa.table(
            {
                "contract_id": contract_ids.array(),
                "account_id": account_ids.array(),
                "start_date": dates(self.calendar.day(start, start_day)),
                "end_date": dates(end),
                "annual_value": money(annual),
                "type": enum(KIND_TYPE[kind], CONTRACT_TYPES),
                "status": enum(KIND_STATUS[kind], CONTRACT_STATUSES),
            }
        )
        rows = _InvoiceRows.layout(
            rng, per_contract, months, setup, credit, start, start_day, installment, setup_amount
        )
        rows = rows.head(min(remaining, rows.size))
        invoice_ids = IdMatrix.build(b"INV-", self.invoices_done + np.arange(rows.size, dtype=np.int64), self.width)
        invoice_accounts = account_ids.take(rows.contract)
        invoices = pa.table(
            {
                "invoice_id": invoice_ids.array(),
                "account_id": invoice_accounts.array(),
                "contract_id": contract_ids.take(rows.contract).array(),
                "invoice_date": dates(self.calendar.day(rows.month, rows.day)),
                "amount": money(rows.amount),
                "type": enum(rows.type, INVOICE_TYPES),
                "status": enum(rows.status, INVOICE_STATUSES),
            }
        )
        payments = self._pay(rng, rows, invoice_ids, invoice_accounts)
        self.contracts_done += keep
        self.invoices_done += rows.size
        return _Chunk(contracts, invoices, payments)

    def _pay(self, rng: np.random.Generator, rows: _InvoiceRows, invoice_ids: IdMatrix, accounts: IdMatrix) -> pa.Table:
        """One payment per paid non-credit invoice (some late, a few refunded), plus refunded voids."""
        void_paid = (rows.status == 2) & (rng.random(rows.size) < 0.25)
        paid = np.flatnonzero(((rows.status == 0) & (rows.type != 2)) | void_paid)
        count = len(paid)
        month, day = rows.month[paid], rows.day[paid]
        same_month = np.minimum(day + rng.integers(0, 10, count), self.calendar.length[month - _Calendar.LOW])
        late = rng.random(count) < 0.08
        paid_on = self.calendar.day(
            np.where(late, month + 1, month), np.where(late, rng.integers(1, 10, count), same_month)
        )
        refunded = (rng.random(count) < 0.015) | void_paid[paid]
        payment_ids = IdMatrix.sequence(b"PAY-", self.payments_done, count, self.width)
        self.payments_done += count
        return pa.table(
            {
                "payment_id": payment_ids.array(),
                "account_id": accounts.take(paid).array(),
                "invoice_id": invoice_ids.take(paid).array(),
                "payment_date": dates(paid_on),
                "amount": money(rows.amount[paid]),
                "refunded": pa.array(refunded),
            }
        )

    # -- accounts ---------------------------------------------------------------------------
    def account_chunks(self) -> list[tuple[int, int]]:
        step = CHUNK_CONTRACTS * 8
        return [(lo, min(lo + step, self.accounts)) for lo in range(0, self.accounts, step)]

    def accounts_table(self, low: int, high: int) -> pa.Table:
        rng = np.random.default_rng([self.seed, 1_000_000 + low // (CHUNK_CONTRACTS * 8)])
        key = np.arange(low, high, dtype=np.int64)
        segment = _segment_of(key)
        names = [f"{stem} {suffix}" for stem in NAME_STEMS for suffix in NAME_SUFFIXES]
        reps = [rep for seg in ("enterprise", "mid-market", "smb") for rep in SALES_REPS[seg]]
        rep_base = np.array([0, 2, 5])[segment]
        rep_span = np.array([2, 3, 2])[segment]
        created = self.calendar.day(np.full(len(key), -24), np.ones(len(key), np.int64)) + rng.integers(
            0, 300, len(key)
        )
        return pa.table(
            {
                "account_id": IdMatrix.sequence(b"ACC-", low, high - low, self.width).array(),
                "name": pa.DictionaryArray.from_arrays(pa.array((key % len(names)).astype(np.int32)), pa.array(names)),
                "segment": enum(segment, SEGMENTS),
                "industry": enum(rng.integers(0, len(INDUSTRIES), len(key)), pa.array(list(INDUSTRIES))),
                "sales_rep": enum(rep_base + rng.integers(0, 10**6, len(key)) % rep_span, pa.array(reps)),
                "created_at": dates(created),
            }
        )


def generate_acme(rows: int, out: Path, *, current_period: str = "2026-10", seed: int = DEFAULT_SEED) -> GenerateResult:
    """Write raw_{accounts,contracts,invoices,payments}.parquet with exactly `rows` invoices."""
    if rows < 1:
        raise UserError(f"rows must be at least 1 (got {rows})", location=Location(parameter="rows"))
    timeline = Timeline.parse(current_period)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".generate.", dir=out))
    generator = _Generator(rows, timeline, seed)
    counts = dict.fromkeys(TABLES, 0)
    writers: dict[str, pq.ParquetWriter] = {}

    def write(table: str, data: pa.Table) -> None:
        if table not in writers:
            writers[table] = pq.ParquetWriter(
                staging / f"{table}.parquet",
                data.schema,
                compression="snappy",
                use_dictionary=_dictionary(data),
            )
        writers[table].write_table(data, row_group_size=max(1, data.num_rows))
        counts[table] += data.num_rows

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            # two writers (invoices; the rest) work on chunk i while chunk i+1 is generated
            pending: list[Future[None]] = []
            index = 0
            while (chunk := generator.chunk(index)) is not None:
                for future in pending:
                    future.result()
                pending = [
                    pool.submit(write, "raw_invoices", chunk.invoices),
                    pool.submit(
                        _write_many,
                        write,
                        [("raw_contracts", chunk.contracts), ("raw_payments", chunk.payments)],
                    ),
                ]
                index += 1
            for low, high in generator.account_chunks():
                accounts = generator.accounts_table(low, high)
                for future in pending:
                    future.result()
                pending = [pool.submit(write, "raw_accounts", accounts)]
            for future in pending:
                future.result()
        for writer in writers.values():
            writer.close()
        for table in TABLES:
            os.replace(staging / f"{table}.parquet", out / f"{table}.parquet")
    finally:
        for writer in writers.values():
            if writer.is_open:
                writer.close()
        shutil.rmtree(staging, ignore_errors=True)
    return GenerateResult(out, counts)


def _write_many(write: Callable[[str, pa.Table], None], tables: list[tuple[str, pa.Table]]) -> None:
    for name, data in tables:
        write(name, data)


def _dictionary(table: pa.Table) -> list[str]:
    return [f.name for f in table.schema if pa.types.is_dictionary(f.type)]

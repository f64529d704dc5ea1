"""The ACME world: 85 accounts, 120 contracts, 480 invoices, 460 payments over 18 months.

The world is *designed*, not sampled: every decision point of the walkthrough (pilots, setup
fees, credits, pending and void invoices, churn, mid-month expansion, refunds, professional
services, payments landing in another month) is placed on purpose, several times over the
window and with real money in the current month. A seeded RNG only picks names, days and
amounts inside the design. Tuning steps then pin the headline figures:

* canonical MRR for the current month is scaled to exactly $1,260,000.00;
* Sales' figure is set through the size of the upgrades signed mid-month (expansion);
* Finance's figure through the size of the current month's SLA credit;
* Marketing's figure through which current-month invoices are paid early next month.

Row counts are exact by construction: the start months of core subscriptions are nudged one
month at a time until the invoices number 480, and payments follow (every paid non-credit
invoice has one payment; two void invoices carry a refunded one).

Everything here works in month offsets (0 = first month, CURRENT = current month); dates are
made only by `finish.py`, so the same draws give the same world for any current period.
"""

from __future__ import annotations

import math
import random

from canon.examples.acme.calendar import CURRENT, MONTHS
from canon.examples.acme.entities import Account, Contract, Invoice

SEED = 20_261_031
N_ACCOUNTS, N_CONTRACTS, N_INVOICES, N_PAYMENTS = 85, 120, 480, 460
CANONICAL_CENTS = 1_260_000_00
C = CURRENT

# Monthly installment ranges in dollars per segment (before the canonical scaling).
INSTALLMENT = {"enterprise": (28_000, 55_000), "mid-market": (7_000, 20_000), "smb": (1_200, 4_500)}
SETUP_FEE = {"enterprise": (8_000, 15_000), "mid-market": (4_000, 8_000), "smb": (1_000, 2_500)}

# Where the exceptions land (month offsets); C is the current month.
PENDING_MONTHS = (C, C, C - 1, C - 1, C - 2, C - 5)
VOID_MONTHS = (C, C, C - 2, C - 4, C - 7, C - 9, C - 11, C - 13)
CREDIT_MONTHS = (C, C, C, C - 1, C - 3, C - 6, C - 9, C - 12)
EARLIER_EXPANSION_MONTHS = (8, 10, 11, 12, 13, 14, 14, 15, 16, 16)
CURRENT_UPGRADES = 4
PRE_WINDOW = 3  # core customers signed before the window opens
CORE = 45  # core subscription customers (incl. the pre-window ones and two new in the current month)
SERVICES_ONLY = 13  # accounts that bought professional services only
PENDING_SEGMENTS = ("enterprise",) * 2 + ("mid-market",) * 4 + ("smb",) * 3
CHURN_SPANS = ((2, 5), (0, 3), (4, 7), (6, 9), (3, 8), (9, 12), (11, 14), (8, 12), (12, 16))
CHURN_AT_CURRENT_STARTS = (11, 13, 14)
UNCONVERTED_PILOT_MONTHS = (3, 8, 12)
CONVERTED_PILOTS = 4
ACTIVE_PILOT_MONTHS = (C - 2, C - 1, C)
ONETIME_MONTHS = (
    *(0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 8, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 14),
    *(C - 2, C - 1, C, C),  # engagements running through the current month
)
PENDING_SETUP_MONTHS = (C, C - 1, C - 2)
EARLIER_REFUNDS = 6
LAG_IN_FLOOR_CENTS = 15_000_00

# Team figures the tuning aims at (the walkthrough's "about $1.2M / $1.4M / $1.1M").
FINANCE_TARGET = 1_203_000_00
SALES_TARGET = 1_398_000_00
MARKETING_TARGET = 1_100_000_00


def dollars(rng: random.Random, low: int, high: int, step: int = 10) -> int:
    """A random amount in whole `step`-dollar units between low and high dollars, in cents."""
    return rng.randrange(low // step, high // step + 1) * step * 100


def term_end(month: int, day: int, months: int) -> tuple[int, int]:
    """(month, day) of the last day of a term: the day before the anniversary (31 = month end)."""
    return (month + months - 1, 31) if day == 1 else (month + months, day - 1)


class WorldBuilder:
    """Holds the world while it is designed and tuned; each step is one method, run in order."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.accounts: list[Account] = []
        self.contracts: list[Contract] = []
        self.invoices: list[Invoice] = []
        self.services_only: list[Account] = []
        self.exceptions: dict[tuple[int, int], str] = {}  # (contract key, month) → pending | void
        self.late: set[int] = set()  # id() of invoices paid in the month after their invoice month
        self.refunded: set[int] = set()
        self.void_paid: set[int] = set()
        self.lag: dict[int, int] = {}  # days from invoice to payment, same month
        self.next_month_day: dict[int, int] = {}  # payment day when paid the next month

    def build(self) -> WorldBuilder:
        self.plan()
        self.tune_invoice_count()
        self.place_dependents()
        self.set_terms()
        self.price()
        self.bill()
        self.tune_sales()
        self.tune_finance()
        self.pay()
        self.tune_marketing()
        return self

    # -- design ---------------------------------------------------------------------------
    def _account(self, segment: str) -> Account:
        account = Account(len(self.accounts), "", segment, "", "")
        self.accounts.append(account)
        return account

    def _contract(self, account: Account, role: str, type_: str, status: str, month: int, day: int) -> Contract:
        contract = Contract(len(self.contracts), account, role, type_, status, month, day, day)
        self.contracts.append(contract)
        return contract

    def of_role(self, role: str) -> list[Contract]:
        return [c for c in self.contracts if c.role == role]

    def plan(self) -> None:
        """One account per core, churned, pilot-only, pending and services-only customer: 85."""
        rng = self.rng
        segments = ["enterprise"] * 10 + ["mid-market"] * 17 + ["smb"] * 13
        rng.shuffle(segments)
        segments = ["enterprise"] * PRE_WINDOW + segments  # the first customers were big logos
        segments += ["enterprise", "mid-market"]  # two new logos start in the current month
        for index, segment in enumerate(segments):
            month = C if index >= CORE - 2 else (-rng.randint(1, 14) if index < PRE_WINDOW else 0)
            core = self._contract(self._account(segment), "core", "recurring", "active", month, rng.randint(1, 28))
            if index >= CORE - 2 or rng.random() < 0.35:
                core.setup_cents = self._setup_fee(segment)
        for first, last in CHURN_SPANS:
            segment = rng.choice(["mid-market", "smb"])
            churned = self._contract(
                self._account(segment), "churned", "recurring", "churned", first, rng.randint(1, 28)
            )
            churned.last_invoice_month = last
            if rng.random() < 0.3:
                churned.setup_cents = self._setup_fee(segment)
        for first in CHURN_AT_CURRENT_STARTS:  # churn at the end of the current month
            segment = rng.choice(["mid-market", "smb"])
            churned = self._contract(
                self._account(segment), "churned", "recurring", "churned", first, rng.randint(1, 28)
            )
            churned.last_invoice_month = C
        for month in UNCONVERTED_PILOT_MONTHS:
            self._contract(self._account("mid-market"), "pilot", "pilot", "churned", month, rng.randint(1, 28))
        for month in ACTIVE_PILOT_MONTHS:
            segment = rng.choice(["mid-market", "smb"])
            self._contract(self._account(segment), "pilot", "pilot", "active", month, rng.randint(1, 10))
        for segment in PENDING_SEGMENTS:
            self._contract(self._account(segment), "pending", "recurring", "pending", C + 1 + rng.randint(0, 1), 1)
        self.services_only = [
            self._account(rng.choice(["enterprise", "mid-market", "smb"])) for _ in range(SERVICES_ONLY)
        ]
        if len(self.accounts) != N_ACCOUNTS:
            raise AssertionError(f"designed {len(self.accounts)} accounts, want {N_ACCOUNTS}")
        self._shape_growth()

    def _shape_growth(self) -> None:
        """Start months of the customers signed inside the window, on an exponential growth curve.

        Live core contracts grow from the pre-window base to the full base as (g^m − 1)/(g^16 − 1);
        g is the rate whose invoice count comes closest to the 480 budget, so that
        `tune_invoice_count` only has a few months to nudge.
        """
        growing = [c for c in self.of_role("core") if c.start_month == 0]

        def shape(rate: float) -> int:
            for rank, c in enumerate(growing, 1):
                share = rank / len(growing)
                c.start_month = max(1, math.ceil(math.log(1 + share * (rate**16 - 1)) / math.log(rate)))
            return abs(self._core_invoice_count() - target)

        target = N_INVOICES - self._fixed_invoice_count()
        best = min((1.01 + step / 100 for step in range(60)), key=shape)
        shape(best)

    def _setup_fee(self, segment: str) -> int:
        low, high = SETUP_FEE[segment]
        return dollars(self.rng, low, high, 250)

    # -- exact invoice count ---------------------------------------------------------------
    def _fixed_invoice_count(self) -> int:
        """Invoices whose number does not depend on the core start months."""
        churned = sum(
            (c.last_invoice_month or 0) - c.start_month + 1 + (1 if c.setup_cents else 0)
            for c in self.of_role("churned")
        )
        pilots = 3 * (len(UNCONVERTED_PILOT_MONTHS) + CONVERTED_PILOTS) + sum(C - m + 1 for m in ACTIVE_PILOT_MONTHS)
        expansions = sum(C - m for m in EARLIER_EXPANSION_MONTHS)
        fixed = len(ONETIME_MONTHS) + len(PENDING_SETUP_MONTHS) + len(CREDIT_MONTHS)
        return churned + pilots + expansions + fixed

    def _core_invoice_count(self) -> int:
        return sum(
            MONTHS - max(c.start_month, 0) + (1 if c.setup_cents and c.start_month >= 0 else 0)
            for c in self.of_role("core")
        )

    def tune_invoice_count(self) -> None:
        """Move core start months one month at a time until the invoices number exactly 480."""
        target = N_INVOICES - self._fixed_invoice_count()
        movable = [c for c in self.of_role("core") if 1 <= c.start_month <= C - 1]
        for step in range(100 * len(movable)):
            gap = target - self._core_invoice_count()
            if gap == 0:
                return
            contract = movable[step % len(movable)]
            if gap > 0 and contract.start_month > 1:
                contract.start_month -= 1
            elif gap < 0 and contract.start_month < C - 1:
                contract.start_month += 1
        raise AssertionError("cannot reach the invoice count: the design is inconsistent")

    # -- contracts that hang off existing customers ----------------------------------------
    def place_dependents(self) -> None:
        rng = self.rng
        core = self.of_role("core")
        big = [c for c in core if c.account.segment != "smb"]
        for month in EARLIER_EXPANSION_MONTHS:
            parent = rng.choice([c for c in big if c.start_month < month])
            upgrade = self._contract(parent.account, "expansion", "recurring", "active", month, rng.randint(10, 20))
            upgrade.parent, upgrade.billing_day, upgrade.first_invoice_month = (
                parent,
                parent.billing_day,
                month + 1,
            )
        for _ in range(CURRENT_UPGRADES):  # signed mid-month in the current month: first invoice next month
            parent = rng.choice([c for c in big if c.start_month < C])
            upgrade = self._contract(parent.account, "expansion", "recurring", "active", C, rng.randint(10, 20))
            upgrade.parent, upgrade.billing_day = parent, parent.billing_day
        converted = rng.sample([c for c in core if 4 <= c.start_month < C], CONVERTED_PILOTS)
        for customer in sorted(converted, key=lambda c: c.key):
            self._contract(customer.account, "pilot", "pilot", "churned", customer.start_month - 3, customer.start_day)
        hosts_pool = core + self.of_role("churned")
        services_only = iter(self.services_only)
        services_slots = set(rng.sample(range(len(ONETIME_MONTHS)), SERVICES_ONLY))
        for slot, month in enumerate(ONETIME_MONTHS):
            if slot in services_slots:
                account = next(services_only)
            else:
                hosts = [
                    c
                    for c in hosts_pool
                    if c.start_month <= month and (c.last_invoice_month is None or c.last_invoice_month >= month)
                ]
                account = rng.choice(hosts).account
            self._contract(account, "onetime", "one-time", "active", month, rng.randint(1, 28))
        if len(self.contracts) != N_CONTRACTS:
            raise AssertionError(f"designed {len(self.contracts)} contracts, want {N_CONTRACTS}")

    def set_terms(self) -> None:
        """End dates: long terms for live contracts, the churn month for churned ones."""
        rng = self.rng
        for c in self.contracts:
            if c.role in ("core", "pending"):
                months = rng.choice((12, 24, 36))
                while term_end(c.start_month, c.start_day, months)[0] <= C:
                    months += 12
                c.end_month, c.end_day = term_end(c.start_month, c.start_day, months)
            elif c.role == "churned":
                c.end_month, c.end_day = c.last_invoice_month or 0, 31
            elif c.role == "pilot":
                c.end_month, c.end_day = term_end(c.start_month, c.start_day, 3)
            elif c.role == "onetime":
                if c.start_month >= C - 2:  # engagements running through the current month
                    months = C - c.start_month + rng.randint(1, 3)
                else:
                    months = rng.randint(1, min(6, C - 1 - c.start_month))
                c.end_month, c.end_day = term_end(c.start_month, c.start_day, months)
        for c in self.of_role("expansion"):  # co-termed with the contract they upgrade
            assert c.parent is not None
            c.end_month, c.end_day = c.parent.end_month, c.parent.end_day

    # -- amounts ---------------------------------------------------------------------------
    def price(self) -> None:
        """Installments per segment; then canonical current-month contracts scale to exactly $1.26M."""
        rng = self.rng
        for c in self.contracts:
            if c.role == "churned" and c.last_invoice_month == C:  # churn at month end: smaller accounts
                c.annual_cents = 12 * dollars(rng, 4_000, 7_000)
            elif c.role in ("core", "pending", "churned"):
                low, high = INSTALLMENT[c.account.segment]
                c.annual_cents = 12 * self._installment(low, high)
            elif c.role == "pilot":
                c.annual_cents = 12 * dollars(rng, 3_000, 6_500)
            elif c.role == "onetime":
                c.annual_cents = dollars(rng, 6_000, 48_000, 600)
        for c in self.of_role("expansion"):
            if c.start_month < C and c.parent is not None:
                c.annual_cents = 12 * (round(c.parent.installment * rng.uniform(0.15, 0.35) / 1000) * 1000)
        self._pick_exceptions()
        self._scale_canonical()

    def _installment(self, low: int, high: int) -> int:
        if self.rng.random() < 0.25:  # a yearly list price billed in twelfths: odd cents
            return dollars(self.rng, low * 12, high * 12, 1_000) // 12
        return dollars(self.rng, low, high)

    def _pick_exceptions(self) -> None:
        """Pending and void subscription invoices, on core contracts already billing that month."""
        for status, months in (("pending", PENDING_MONTHS), ("void", VOID_MONTHS)):
            for month in months:
                pool = [
                    c for c in self.of_role("core") if c.start_month < month and (c.key, month) not in self.exceptions
                ]
                # current month: mid-market (real money, not a whale); earlier: the smallest customers first
                wanted = ("mid-market",) if month == C else ("smb", "mid-market", "enterprise")
                segment = next(s for s in wanted if any(c.account.segment == s for c in pool))
                chosen = self.rng.choice([c for c in pool if c.account.segment == segment])
                self.exceptions[(chosen.key, month)] = status

    def canonical_now(self) -> list[Contract]:
        """Contracts with a paid current-month subscription invoice and active recurring status."""
        return [
            c
            for c in self.contracts
            if (c.role == "core" or (c.role == "expansion" and c.start_month < C)) and (c.key, C) not in self.exceptions
        ]

    def _scale_canonical(self) -> None:
        contracts = self.canonical_now()
        total = sum(c.installment for c in contracts)
        for c in contracts:
            scaled = c.installment * CANONICAL_CENTS // total
            round_tens = c.installment % 1000 == 0  # whole-$10 prices stay whole-$10 prices
            c.annual_cents = 12 * (scaled - scaled % 1000 if round_tens else scaled)
        anchor = max(contracts, key=lambda c: (c.installment, -c.key))
        anchor.annual_cents = 12 * (CANONICAL_CENTS - sum(c.installment for c in contracts if c is not anchor))

    # -- invoices --------------------------------------------------------------------------
    def bill(self) -> None:
        rng = self.rng
        for c in self.contracts:
            if c.role == "core":
                c.first_invoice_month, c.last_invoice_month = max(c.start_month, 0), C
            elif c.role == "churned":
                c.first_invoice_month = c.start_month
            elif c.role == "pilot":
                c.first_invoice_month, c.last_invoice_month = c.start_month, min(c.start_month + 2, C)
            elif c.role == "expansion" and c.first_invoice_month is not None:
                c.last_invoice_month = C
            if c.first_invoice_month is not None and c.last_invoice_month is not None:
                for month in range(c.first_invoice_month, c.last_invoice_month + 1):
                    status = self.exceptions.get((c.key, month), "paid")
                    self.invoices.append(Invoice(c, month, c.billing_day, c.installment, "subscription", status))
            if c.setup_cents and c.start_month >= 0:
                self.invoices.append(Invoice(c, c.start_month, c.start_day, c.setup_cents, "setup"))
            if c.role == "onetime":  # professional services: billed once, as a one-time (setup) charge
                self.invoices.append(Invoice(c, c.start_month, c.start_day, c.annual_cents, "setup"))
        for c, month in zip(self.of_role("pending"), PENDING_SETUP_MONTHS, strict=False):
            c.setup_cents = self._setup_fee(c.account.segment)
            self.invoices.append(Invoice(c, month, rng.randint(2, 27), c.setup_cents, "setup"))
        for month in CREDIT_MONTHS:
            hosts = [c for c in self.of_role("core") if c.start_month < month]
            if month == C:  # the current month's SLA credits went to enterprise customers after an outage
                hosts = [c for c in hosts if c.account.segment == "enterprise"]
            host = rng.choice(hosts)
            amount = -dollars(rng, 500, max(600, host.installment // 200), 50)
            self.invoices.append(Invoice(host, month, rng.randint(5, 28), amount, "credit"))
        if len(self.invoices) != N_INVOICES:
            raise AssertionError(f"designed {len(self.invoices)} invoices, want {N_INVOICES}")

    def tune_sales(self) -> None:
        """Size the current month's mid-month upgrades so Sales' figure lands near $1.40M."""
        rng = self.rng
        target = SALES_TARGET + dollars(rng, -4_000, 4_000)
        upgrades = [c for c in self.of_role("expansion") if c.start_month == C]
        others = sum(
            c.annual_cents
            for c in self.contracts
            if c.status == "active" and c.type != "pilot" and c.runs_through(C) and c not in upgrades
        )
        room = target - others // 12
        weights = [rng.uniform(0.6, 1.4) for _ in upgrades]
        for c, weight in zip(upgrades[:-1], weights, strict=False):
            c.annual_cents = 12 * (int(room * weight / sum(weights)) // 1000 * 1000)
        upgrades[-1].annual_cents = 12 * (room - sum(c.installment for c in upgrades[:-1]))

    def tune_finance(self) -> None:
        """Size the current month's SLA credit so Finance's figure lands near $1.20M."""
        target = FINANCE_TARGET + dollars(self.rng, -4_000, 4_000)
        now = [i for i in self.invoices if i.month == C and i.status != "void"]
        adjustment, outage_a, outage_b = (i for i in now if i.type == "credit")
        adjustment.amount_cents = -dollars(self.rng, 3_000, 6_000, 50)
        credits = target - sum(i.amount_cents for i in now if i.type != "credit") - adjustment.amount_cents
        outage_a.amount_cents = int(credits * self.rng.uniform(0.35, 0.5)) // 1000 * 1000
        outage_b.amount_cents = credits - outage_a.amount_cents

    # -- payments --------------------------------------------------------------------------
    def pay(self) -> None:
        rng = self.rng
        for invoice in self.invoices:
            self.lag[id(invoice)] = rng.randint(0, 9)
            self.next_month_day[id(invoice)] = rng.randint(1, 9)
            if rng.random() < 0.08 and invoice.month < C:
                self.late.add(id(invoice))
        # Lag-in: last month's invoices paid this month must move real money.
        previous = sorted(
            (i for i in self.invoices if i.month == C - 1 and i.type == "subscription" and i.status == "paid"),
            key=lambda i: (-i.amount_cents, i.contract.key),
        )
        for invoice in previous:
            if sum(i.amount_cents for i in previous if id(i) in self.late) >= LAG_IN_FLOOR_CENTS:
                break
            self.late.add(id(invoice))
        paid = [i for i in self.invoices if i.status == "paid" and i.type == "subscription"]
        for invoice in rng.sample([i for i in paid if i.month < C], EARLIER_REFUNDS):
            self.refunded.add(id(invoice))
        sizeable = [i for i in paid if i.month == C and i.contract.role == "core" and i.amount_cents >= 8_000_00]
        for invoice in rng.sample(sizeable, 2):
            self.refunded.add(id(invoice))
        voids = sorted((i for i in self.invoices if i.status == "void"), key=lambda i: (-i.month, i.contract.key))
        for invoice in (voids[0], voids[4]):  # billed, paid, then voided and refunded
            self.void_paid.add(id(invoice))
            self.refunded.add(id(invoice))

    def payable(self) -> list[Invoice]:
        return [i for i in self.invoices if i.type != "credit" and (i.status == "paid" or id(i) in self.void_paid)]

    def paid_month(self, invoice: Invoice) -> int:
        return invoice.month + (1 if id(invoice) in self.late else 0)

    def _marketing_now(self) -> int:
        return sum(i.amount_cents for i in self.payable() if self.paid_month(i) == C and id(i) not in self.refunded)

    def tune_marketing(self) -> None:
        """Let some current-month invoices be paid early next month so Marketing lands near $1.10M."""
        high = MARKETING_TARGET + dollars(self.rng, 0, 4_000)
        low = high - 12_000_00
        total = self._marketing_now()
        candidates = [
            i
            for i in self.invoices
            if i.month == C
            and i.type == "subscription"
            and i.status == "paid"
            and id(i) not in self.refunded
            and i.contract.role in ("core", "expansion")
        ]
        self.rng.shuffle(candidates)
        for invoice in candidates:
            if total <= high:
                break
            if total - invoice.amount_cents >= low:
                self.late.add(id(invoice))
                total -= invoice.amount_cents
        if not low <= total <= high:
            raise AssertionError(f"Marketing's figure {total} is outside [{low}, {high}]")

"""The rows of the ACME world, as plain records with integer cents.

`role` is the generator's own bookkeeping (why a row exists: a core subscription, an
expansion, a pilot...); it never reaches the CSV files, which carry only the columns of the
walkthrough. Tests never read roles either: they check the world through SQL on the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(eq=False)
class Account:
    key: int
    name: str
    segment: str
    industry: str
    sales_rep: str
    created_at: date = date.min
    account_id: str = ""


@dataclass(eq=False)
class Contract:
    key: int
    account: Account
    role: str  # core | expansion | churned | pilot | onetime | pending
    type: str  # recurring | pilot | one-time
    status: str  # active | churned | pending
    start_month: int  # month offset of start_date (may be negative: signed before the window)
    start_day: int
    billing_day: int
    annual_cents: int = 0
    parent: Contract | None = field(default=None, repr=False)  # expansions: the contract upgraded
    end_month: int = 0  # end_date as (month offset, day); day 31 means the month's last day
    end_day: int = 31
    end: date = date.max
    start: date = date.min
    first_invoice_month: int | None = None  # subscription invoices run first..last (inclusive)
    last_invoice_month: int | None = None
    setup_cents: int = 0  # setup fee invoiced on the start date (0 = none)
    contract_id: str = ""

    @property
    def installment(self) -> int:
        """One monthly subscription invoice: annual value ÷ 12, exact because annual = 12 × installment."""
        return self.annual_cents // 12

    def runs_through(self, month: int) -> bool:
        """Whether the contract's start/end dates overlap month `month` (Sales' rule)."""
        return self.start_month <= month <= self.end_month

    def bills_in(self, month: int) -> bool:
        return (
            self.first_invoice_month is not None
            and self.last_invoice_month is not None
            and self.first_invoice_month <= month <= self.last_invoice_month
        )


@dataclass(eq=False)
class Invoice:
    contract: Contract
    month: int
    day: int
    amount_cents: int
    type: str  # subscription | setup | credit
    status: str = "paid"  # paid | pending | void
    invoice_date: date = date.min
    invoice_id: str = ""
    payment: Payment | None = field(default=None, repr=False)

    @property
    def account(self) -> Account:
        return self.contract.account


@dataclass(eq=False)
class Payment:
    invoice: Invoice
    payment_date: date
    refunded: bool = False
    payment_id: str = ""

    @property
    def amount_cents(self) -> int:
        return self.invoice.amount_cents


@dataclass(eq=False)
class World:
    accounts: list[Account]
    contracts: list[Contract]
    invoices: list[Invoice]
    payments: list[Payment]

"""Turn the designed world (month offsets) into dated rows with ids, for one timeline.

Names, industries, reps and account creation dates come from their own seeded RNG so that
naming never disturbs the design draws. Ids are given in date order, so `INV-00001` is the
oldest invoice whatever the current period.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from canon.examples.acme.calendar import Timeline
from canon.examples.acme.entities import Account, Contract, Invoice, Payment, World
from canon.examples.acme.names import INDUSTRIES, NAME_STEMS, NAME_SUFFIXES, SALES_REPS
from canon.examples.acme.world import SEED, WorldBuilder

_TYPE_ORDER = {"subscription": 0, "setup": 1, "credit": 2}


def finish_world(builder: WorldBuilder, timeline: Timeline) -> World:
    rng = random.Random(SEED + 1)
    _name_accounts(builder.accounts, rng)
    for c in builder.contracts:
        c.start = timeline.day(c.start_month, c.start_day)
        c.end = timeline.day(c.end_month, c.end_day)
    for invoice in builder.invoices:
        invoice.invoice_date = timeline.day(invoice.month, invoice.day)
    payments = [_payment(builder, invoice, timeline) for invoice in builder.payable()]
    _date_accounts(builder.accounts, builder.contracts, builder.invoices, rng)
    return _with_ids(builder.accounts, builder.contracts, builder.invoices, payments)


def _name_accounts(accounts: list[Account], rng: random.Random) -> None:
    pairs = [(stem, suffix) for stem in NAME_STEMS for suffix in NAME_SUFFIXES]
    for account, (stem, suffix) in zip(accounts, rng.sample(pairs, len(accounts)), strict=True):
        account.name = f"{stem} {suffix}"
        account.industry = rng.choice(INDUSTRIES)
        account.sales_rep = rng.choice(SALES_REPS[account.segment])


def _payment(builder: WorldBuilder, invoice: Invoice, timeline: Timeline) -> Payment:
    key = id(invoice)
    if key in builder.late:
        paid_on = timeline.day(invoice.month + 1, builder.next_month_day[key])
    else:
        paid_on = timeline.day(invoice.month, min(invoice.day + builder.lag[key], timeline.days_in(invoice.month)))
    payment = Payment(invoice, paid_on, refunded=key in builder.refunded)
    invoice.payment = payment
    return payment


def _date_accounts(
    accounts: list[Account], contracts: list[Contract], invoices: list[Invoice], rng: random.Random
) -> None:
    """An account exists before its first contract is signed (or first invoiced, for pending deals)."""
    first: dict[int, date] = {}
    for c in contracts:
        first[c.account.key] = min(first.get(c.account.key, date.max), c.start)
    for i in invoices:
        first[i.account.key] = min(first.get(i.account.key, date.max), i.invoice_date)
    for account in accounts:
        account.created_at = first[account.key] - timedelta(days=rng.randint(5, 240))


def _with_ids(
    accounts: list[Account], contracts: list[Contract], invoices: list[Invoice], payments: list[Payment]
) -> World:
    accounts = sorted(accounts, key=lambda a: (a.created_at, a.name))
    for n, account in enumerate(accounts, 1):
        account.account_id = f"ACC-{n:04d}"
    contracts = sorted(contracts, key=lambda c: (c.start, c.account.account_id, c.key))
    for n, contract in enumerate(contracts, 1):
        contract.contract_id = f"CTR-{n:04d}"
    invoices = sorted(invoices, key=lambda i: (i.invoice_date, i.contract.contract_id, _TYPE_ORDER[i.type]))
    for n, invoice in enumerate(invoices, 1):
        invoice.invoice_id = f"INV-{n:05d}"
    payments = sorted(payments, key=lambda p: (p.payment_date, p.invoice.invoice_id))
    for n, payment in enumerate(payments, 1):
        payment.payment_id = f"PAY-{n:05d}"
    return World(accounts, contracts, invoices, payments)


def build_world(timeline: Timeline) -> World:
    """The ACME world for a timeline: same timeline → same rows; another one → same rows, shifted."""
    return finish_world(WorldBuilder().build(), timeline)

"""Which metric an output column is named for, and whether a raw column is named like money.

Without a contract the audit has no measure table to anchor a metric's family, so it reads
what the project's authors wrote: an output `net_mrr` or `mrr_cents` is MRR, `total_arr` is
ARR, `gross_sales` is revenue, `invoiced_cents` is billings (which revenue counts as one of its
definitions). Names are matched on whole tokens (`mrr_cents` → mrr, cents), the longest alias
of the knowledge base winning (`new_mrr` is the movement, not MRR). A name is evidence, not
proof: a model whose money output is named for nothing is still a candidate, ranked after the
named ones; one named for *another* metric is listed as such rather than compared.

Integer columns are money only when named so (`amount`, `*_cents`, `total`): integer cents
are how billing systems store money, while `quantity` or `seats` are integers that are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from canon.kb.model import knowledge_base

NAMED = 0  # named for the audited metric (or one it counts, like billings for revenue)
UNNAMED = 1  # named for no metric
OTHER = 2  # named for another metric (kept only when a contract anchors the family)

MONEY_WORDS = frozenset(
    {
        "amount", "amt", "cents", "price", "total", "subtotal", "value", "revenue", "mrr", "arr", "fee",
        "fees", "paid", "balance", "cost", "net", "gross", "refund", "refunded", "credit", "charge", "payment",
        "cash", "sales", "usd", "eur", "gbp", "money", "tax", "discount", "due", "billed", "invoiced",
    }
)  # fmt: skip
UNIT_WORDS = frozenset({"cents", "usd", "eur", "gbp", "dollars", "amount", "amt", "total", "sum"})
NOT_MONEY_WORDS = frozenset({"id", "key", "quantity", "qty", "count", "seats", "units", "number", "num", "days"})


def tokens(name: str) -> list[str]:
    """`netMrrCents` / `net_mrr_cents` / `NET-MRR` → [net, mrr, cents]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def named_like_money(column: str) -> bool:
    """An integer column holding money, by its name (`amount`, `total_cents`, not `quantity`)."""
    words = set(tokens(column))
    return bool(words & MONEY_WORDS) and not words & NOT_MONEY_WORDS


def _contains(words: list[str], alias: list[str]) -> bool:
    n = len(alias)
    return any(words[i : i + n] == alias for i in range(len(words) - n + 1))


@lru_cache(maxsize=1)
def _aliases() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(metric, alias tokens), longest first: the most specific name wins."""
    out = [
        (m.key, tuple(tokens(alias)))
        for m in knowledge_base().metrics.values()
        for alias in dict.fromkeys((m.key, *m.aliases))
    ]
    return tuple(sorted(out, key=lambda kv: -len(kv[1])))


def metric_named(output: str) -> str | None:
    """The knowledge-base metric an output column is named for (None: for none)."""
    words = tokens(output)
    for key, alias in _aliases():
        if _contains(words, list(alias)):
            return key
    return None


@dataclass(frozen=True)
class OutputNames:
    """How an audited metric reads output names: its own, the metrics it counts, the others."""

    metric: str

    def counted(self) -> set[str]:
        standard = knowledge_base().metric(self.metric)
        if standard is None:
            return {self.metric.lower()}
        return {standard.key, *standard.related}

    def rank(self, output: str) -> int | None:
        """NAMED, UNNAMED, or None when the output is named for another metric."""
        named = metric_named(output)
        if named is None:
            own = tokens(self.metric)
            return NAMED if own and _contains(tokens(output), own) else UNNAMED
        return NAMED if named in self.counted() else None

    def closeness(self, output: str) -> tuple[int, int]:
        """Order among a model's outputs named for the metric: the one its authors call the metric first.

        Unit words aside (`revenue_cents` is `revenue`), a name that is the metric's own key
        comes first, then one that is an alias (`net_cash`), then one that contains one, the
        more tokens covered the better (`gross_cash_cents` is a part of cash, not cash).
        """
        core = [w for w in tokens(output) if w not in UNIT_WORDS]
        own = [(k, a) for k, a in _aliases() if k in self.counted()]
        if any(list(a) == core and a == tuple(tokens(k)) for k, a in own):
            return (0, 0)
        if any(list(a) == core for _, a in own):
            return (1, 0)
        return (2, -max((len(a) for _, a in own if _contains(core, list(a))), default=0))

    def other(self, output: str) -> str | None:
        """The other metric an output is named for (for the reason a model is skipped)."""
        named = metric_named(output)
        return named if named is not None and named not in self.counted() else None


def model_named_for(model: str, output: str) -> bool:
    """Whether a model's name spells out the output's name (`finance_net_revenue_after_returns`
    and its `net_revenue_after_returns`): among outputs named for the metric, the one the model
    is named after is what it computes (`revenue` and `refunds` beside it are its parts)."""
    core = [w for w in tokens(output) if w not in UNIT_WORDS]
    words = tokens(model)
    return len(core) > 1 and any(words[i : i + len(core)] == core for i in range(len(words) - len(core) + 1))

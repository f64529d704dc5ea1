"""Load the knowledge base and classify a column's actual values into concepts.

Classification is by the VALUES a column holds (its real domain in the warehouse), normalized:
a column whose values are {subscription, setup, credit} is a revenue-type column whatever it is
called, and `setup` is a one-time charge in any project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from canon.contracts.values import Scalar


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    url: str
    tag: str


@dataclass(frozen=True)
class Claim:
    source: Source
    stance: str
    text: str

    def cite(self) -> str:
        return f"{self.source.name} ({self.source.url})"


@dataclass(frozen=True)
class KbDecision:
    key: str
    family: str | None
    admit: tuple[str, ...]
    exclude: tuple[str, ...]
    judgment: tuple[str, ...]
    prefer: str | None
    claims: tuple[Claim, ...]

    @property
    def supporting(self) -> list[Claim]:
        return [c for c in self.claims if c.stance == "supports"]

    @property
    def dissenting(self) -> list[Claim]:
        return [c for c in self.claims if c.stance == "dissents"]


@dataclass(frozen=True)
class JudgmentCallSpec:
    key: str
    question: str
    note: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class KbMetric:
    key: str
    label: str
    aliases: tuple[str, ...]
    definition: str
    decisions: dict[str, KbDecision] = field(default_factory=dict)
    judgment_calls: tuple[JudgmentCallSpec, ...] = ()
    claims: tuple[Claim, ...] = ()
    related: tuple[str, ...] = ()  # metrics whose named outputs are definitions of this one too (billings of revenue)


@dataclass(frozen=True)
class Classification:
    family: str
    concepts: dict[Any, str]  # value → concept (values the family does not know are absent)
    coverage: float


def normalize(value: Scalar) -> str:
    text = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
    return re.sub(r"[\s_\-]+", " ", text)


class KnowledgeBase:
    def __init__(self, data: dict[str, Any], concepts: dict[str, Any], sources: dict[str, Any]) -> None:
        self.sources = {k: Source(k, v["name"], v["url"], v.get("tag", "U")) for k, v in sources["sources"].items()}
        self.families: dict[str, dict[str, set[str]]] = {
            fam: {concept: {normalize(v) for v in words} for concept, words in spec["concepts"].items()}
            for fam, spec in concepts["families"].items()
        }
        self.metrics: dict[str, KbMetric] = {}
        for key, spec in data["metrics"].items():
            decisions = {
                dk: KbDecision(
                    key=dk,
                    family=d.get("family"),
                    admit=tuple(d.get("admit", [])),
                    exclude=tuple(d.get("exclude", [])),
                    judgment=tuple(d.get("judgment", [])),
                    prefer=d.get("prefer"),
                    claims=tuple(self._claim(c) for c in d.get("claims", [])),
                )
                for dk, d in (spec.get("decisions") or {}).items()
            }
            calls = tuple(
                JudgmentCallSpec(
                    c["key"], c["question"], c.get("note", ""), tuple(self.sources[s] for s in c.get("sources", []))
                )
                for c in spec.get("judgment_calls", [])
            )
            self.metrics[key] = KbMetric(
                key=key,
                label=spec["label"],
                aliases=tuple(spec.get("aliases", [key])),
                definition=spec["definition"].strip(),
                decisions=decisions,
                judgment_calls=calls,
                claims=tuple(self._claim(c) for c in spec.get("claims", [])),
                related=tuple(spec.get("related", [])),
            )

    def _claim(self, c: dict[str, Any]) -> Claim:
        return Claim(self.sources[c["source"]], c["stance"], c["text"])

    def metric(self, name: str) -> KbMetric | None:
        key = name.lower()
        for m in self.metrics.values():
            if key == m.key or key in m.aliases:
                return m
        return None

    def classify(self, values: list[Scalar]) -> Classification | None:
        """The family that explains most of a column's values, and each value's concept."""
        present = [v for v in values if v is not None]
        if not present:
            return None
        best: Classification | None = None
        for family, concepts in self.families.items():
            mapping: dict[Any, str] = {}
            for v in present:
                norm = normalize(v)
                for concept, words in concepts.items():
                    if norm in words:
                        mapping[v] = concept
                        break
            coverage = len(mapping) / len(present)
            if mapping and (best is None or coverage > best.coverage):
                best = Classification(family, mapping, coverage)
        return best if best is not None and best.coverage >= 0.5 else None


def _read(name: str) -> dict[str, Any]:
    text = resources.files("canon.kb").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return KnowledgeBase(_read("metrics.yml"), _read("concepts.yml"), _read("sources.yml"))

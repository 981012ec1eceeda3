"""Filters by document, congress, region and kind, shared by the store, retrieval, CLI and UI."""

from __future__ import annotations

from dataclasses import dataclass, field

from vectorstore.units import Unit


@dataclass(frozen=True)
class Filters:
    symbols: tuple[str, ...] = ()
    congresses: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # "summary", "recommendation", "other"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def empty(self) -> bool:
        return not (self.symbols or self.congresses or self.regions or self.kinds)

    def matches(self, unit: Unit) -> bool:
        return (
            (not self.symbols or unit.symbol in self.symbols)
            and (not self.congresses or unit.congress in self.congresses)
            and (not self.regions or unit.region in self.regions)
            and (not self.kinds or unit.kind in self.kinds)
        )

    def to_chroma_where(self) -> dict | None:
        """The same filter as a Chroma `where` clause (None when there is nothing to filter)."""
        clauses = []
        for key, values in (("symbol", self.symbols), ("congress", self.congresses),
                            ("region", self.regions), ("kind", self.kinds)):
            if len(values) == 1:
                clauses.append({key: values[0]})
            elif values:
                clauses.append({key: {"$in": list(values)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

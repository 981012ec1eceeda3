"""Named registries of extension points (embedders, answer backends, answer modes).

A registry keeps its entries in registration order, so CLI choices, UI labels and error messages
list them as they were registered. Looking up an unknown name is a UserError that names the
choices: "Unknown backend 'gpt': use llamacpp, openai or extractive."
"""

from __future__ import annotations

from typing import Generic, TypeVar

from vectorstore.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str, *, quote_choices: bool = False):
        self.what = what  # "backend", "embeddings backend", "mode"
        self.quote_choices = quote_choices
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        self._entries[name] = entry
        return entry

    def copy(self) -> Registry[T]:
        """A registry with the same entries (tests register extra ones into a copy)."""
        twin = Registry(self.what, quote_choices=self.quote_choices)
        twin._entries = dict(self._entries)
        return twin

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def entries(self) -> tuple[T, ...]:
        return tuple(self._entries.values())

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise UserError(f"Unknown {self.what} {name!r}: use {self.choices()}.")
        return self._entries[name]

    def choices(self) -> str:
        """"a, b or c" (quoted when the registry says so)."""
        names = [repr(n) if self.quote_choices else n for n in self._entries]
        if not names:
            return "(none registered)"
        *others, last = names
        return f"{', '.join(others)} or {last}" if others else last

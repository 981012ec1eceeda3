"""Which part of a document a catalog alias names, read from the parts' printed titles.

A catalog may list "Kyoto Declaration" and "京都宣言" among the aliases of A/RES/76/181 without
saying that the declaration is the resolution's annex (`../shared/corpus/catalog.json` does). Read
as names of the whole document, "Kyoto Declaration, para. 36" would be the resolution's paragraph
36, which does not exist. The parser knows each annex's printed title ("Kyoto Declaration on
Advancing Crime Prevention, ..."): an alias that the title of exactly one annex or appendix bears
names that part, as `{"name": "Kyoto Declaration", "part": "annex"}` does in a catalog.

An alias in the other language than the document's is compared through its official counterpart
in the terms table (京都宣言 -> Kyoto Declaration): the table is the one place official names
live. An alias that already names a part is kept as written; one that no part's title bears, or
several do, names the whole document ("resolution 76/181").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vectorstore.language import detect_language
from vectorstore.references import contains_words
from vectorstore.terms import TermTable, terms_if_readable


def aliases_naming_parts(aliases: Iterable[str | dict], part_titles: dict[str, str], language: str,
                         terms: TermTable | None = None) -> list[str | dict]:
    """`aliases` with each plain name that exactly one part's title bears turned into
    `{"name": name, "part": part}`.

    `part_titles` maps part names ("annex", "annex II"; not the body) to their printed titles;
    `language` is the document's language.
    """
    aliases = list(aliases)
    titled = {part: title for part, title in part_titles.items() if part and title}
    if not titled or not any(isinstance(alias, str) for alias in aliases):
        return aliases
    terms = terms if terms is not None else terms_if_readable()
    resolved: list[str | dict] = []
    for alias in aliases:
        if isinstance(alias, str) and alias.strip():
            forms = _forms_in(alias, language, terms)
            parts = [part for part, title in titled.items() if any(_bears(title, form) for form in forms)]
            if len(parts) == 1:
                resolved.append({"name": alias, "part": parts[0]})
                continue
        resolved.append(alias)
    return resolved


def _forms_in(alias: str, language: str, terms: TermTable | None) -> list[str]:
    """The alias as a title in `language` could print it: itself, or its official counterparts."""
    alias_language = detect_language(alias)
    if alias_language == language:
        return [alias]
    term = terms.lookup(alias, alias_language) if terms is not None else None
    return list(term.forms(language)) if term is not None else []


def _bears(title: str, name: str) -> bool:
    """Whether `title` contains `name`: as whole words (references.contains_words), or in Chinese
    anywhere, spaces aside."""
    if detect_language(name) != "zh":
        return contains_words(title, name)
    characters = name.replace(" ", "")
    return bool(characters) and re.search(r"\s*".join(map(re.escape, characters)), title) is not None

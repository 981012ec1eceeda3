"""Bilingual wording shared by every layer: one sentence in the reader's language, region names,
ordinals and the short description of a document.

`say(language, zh=..., en=...)` takes keyword-only texts, so the two languages can never be swapped
by argument order. Region names are official names and therefore data: they come from the
`region` rows of the one terms table (`vectorstore/data/official_terms.tsv`); only the English
adjectives used in running text ("the European meeting") live here.
"""

from __future__ import annotations

from functools import lru_cache

# Running-text adjectives of the regions' English names ("the Latin American and Caribbean meeting").
_REGION_ADJECTIVES = {
    "Europe": "European",
    "Latin America and the Caribbean": "Latin American and Caribbean",
    "Asia and the Pacific": "Asia-Pacific",
    "Western Asia": "Western Asian",
    "Africa": "African",
}


def say(language: str, *, zh: str, en: str) -> str:
    """`zh` for a Chinese reader, `en` for everyone else."""
    return zh if language == "zh" else en


def reader_language(language: str) -> str:
    """"zh" for a Chinese reader, "en" for everyone else (the two languages the wording is written in)."""
    return "zh" if language == "zh" else "en"


def other_language(language: str) -> str:
    """The language a text is rendered into: English for Chinese, Chinese for everything else."""
    return "en" if language == "zh" else "zh"


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """English region name -> Chinese region name, from the terms table."""
    from vectorstore.terms import load_terms  # the table's module imports other_language from here

    return {term.official("en"): term.official("zh") for term in load_terms().terms if term.kind == "region"}


def region_names() -> dict[str, str]:
    """Every known region: English name -> Chinese name."""
    return dict(_regions())


def region_name(region: str, language: str) -> str:
    """The region's name in `language` (an unknown region keeps the name it was given)."""
    return _regions().get(region, region) if language == "zh" else region


def region_adjective(region: str) -> str:
    """English adjective for running text; an unknown region keeps its name."""
    return _REGION_ADJECTIVES.get(region, region)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 14th, 21st ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def congress_name(congress: int, language: str, *, short: bool = False) -> str:
    """"第14届预防犯罪大会" / "14th Congress" (short Chinese form: "第14届")."""
    if language == "zh":
        return f"第{congress}届" if short else f"第{congress}届预防犯罪大会"
    return f"{ordinal(congress)} Congress"


def describe_document(symbol: str, region: str, congress: int | None, language: str) -> str:
    """"SYMBOL（拉丁美洲和加勒比，第14届）" / "SYMBOL (Latin America and the Caribbean, 14th Congress)"."""
    details = [region_name(region, language) if region else "",
               congress_name(congress, language, short=True) if congress else ""]
    details = [d for d in details if d]
    if not details:
        return symbol
    return say(language, zh=f"{symbol}（{'，'.join(details)}）", en=f"{symbol} ({', '.join(details)})")


def declaration_name(congress: int, infos, language: str) -> str:
    """"the Abu Dhabi Declaration (15th Congress)" / "《阿布扎比宣言》（第15届预防犯罪大会）": the name the
    catalog gives the congress's declaration (`declaration` of any of `infos`, e.g. a report that
    fed it; Chinese from the terms table), else "the declaration of the 15th Congress" /
    "第15届预防犯罪大会的宣言"."""
    from vectorstore.references import official_declaration_name
    from vectorstore.terms import terms_if_readable

    names = [getattr(i, "declaration", "") for i in infos if getattr(i, "congress", None) == congress]
    table = terms_if_readable()
    # else the official name of "<venue> Declaration", when the terms table has it (Doha Declaration)
    name = next((n for n in names if n), "") or official_declaration_name(congress)
    congress_text = congress_name(congress, language)
    if not name:
        return say(language, zh=f"{congress_text}的宣言", en=f"the declaration of the {congress_text}")
    if language != "zh":
        return f"the {name} ({congress_text})"
    term = table.lookup(name, "en") if table is not None else None
    return f"《{term.official('zh')}》（{congress_text}）" if term else f"{name}（{congress_text}）"

"""The figures a text states, as values, in English or Chinese: "twenty-third", "23rd", "二十三",
"第二十三届" and "23" are all 23; "2 billion" and "20亿" are both 2000000000.

A restatement, or a machine rendering, must not change a figure: "the twenty-third special
session" is not "二十届特设会议", "7 to 12 March 2021" is not "2021年3月7日至11日". Lexical
overlap cannot see such a change (one token among many), so the support check and the renderings
check compare figures as values, across languages.

Two readings:
- `stated_figures(text)`: the figures a sentence clearly states. Words that are numbers only
  sometimes ("one of", "first of all", 一些, 一个, 两者, 十分) are left out, so a statement is not
  held to a figure it does not state. Used for what must be found.
- `all_figures(text)`: every reading, the doubtful ones too (plus month names as their
  numbers). Used for where a figure may be found, so that a figure the source writes
  in another form still counts as found.
"""

from __future__ import annotations

import re
import unicodedata

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_EN_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}
_EN_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
                    "seventieth": 70, "eightieth": 80, "ninetieth": 90}
# "decades" after a cardinal counts years: "five decades" is 50 (as "50 年" writes it)
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
              "hundredth": 100, "thousandth": 1000, "decades": 10}
_EN_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
# Number words that are often not figures at all ("one of the", "first of all", "second" as time).
_EN_DOUBTFUL = {"one", "first", "second"}
_EN_WORD = re.compile(r"[A-Za-z]+")

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_LARGE = {"万": 10**4, "亿": 10**8}
_ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
# A Chinese numeral followed by one of these counts something ("三次", "十四届", "30个").
_ZH_MEASURE = re.compile(r"^(?:届|次|年|月|日|号|个|名|项|条|款|段|国|位|份|种|倍|岁|周年|天|小时|场|%|％)")

# An Arabic number, with thousands separators or decimals; a following scale word multiplies it.
# A number joined to letters is part of a name ("COVID-19", "G20"), not a figure.
_NUMBER = re.compile(r"(?<![\d.A-Za-z])(?<![A-Za-z]-)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
                     r"(?:\s*(万|亿|million|billion)\b|(万|亿))?")
_ORDINAL_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b")
# A heading's own number ("三. 出席情况", "IV. Recommendations"): its place in the document, not a figure.
_HEADING_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十]+|[IVXLC]+|[A-Z]|\d{1,2})[.、．]\s*")
# A list's own numbering, "(1) …", "1. …", "（一）…", "㈠": layout, not a figure the text states.
_ENUMERATOR = re.compile(r"(?<![\w)）])[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3}|[ivx]{1,4})[)）]"
                         r"|(?:^|(?<=[\s：:；;。]))\d{1,2}[.、](?=\s|[^\d\s])|[\u3220-\u3229]")


def stated_figures(text: str) -> set[float]:
    """The figures `text` clearly states (see the module docstring)."""
    return _figures(text, doubtful=False)


def all_figures(text: str) -> set[float]:
    """Every figure `text` may state, in any form, month names included."""
    return _figures(text, doubtful=True)


def unit_figures(unit, attribution: bool = True) -> set[float]:
    """Every figure a unit (vectorstore.units.Unit) may state, with its lead-in and headings; with
    `attribution`, also its document's symbol, titles, names, congress and years (a statement
    that names "the Fourteenth Congress" or "the 2019 report" for a paragraph that does not
    states a figure of the document, not a new one). Not the days of its dates: a day is a claim."""
    texts = [unit.text, unit.chapeau, *(_HEADING_NUMBER.sub("", h) for h in unit.section)]
    if attribution:
        texts += [unit.symbol, unit.title_en, unit.title_zh, unit.declaration,
                  *(a["name"] if isinstance(a, dict) else a for a in unit.aliases),
                  *(d[:4] for d in unit.dates), f"{unit.congress}th Congress" if unit.congress else ""]
    return all_figures(" ".join(texts))


def changed_figures(stated_in: str, unit, attribution: bool = True) -> list[str]:
    """The figures `stated_in` (a restatement or, without `attribution`, a rendering of `unit`)
    states that the unit does not, in any form: "20" for "twenty-third", "4" (April) for "March"."""
    return _shown(stated_figures(stated_in) - unit_figures(unit, attribution))


def added_figures(stated_in: str, *sources: str) -> list[str]:
    """The figures `stated_in` states that none of the `sources` texts states in any form."""
    return _shown(stated_figures(stated_in) - all_figures(" ".join(sources)))


def lost_figures(source: str, rendering: str) -> list[str]:
    """The figures `source` clearly states that `rendering` (its translation) does not state in
    any form: "第三十三届会议" rendered "the session", "25 April" rendered "in April"."""
    return _shown(stated_figures(source) - all_figures(rendering))


def _shown(values: set[float]) -> list[str]:
    return [f"{v:g}" for v in sorted(values)]


def _figures(text: str, doubtful: bool) -> set[float]:
    text = _ORDINAL_SUFFIX.sub("", unicodedata.normalize("NFKC", text))
    if not doubtful:  # where a figure may be found, an enumerator-like "12." stays a figure
        text = _ENUMERATOR.sub(" ", text)
    found = set(_arabic(text))
    found |= set(_english_words(text, doubtful))
    found |= set(_chinese(text, doubtful))
    return found


def _arabic(text: str):
    for m in _NUMBER.finditer(text):
        value = float(m[1].replace(",", "") + ("." + m[2] if m[2] else ""))
        scale = m[3] or m[4]
        yield value * _scale(scale) if scale else value


def _scale(word: str) -> int:
    return _ZH_LARGE.get(word) or _EN_SCALES[word.lower()]


def _english_words(text: str, doubtful: bool):
    """Runs of number words ("twenty-third", "one hundred and twenty", "two billion") as values."""
    words = [w.lower() for w in _EN_WORD.findall(text)]
    i = 0
    while i < len(words):
        value, used = _english_number(words, i)
        if used:
            lone = used == 1 and words[i] in _EN_DOUBTFUL
            if doubtful or not lone:
                yield float(value)
            i += used
            continue
        if doubtful and words[i] in _EN_MONTHS:
            yield float(_EN_MONTHS[words[i]])
        i += 1


def _english_number(words: list[str], start: int) -> tuple[int, int]:
    """(value, how many words) of the number words at `start`; (0, 0) when there are none."""
    total = current = 0
    i = start
    while i < len(words):
        w = words[i]
        if w in _EN_UNITS or w in _EN_ORDINAL_UNITS:
            current += _EN_UNITS.get(w, _EN_ORDINAL_UNITS.get(w))
        elif w in _EN_TENS or w in _EN_ORDINAL_TENS:
            current += _EN_TENS.get(w, _EN_ORDINAL_TENS.get(w))
        elif w in _EN_SCALES and i > start:
            scale = _EN_SCALES[w]
            if scale >= 1000:
                total += (current or 1) * scale
                current = 0
            else:
                current = (current or 1) * scale
        elif w == "and" and i > start and i + 1 < len(words) and words[i - 1] in ("hundred", "thousand") \
                and (words[i + 1] in _EN_UNITS or words[i + 1] in _EN_TENS):
            pass
        else:
            break
        i += 1
    return total + current, i - start


def _chinese(text: str, doubtful: bool):
    for m in _ZH_NUMERAL.finditer(text):
        run = m[0]
        if all(ch in _ZH_LARGE for ch in run):
            continue  # 万, 亿 alone (万一, 亿万) or after Arabic digits (read there)
        if m.start() > 0 and text[m.start() - 1].isdigit():
            continue
        value = _chinese_value(run)
        if doubtful or _clearly_a_figure(text, m, value):
            yield float(value)


def _clearly_a_figure(text: str, m: re.Match, value: int) -> bool:
    """A Chinese numeral that is a figure: an ordinal (第十四), a counted thing (三次, 二十年), or a
    number of several characters (二十三, 二〇二一), not 一 of 一些 nor 两 of 两者."""
    run = m[0]
    ordinal = m.start() > 0 and text[m.start() - 1] == "第"
    if ordinal:
        return True
    if value == 1 or run.startswith("两"):
        return False
    if run == "二" and text[m.end():m.end() + 1] == "次":
        return False  # 二次 without 第 is "secondary" (二次受害, secondary victimization); twice is 两次
    counted = bool(_ZH_MEASURE.match(text[m.end():]))
    return counted or len(run) >= 2 and not run.startswith("万")


def _chinese_value(run: str) -> int:
    """二十三 -> 23, 十四 -> 14, 二〇二一 -> 2021, 三百五十 -> 350, 二十亿 -> 2000000000."""
    if len(run) > 1 and all(ch in _ZH_DIGITS for ch in run):  # digit by digit: 二〇二一
        return int("".join(str(_ZH_DIGITS[ch]) for ch in run))
    total = section = number = 0
    for ch in run:
        if ch in _ZH_DIGITS:
            number = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (number or 1) * _ZH_UNITS[ch]
            number = 0
        else:  # 万, 亿
            total = (total + section + number) * _ZH_LARGE[ch]
            section = number = 0
    return total + section + number

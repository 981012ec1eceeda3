"""BM25 keyword index over `Unit.embedding_text`: jieba words for Chinese, word tokens for Latin text.

The index is built from the store's units and saved as one `.npz` file under
`settings.data_dir/bm25/` together with the store revision it was built from; `load_or_build`
reuses it after a restart and rebuilds it when the store has changed.

Scores are language-aware: Chinese units are scored with the query's Chinese tokens and other
units with its Latin tokens. An English question therefore gets no BM25 score on a Chinese
paragraph (symbols and numbers would only be noise there) and dense search decides alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from vectorstore.units import Unit

FORMAT_VERSION = 2  # bump when tokenisation or scoring changes: old index files are rebuilt
K1, B = 1.2, 0.75

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<latin>[A-Za-z0-9]+(?:['’][a-z]+)?)")
_HAS_CJK = re.compile(f"[{_CJK}]")
_SYMBOLS = re.compile(r"[A-Za-z]{1,2}(?:/[A-Za-z0-9.\-]+)+")

ZH_STOPWORDS = frozenset(
    "的 了 和 与 及 以及 在 是 对 以 为 为了 等 并 其 之 也 有 中 将 于 或 被 把 这 那 这些 那些 而 就 都 "
    "各 该 此 上 下 个 们 吗 呢 吧 啊 什么 哪些 哪个 如何 怎么 怎样 关于 方面 提到 提出 指出 说 讲 "
    "谈到 涉及 内容 报告 段 第 中的 时 还 又 从 向 由 所 一 一些 一个 以下 如下 下列 请 我 你 他 她 "
    "它 我们 他们 可以 能 会 要 是否 有何 有关 哪 里 么".split()
)
EN_STOPWORDS = frozenset(
    "a an the and or of to in on for by with at from as is are was were be been being it its this "
    "that these those which what who whom whose how why when where does do did done say says said "
    "about into than then there their they them he she his her we our you your i me my can could "
    "should would will shall may might must not no any some all each such also other more most "
    "has have had report reports paragraph paragraphs para paras tell me please mention mentioned "
    "mentions regarding concerning".split()
)

# domain terms jieba would otherwise split or glue to neighbours
_DOMAIN_WORDS = (
    "毒罪办 预防犯罪大会 区域筹备会议 刑事司法 网络犯罪 人口贩运 偷运移民 洗钱 腐败 有组织犯罪 "
    "恐怖主义 暴力侵害妇女 基于性别的暴力 儿童性剥削 儿童性虐待 加密货币 人工智能 司法协助 引渡 "
    "法治 可持续发展 数字时代 环境犯罪 贩运枪支 枪支贩运 非法采矿 恢复性司法 受害人 弱势群体 "
    "处境脆弱者 技术援助 能力建设 电子证据 虚拟资产 京都宣言 公私伙伴关系 腐败问题 资产追回 "
    "替代监禁 监狱人满为患 循证 守法文化 国际合作"
).split()

_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, initialised once, quietly (its dictionary ships with the package: no download)."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            for word in _DOMAIN_WORDS:
                jieba.add_word(word)
            _jieba = jieba
    return _jieba


def _stem(word: str) -> str:
    """A very light English plural/verb stem, enough for 'trafficking'/'traffickers' style variants."""
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokenize(text: str) -> list[str]:
    """Search tokens: jieba search-mode words for Chinese runs, lowercased stems for Latin ones."""
    tokens: list[str] = []
    for m in _RUNS.finditer(text):
        if m["cjk"]:
            for word in _segmenter().lcut_for_search(m["cjk"]):
                if word not in ZH_STOPWORDS:
                    tokens.append(word)
        else:
            word = m["latin"].lower()
            if word.isdigit() or word not in EN_STOPWORDS:
                tokens.append(word if word.isdigit() else _stem(word))
    return tokens


def query_language(text: str) -> str:
    """'zh' if most of the letters in `text` are Chinese characters, else 'en'."""
    text = _SYMBOLS.sub(" ", text)  # "A/CONF.241/RPM.2/2 第24段" is a Chinese question
    cjk = len(_HAS_CJK.findall(text))
    latin = sum(len(w) for w in re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk * 2 >= latin and cjk else "en"


class BM25Index:
    """A term x unit matrix of BM25 weights; a query's score is a sum of rows."""

    def __init__(self, ids: list[str], chinese: np.ndarray, vocab: list[str],
                 weights: sparse.csr_matrix, revision: str):
        self.ids = ids
        self.chinese = chinese  # bool per unit: scored with Chinese query tokens
        self.vocab = {term: i for i, term in enumerate(vocab)}
        self.weights = weights
        self.revision = revision
        self._row = {uid: i for i, uid in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, units: list[Unit], revision: str) -> BM25Index:
        docs = [Counter(tokenize(u.embedding_text)) for u in units]
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        for col, counts in enumerate(docs):
            for term, tf in counts.items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(col)
                tfs.append(tf)
        n = len(units)
        lengths = np.array([sum(c.values()) for c in docs], dtype=np.float64)
        avg = lengths.mean() if n and lengths.mean() > 0 else 1.0
        tf = np.array(tfs, dtype=np.float64)
        col_idx = np.array(cols, dtype=np.int64)
        row_idx = np.array(rows, dtype=np.int64)
        df = np.bincount(row_idx, minlength=len(vocab)) if len(vocab) else np.zeros(0)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = K1 * (1 - B + B * lengths[col_idx] / avg) if n else tf
        weight = idf[row_idx] * tf * (K1 + 1) / (tf + norm)
        matrix = sparse.csr_matrix((weight, (row_idx, col_idx)), shape=(len(vocab), n))
        chinese = np.array([u.language == "zh" for u in units], dtype=bool)
        return cls([u.id for u in units], chinese, list(vocab), matrix, revision)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every unit (aligned with `ids`); 0 where no query token matches."""
        tokens = list(dict.fromkeys(tokenize(query)))
        dominant_zh = query_language(query) == "zh"
        zh_terms, latin_terms = [], []
        for t in tokens:
            if t not in self.vocab:
                continue
            is_zh = bool(_HAS_CJK.search(t)) or (t.isdigit() and dominant_zh)
            (zh_terms if is_zh else latin_terms).append(self.vocab[t])
        total = np.zeros(len(self.ids))
        if zh_terms:
            total += np.asarray(self.weights[zh_terms].sum(axis=0)).ravel() * self.chinese
        if latin_terms:
            total += np.asarray(self.weights[latin_terms].sum(axis=0)).ravel() * ~self.chinese
        return total

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The best `k` (unit id, score) pairs with a positive score; `allowed` masks units out."""
        scores = self.scores(query)
        if allowed is not None:
            scores = scores * allowed
        positive = np.flatnonzero(scores > 0)
        if positive.size > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in order]

    def position(self, uid: str) -> int | None:
        return self._row.get(uid)

    # ------------------------------------------------------------ persistence

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the old index or the new one, never half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"version": FORMAT_VERSION, "revision": self.revision, "ids": self.ids,
                  "vocab": list(self.vocab)}
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, header=np.array(json.dumps(header, ensure_ascii=False)),
                     chinese=self.chinese, data=self.weights.data, indices=self.weights.indices,
                     indptr=self.weights.indptr, shape=np.array(self.weights.shape))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> BM25Index | None:
        """The saved index, or None if it is missing, unreadable or from another format version."""
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                if header.get("version") != FORMAT_VERSION:
                    return None
                matrix = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]),
                                           shape=tuple(z["shape"]))
                chinese = z["chinese"].astype(bool)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        return cls(header["ids"], chinese, header["vocab"], matrix, header["revision"])


def index_path(data_dir: Path, collection: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", collection)
    return Path(data_dir) / "bm25" / f"{safe}.npz"


def load_or_build(path: Path, revision: str, units_of_store) -> BM25Index:
    """The index at `path` if it was built from `revision`; else build from `units_of_store()` and save.

    `units_of_store` is a callable so the (possibly large) unit list is only read when needed.
    """
    index = BM25Index.load(path)
    if index is not None and index.revision == revision:
        return index
    index = BM25Index.build(units_of_store(), revision)
    try:
        index.save(path)
    except OSError as exc:  # a read-only data dir still searches, it just rebuilds next time
        logging.getLogger(__name__).warning("could not save the BM25 index to %s: %s", path, exc)
    return index

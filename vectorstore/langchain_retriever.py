"""The public LangChain retriever: the hybrid search as a `BaseRetriever` for anyone's LCEL chain.

```python
retriever = UnitRetriever.from_settings(Settings.from_env(), k=4)
retriever.invoke("A/CONF.241/RPM.2/2 para. 24 (d)")   # -> [Document(page_content=verbatim text, ...)]
```

Each Document's `page_content` is the unit's verbatim text and its `metadata` carries what a
citation needs: `id`, `symbol`, `part`, `paragraph`, `item`, `citation_en`, `citation_zh`, plus the
unit's other metadata (section, kind, region, congress, ...), `score`, `via` ("lookup" for an
exact paragraph reference, else the ranker) and the search's `notices`.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from vectorstore.filters import Filters
from vectorstore.retrieval import Hit, HybridSearcher
from vectorstore.settings import Settings


def hit_to_document(hit: Hit, notices: list[str] = ()) -> Document:
    """page_content is the verbatim unit text; metadata is the unit's plus its citations, score and via."""
    unit = hit.unit
    metadata = {
        **unit.to_metadata(),
        "id": unit.id,
        "item": unit.item or "",
        "citation_en": unit.citation("en"),
        "citation_zh": unit.citation("zh"),
        "score": hit.score,
        "via": hit.via,
        "notices": list(notices),
    }
    return Document(page_content=unit.text, metadata=metadata, id=unit.id)


class UnitRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search (`retriever.invoke("第24段")` -> Documents)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher
    k: int = 10
    filters: Filters | None = None
    mode: str = "hybrid"  # hybrid | dense | bm25

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **fields) -> UnitRetriever:
        """A retriever over the configured store (built-in corpus ingested first if missing)."""
        from vectorstore.ingest import open_store

        settings = settings or Settings.from_env()
        return cls(searcher=HybridSearcher(open_store(settings), settings), **fields)

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.searcher.search(query, self.k, self.filters, self.mode)
        return [hit_to_document(hit, result.notices) for hit in result.hits]

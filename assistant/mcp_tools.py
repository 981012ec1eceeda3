"""The four tools the app serves to MCP clients (Claude Desktop, IDE assistants, agents).

`register_mcp_tools(services)` adds them to the Blocks being built as public API endpoints
(`gr.api`); Gradio turns every public endpoint into an MCP tool named after the function and
described by its docstring, so the docstrings below are written for a model that reads them.
Every other endpoint of the app is made "undocumented" by the app (callable by its own client,
never listed as a tool). Lookup, search and the document list run outside the queue (`queue=False`):
they never wait behind a model answer. Results are JSON text, the form every MCP client reads.
"""

import json

import gradio as gr

from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.renderings import renderings_for
from vectorstore.units import Unit

# The docstrings are the tools' descriptions. Gradio joins the lines of a "Returns:" section with
# ", ", so those lines end without a comma; each "Args:" entry is one line (later lines are dropped).
TOOL_NAMES = ("lookup_paragraph", "search_paragraphs", "list_documents", "answer")
LOOKUP_LIMIT = 60  # units of the referenced paragraphs (a paragraph with many sub-items)
MAX_SEARCH_K = 30
ANSWER_MODES = ("ask", "compare", "draft")


def unit_record(unit: Unit, rendering=None) -> dict:
    """What a client needs to quote a unit: verbatim text, the citation in both conventions and,
    when there is one, its rendering in the other language (labelled machine or official)."""
    return {
        **unit.address(),
        "kind": unit.kind,
        "language": unit.language,
        "section": list(unit.section),
        "text": unit.text,
        "rendering": None if rendering is None else {
            **rendering.as_json(), "label_en": rendering.label("en"), "label_zh": rendering.label("zh")},
    }


def unit_records(units: list[Unit], settings) -> list[dict]:
    renderings = renderings_for(units, settings)
    return [unit_record(u, renderings.get(u.id)) for u in units]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def register_mcp_tools(services) -> None:
    """Add the four tools to the Blocks being built (call inside `with gr.Blocks()`)."""

    def lookup_paragraph(reference: str) -> str:
        """Look up UN Crime Congress document paragraphs by citation and return their exact, verbatim text.

        Use this whenever you need to quote or check a specific paragraph: the text returned is the
        official wording, never a paraphrase, and a paragraph that does not exist is reported as
        missing instead of being guessed. References may name the document by symbol, region or
        name, in English or Chinese: "A/CONF.241/RPM.2/2 para. 24 (d)", "拉美报告第24(d)段",
        "Kyoto Declaration para. 36", "A/RES/76/181, annex, para. 36". A unit may carry a rendering
        in the other language: quote "text" as the official wording, and when you show a rendering
        whose source is "machine", say it is an unofficial machine translation.

        Args:
            reference: the paragraph reference, e.g. "A/CONF.241/RPM.2/2 para. 24 (d)"

        Returns:
            JSON {"found": bool, "units": [{"id", "citation_en", "citation_zh", "text", "section", "symbol"
            "part", "paragraph", "item", "kind", "language", "rendering": {"language", "text", "source"
            "label_en"} or null}], "notices": [why something was not found]}
        """
        try:
            result = services.searcher.search(reference, LOOKUP_LIMIT)
        except UserError as exc:
            raise gr.Error(str(exc)) from exc
        units = [hit.unit for hit in result.hits if hit.via == "lookup"]  # never similarity hits
        notices = list(result.notices)
        if not result.references:
            notices.append("No paragraph reference was recognised. Give a document and a paragraph, e.g. "
                           "'A/CONF.241/RPM.2/2 para. 24 (d)' or '拉美报告第24(d)段'; to find paragraphs by "
                           "topic use search_paragraphs.")
        records = unit_records(units, services.settings)
        return _json({"found": bool(units), "units": records, "notices": notices})

    def search_paragraphs(query: str, documents: list[str] | None = None, kinds: list[str] | None = None,
                          regions: list[str] | None = None, congresses: list[int] | None = None,
                          k: int = 8) -> str:
        """Find paragraphs of the UN Crime Congress regional preparatory meeting reports and the Kyoto
        Declaration on a topic (hybrid keyword + semantic search, Chinese or English queries).

        Each hit carries the verbatim paragraph text and its exact citation; quote the text and cite
        the citation as given. Call list_documents to see which documents, regions and congresses exist.

        Args:
            query: what to look for, e.g. "firearms trafficking" or "保护证人"
            documents: only these document symbols, e.g. ["A/CONF.241/RPM.2/2"] (empty or omitted: all)
            kinds: only these kinds of paragraph: "recommendation", "summary", "preamble", "other"
            regions: only these regions, as listed by list_documents
            congresses: only these congresses, e.g. [14] for the Kyoto Congress
            k: how many hits, 1 to 30 (default 8)

        Returns:
            JSON {"hits": [{"rank", "via", "id", "citation_en", "citation_zh", "text", "section", ...}]
            "notices": [...]}
        """
        try:
            k = int(k)
            if not 1 <= k <= MAX_SEARCH_K:
                raise UserError(f"k must be between 1 and {MAX_SEARCH_K}, not {k}.")
            filters = Filters(symbols=tuple(documents or ()), kinds=tuple(kinds or ()),
                              regions=tuple(regions or ()),
                              congresses=tuple(int(c) for c in congresses or ()))
            result = services.searcher.search(query, k, filters)
        except (UserError, ValueError) as exc:
            raise gr.Error(str(exc)) from exc
        records = unit_records([hit.unit for hit in result.hits], services.settings)
        hits = [{"rank": rank, "via": hit.via, **record}
                for rank, (hit, record) in enumerate(zip(result.hits, records, strict=True), start=1)]
        return _json({"hits": hits, "notices": list(result.notices)})

    def list_documents() -> str:
        """List the documents that can be searched and cited: UN Crime Congress regional preparatory
        meeting reports and the Kyoto Declaration (resolution A/RES/76/181).

        Returns:
            JSON [{"symbol", "language", "congress", "region", "title_en", "title_zh", "aliases", "units"}]
            where "units" is the number of citable paragraphs and sub-items
        """
        counts = services.store.document_unit_counts()
        return _json([{"symbol": d.symbol, "language": d.language, "congress": d.congress,
                       "region": d.region, "title_en": d.title_en, "title_zh": d.title_zh,
                       "aliases": list(d.aliases), "units": counts.get(d.symbol, 0)}
                      for d in services.store.documents()])

    def answer(question: str, mode: str = "ask") -> str:
        """Answer a question about the UN Crime Congress preparatory reports and the Kyoto Declaration,
        with every statement cited to a paragraph that was checked against the documents.

        The answer is in the question's language (Chinese or English). Citations that could not be
        verified are removed before the answer is returned; quote the cited text from "citations".
        A local model may take a minute; for exact wording prefer lookup_paragraph.

        Args:
            question: the question, e.g. "What did the Latin American meeting recommend on firearms?"
            mode: "ask" (default), "compare" (what the regions said) or "draft" (declaration-style text)

        Returns:
            JSON {"answer": text with citations, "language", "backend", "mode", "citations": [{"id"
            "citation_en", "citation_zh", "text", ...}], "corrections": [...], "notices": [...]}
        """
        if mode not in ANSWER_MODES:
            raise gr.Error(f"mode must be one of {', '.join(ANSWER_MODES)}, not {mode!r}")
        backend = services.settings.backend
        try:
            with services.model_turn(backend, mode):
                result = services.chain(backend).invoke(question, mode=mode)
        except UserError as exc:
            raise gr.Error(str(exc)) from exc
        return _json({"answer": result.rendered, "language": result.language, "backend": result.backend,
                      "mode": result.mode, "citations": unit_records(result.citations, services.settings),
                      "corrections": list(result.corrections), "notices": list(result.notices)})

    for tool in (lookup_paragraph, search_paragraphs, list_documents, answer):
        # queue=False: fast tools answer at once; `answer` waits for the model in services.model_turn
        gr.api(tool, api_name=tool.__name__, queue=False)

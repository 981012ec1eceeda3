"""Bilingual interface text of the Gradio app: every label carries Chinese and English together.

Delegates work in both languages, so the interface never switches language; the answer follows
the language of the question.

The choices that name registered things are derived from their registries, so adding one needs
no edit here: MODES from assistant.modes.MODES, BACKENDS from the answer-backend registry
(assistant.backends), the file types in UPLOAD_FILE from the document readers
(vectorstore.loaders). Each joins its {"zh", "en"} labels with `bilingual`.
"""

from __future__ import annotations

from assistant.backends import backend_names, backend_spec
from assistant.modes import MODES as MODE_REGISTRY
from vectorstore.loaders import supported_suffixes


def bilingual(zh: str, en: str) -> str:
    """"中文 / English"; no space after a closing full-width bracket, which carries its own."""
    return f"{zh}{'' if zh.endswith('）') else ' '}/ {en}"


TITLE = "预防犯罪大会区域筹备会议报告助手 / Crime Congress Regional Preparatory Meetings Assistant"
SUBTITLE = (
    "每个回答都引用报告段落；请核对右侧的原文。 / "
    "Every answer cites report paragraphs; check them against the verbatim text on the right."
)

TAB_CHAT = "对话 / Chat"
TAB_UPLOAD = "上传报告 / Upload report"
TAB_DOCUMENTS = "文件 / Documents"

CHATBOT = "对话 / Conversation"
QUESTION = "问题 / Question"
QUESTION_PLACEHOLDER = (
    "例如：拉美报告关于网络犯罪的建议有哪些？ / "
    "e.g. What did the European meeting recommend on the rule of law?"
)
SEND = "提问 / Ask"
CLEAR = "清空对话 / Clear"
EXAMPLES = "示例问题 / Example questions"

MODE = "模式 / Mode"
MODES = [(bilingual(mode.labels["zh"], mode.labels["en"]), mode.name) for mode in MODE_REGISTRY.entries()]

FILTERS = "筛选 / Filters"
FILTER_DOCUMENTS = "文件 / Documents"
FILTER_CONGRESS = "大会届次 / Congress"
FILTER_REGION = "区域 / Region"
FILTER_KIND = "段落类型 / Paragraph kind"
KINDS = [
    ("审议情况概要 / Summary of deliberations", "summary"),
    ("建议 / Recommendation", "recommendation"),
    ("其他 / Other", "other"),
    ("序言部分 / Preamble", "preamble"),
]
KIND_NAMES = {value: label for label, value in KINDS}

BACKEND = "回答引擎 / Answer backend"
BACKENDS = [(bilingual(spec.labels["zh"], spec.labels["en"]), spec.name)
            for spec in map(backend_spec, backend_names())]
MODEL_IN_USE = "当前模型 / Model in use"

SOURCES = "来源 / Sources"
SOURCES_EMPTY = (
    "提问后，这里显示引用段落的原文。 / After a question, the cited paragraphs appear here verbatim."
)
SEARCHING = "检索并生成回答中… / Searching and answering…"
DRAFT = "生成中（纯文本预览，随后显示核实后的回答）/ Writing… (plain text; the verified answer follows)"
BUSY = (
    "服务器正忙于回答其他问题，请稍后再试（查段落和摘录回答不受影响）。 / "
    "The server is busy answering other questions; please try again in a minute "
    "(paragraph lookups and extractive answers still work)."
)
CITED = "已引用 / Cited"
RETRIEVED = "其他检索结果 / Other retrieved"
RETRIEVED_WHILE_ANSWERING = ("检索结果（回答生成中，随后标出引用） / "
                             "Retrieved (answer being written; citations follow)")
DETAILS = "核查详情 / Verification details"

EXPORT_MD = "导出 Markdown / Export Markdown"
EXPORT_DOCX = "导出 Word / Export .docx"

_FILE_TYPES = [suffix.lstrip(".") for suffix in supported_suffixes()]
UPLOAD_FILE = bilingual(f"报告文件（{'、'.join(_FILE_TYPES)}）", f"Report file ({', '.join(_FILE_TYPES)})")
UPLOAD_SYMBOL = "文号 / Symbol (e.g. A/CONF.241/RPM.1/1)"
UPLOAD_REGION = "区域 / Region"
UPLOAD_CONGRESS = "大会届次 / Congress (e.g. 15)"
UPLOAD_LANGUAGE = "语言 / Language"
UPLOAD_LANGUAGES = [("自动检测 / Detect", ""), ("中文 / Chinese", "zh"), ("英文 / English", "en")]
UPLOAD_TITLE = "标题 / Title"
UPLOAD_BUTTON = "导入 / Ingest"
UPLOAD_STATUS = "状态 / Status"
UPLOAD_OK = "已导入 / Ingested"
UPLOAD_FAILED = "导入失败 / Not ingested"
UPLOAD_NO_FILE = "请选择文件 / Please choose a file."
BUILTIN_PROTECTED = (
    "{symbol} 是内置报告，不能通过上传替换。 / {symbol} is a built-in report and cannot be replaced "
    "by an upload (the server was not started with --allow-builtin-upload)."
)
RENDERINGS_STARTED = (
    "（{symbols} 的另一语言译文正在后台生成，期间回答显示原文。 / Renderings of {symbols} in the other "
    "language are being produced in the background; answers show the originals meanwhile.）"
)
STORE_UNCHANGED = "（库未改动 / The store is unchanged.）"
UPLOAD_HELP = (
    "导入后即可在对话中检索；同一文号的旧版本会被替换。失败时库保持不变。 / "
    "After ingestion the report is searchable in the chat; an older version with the same symbol is "
    "replaced. On failure the store is left unchanged."
)

DOCUMENT_LIST = "已收录的报告 / Reports in the store"

# Example questions: (question, mode). Both languages, each mode once at least.
EXAMPLES_ZH = [
    ("拉美区域筹备会议关于网络犯罪提出了哪些建议？", "ask"),
    ("拉美报告第37(o)段", "lookup"),
    ("欧洲和拉美两次会议在法治方面的建议有何异同？", "compare"),
    ("根据各区域建议，起草一段关于打击枪支贩运的宣言草案。", "draft"),
]
EXAMPLES_EN = [
    ("What did the Latin American meeting recommend on firearms trafficking?", "ask"),
    ("para. 37 (o)", "lookup"),
    ("Compare the European and Latin American recommendations on legal aid.", "compare"),
    ("Draft a declaration paragraph on asset recovery based on the regional recommendations.", "draft"),
]


def mode_label(mode: str) -> str:
    return next((label for label, value in MODES if value == mode), mode)

"""Errors whose message is meant for the user: the CLI and UI show them without a traceback."""


class UserError(Exception):
    """Bad input or an unusable configuration; the message says what to do."""


class DocumentParseError(UserError):
    """A file could not be read or parsed into numbered paragraphs (message names the file)."""


class EmbedderMismatchError(UserError):
    """The collection was built with another embedder than the one configured."""


class UnknownDocumentError(UserError):
    """A symbol or reference names a document or paragraph that is not in the store."""

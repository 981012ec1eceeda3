"""Evaluated system messages kept per message, so that a change of language or mode does not
evaluate the fixed system message again.

llama-cpp-python reuses the KV cache only for the prefix a prompt shares with the previous one.
The answer prompts begin with a system message fixed per (mode, language) (assistant.prompts), so
a question in the other language, or in another mode, evaluated its ~185 tokens again: about
1.5 s of the 1.5B model's time to first statement on 2 cores. After each generation the KV cells
of the system message are saved (a few MB); before the next one, if its system message is a
saved one and not the one in the cache, they are put back, and llama.cpp evaluates only the rest.

Only the ChatML layout is handled (both shipped models use it); with any other template the
tokens do not match what was evaluated and nothing is saved.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict

from llama_cpp import llama_cpp as C

MAX_SAVED = 8  # (mode, language) pairs: 4 modes x 2 languages


def _chatml_system(system: str) -> bytes:
    return f"<|im_start|>system\n{system}<|im_end|>\n".encode()


class SystemPrefixStates:
    """Saved KV cells of system messages, for one loaded model (use under its lock)."""

    def __init__(self, limit: int = MAX_SAVED):
        self.limit = limit
        self._saved: OrderedDict[str, tuple[list[int], ctypes.Array]] = OrderedDict()
        self.restored = 0  # how many times a saved system message was put back

    def _tokens(self, llama, system: str) -> list[int]:
        return llama.tokenize(_chatml_system(system), add_bos=True, special=True)

    @staticmethod
    def _holds(llama, tokens: list[int]) -> bool:
        n = len(tokens)
        return llama.n_tokens >= n and [int(t) for t in llama.input_ids[:n]] == tokens

    def before(self, llama, system: str) -> None:
        """Put `system`'s evaluated cells back if they are saved and not in the cache now."""
        saved = self._saved.get(system)
        if saved is None:
            return
        tokens, cells = saved
        if self._holds(llama, tokens):
            return
        ctx = llama._ctx
        ctx.kv_cache_seq_rm(-1, 0, -1)
        if not C.llama_state_seq_set_data(ctx.ctx, cells, len(cells), 0):
            llama.n_tokens = 0  # nothing usable is left in the cache: evaluate from the start
            return
        llama.input_ids[:len(tokens)] = tokens
        llama.n_tokens = len(tokens)
        self._saved.move_to_end(system)
        self.restored += 1

    def after(self, llama, system: str) -> None:
        """Save `system`'s evaluated cells after a generation that began with it."""
        if system in self._saved:
            return
        tokens = self._tokens(llama, system)
        if not self._holds(llama, tokens):
            return
        ctx = llama._ctx
        # only the system message is kept: what follows differs from one question to the next
        if not ctx.kv_cache_seq_rm(-1, len(tokens), -1):
            return
        llama.n_tokens = len(tokens)
        size = C.llama_state_seq_get_size(ctx.ctx, 0)
        cells = (ctypes.c_uint8 * size)()
        if C.llama_state_seq_get_data(ctx.ctx, cells, size, 0) != size:
            return
        self._saved[system] = (tokens, cells)
        while len(self._saved) > self.limit:
            self._saved.popitem(last=False)

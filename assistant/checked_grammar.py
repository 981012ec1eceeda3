"""Greedy decoding under a GBNF grammar that asks the grammar about the model's choice first.

llama-cpp-python applies the grammar to the whole vocabulary (152k tokens for Qwen) at every
step before picking the best token: about 20 ms a token on 2 cores, a third of the 1.5B model's
decoding time. llama.cpp's own samplers (common/sampling.cpp) check the best token alone first and
filter the whole vocabulary only when the grammar refuses it. `GrammarFirstLlama` does the same:

    logits -> repeat penalty (the same llama.cpp sampler, same arguments as llama-cpp-python)
           -> best token; the grammar accepts it? take it. Else filter every token and take the
              best one left.

With greedy decoding the token is the same as filtering first (the best token, if allowed, is the
best allowed token), so answers do not change; tests/test_backends.py compares both on the real
model. Sampling with a temperature (not used by this project) keeps llama-cpp-python's path.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
from llama_cpp import Llama
from llama_cpp import llama_cpp as C

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class _GrammarFirstSampler:
    """The samplers of one generation: penalties and grammar state advance with each token."""

    def __init__(self, llama: Llama, grammar, repeat_penalty: float):
        vocab = llama._model.vocab
        self.n_vocab = llama.n_vocab()
        self.grammar = C.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
        if not self.grammar:
            raise ValueError("the grammar could not be parsed")
        # the same call as llama-cpp-python's own sampler chain, so the penalty is the same
        self.penalties = C.llama_sampler_init_penalties(self.n_vocab, llama.last_n_tokens_size,
                                                        repeat_penalty, 0.0, 0.0)
        self.data = (C.llama_token_data * self.n_vocab)()
        self.view = np.frombuffer(self.data, dtype=_TOKEN_DATA)
        self.ids = np.arange(self.n_vocab, dtype=np.int32)
        self.one = (C.llama_token_data * 1)()
        self.filtered = 0  # steps where the grammar refused the best token

    def sample(self, ctx, index: int) -> int:
        logits = np.ctypeslib.as_array(C.llama_get_logits_ith(ctx, index), shape=(self.n_vocab,))
        self.view["id"] = self.ids
        self.view["logit"] = logits
        self.view["p"] = 0.0
        candidates = C.llama_token_data_array(self.data, self.n_vocab, -1, False)
        C.llama_sampler_apply(self.penalties, ctypes.byref(candidates))
        best = int(np.argmax(self.view["logit"]))
        self.one[0].id, self.one[0].logit, self.one[0].p = best, float(self.view["logit"][best]), 0.0
        alone = C.llama_token_data_array(self.one, 1, -1, False)
        C.llama_sampler_apply(self.grammar, ctypes.byref(alone))
        token = best
        if not math.isfinite(self.one[0].logit):  # refused: filter the whole vocabulary
            self.filtered += 1
            C.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
            token = int(self.view["id"][int(np.argmax(self.view["logit"]))])
        C.llama_sampler_accept(self.grammar, token)
        C.llama_sampler_accept(self.penalties, token)
        return token

    def free(self) -> None:
        for sampler in (self.grammar, self.penalties):
            if sampler:
                C.llama_sampler_free(sampler)
        self.grammar = self.penalties = None


class GrammarFirstLlama(Llama):
    """A Llama whose greedy, grammar-constrained sampling checks the best token first."""

    _checked: tuple[object, _GrammarFirstSampler] | None = None
    filtered_steps = 0  # of the last grammar-constrained generation: steps the grammar refused

    def sample(self, *args, grammar=None, idx=None, temp: float = 0.80, repeat_penalty: float = 1.0,
               **kwargs):
        if grammar is None or temp != 0.0:
            return super().sample(*args, grammar=grammar, idx=idx, temp=temp,
                                  repeat_penalty=repeat_penalty, **kwargs)
        # one sampler per generation: the backend makes a new LlamaGrammar for each answer
        if self._checked is None or self._checked[0] is not grammar:
            self.release_checked_sampler()
            self._checked = (grammar, _GrammarFirstSampler(self, grammar, repeat_penalty))
        index = idx - self.n_tokens if idx is not None else -1
        return self._checked[1].sample(self._ctx.ctx, index)

    def release_checked_sampler(self) -> None:
        if self._checked is not None:
            self.filtered_steps = self._checked[1].filtered
            self._checked[1].free()
            self._checked = None

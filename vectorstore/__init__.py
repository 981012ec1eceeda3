"""Parsing UN reports into citable units, embedding them, storing them in Chroma, retrieval."""

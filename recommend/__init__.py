"""Ranking and analysis over sparse TF-IDF features: pure numpy/scipy/scikit-learn.

No Flask and no SQL here (a test enforces it); the only module that writes or loads
index parts is recommend/index.py.
"""

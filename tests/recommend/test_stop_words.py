"""The copied stop-word list is scikit-learn's, word for word.

recommend/stop_words.py copies it so that tokenising a query does not import
scikit-learn; indexes built with scikit-learn's list must analyse text the same way.
"""

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS

from recommend.stop_words import ENGLISH_STOP_WORDS
from recommend.text import STOP_WORDS, words


def test_the_copy_equals_scikit_learns_list():
    assert ENGLISH_STOP_WORDS == SKLEARN_STOP_WORDS


def test_the_tokeniser_drops_every_scikit_learn_stop_word():
    assert set(SKLEARN_STOP_WORDS) <= STOP_WORDS
    assert words("the yourselves neural whereafter networks") == [None, None, "neural", None, "networks"]

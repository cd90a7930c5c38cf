"""Helpers the tests share; conftest files and test modules import them from here."""

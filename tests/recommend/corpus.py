"""A small corpus with known topics, shared by the recommend tests."""

from __future__ import annotations

from datetime import date

from recommend.index import Doc

TEXTS = [
    "Deep neural network training. We train a deep neural network with batch normalization.",
    "Convolutional neural network for image classification on large image datasets.",
    "A neural network approach to speech recognition with recurrent layers.",
    "Reinforcement learning agents learn policies from rewards in simulated environments.",
    "Policy gradient methods for reinforcement learning with continuous actions.",
    "Graph neural network models for molecule property prediction.",
    "Language models translate text between languages with attention.",
    "Large language models answer questions about long documents.",
    "Image segmentation of medical images with a convolutional network.",
    "Bayesian optimization of hyperparameters for machine learning models.",
    "Reinforcement learning for robot control from camera images.",
    "Attention mechanisms in language models improve machine translation.",
]


def docs(texts: list[str] = TEXTS) -> list[Doc]:
    """Docs with ids p0, p1, ..., a date per month of 2024, and alternating categories."""
    cats = [("cs.LG", "stat.ML"), ("cs.CV",), ("cs.CL", "cs.LG")]
    return [Doc(f"p{i}", date(2024, 1 + i % 12, 1 + i % 28), cats[i % 3], text, i % 4 == 0)
            for i, text in enumerate(texts)]

"""Dense text encoders behind recommend.embedding's `Encoder` protocol.

- `static`: the default, a token-vector table distilled from all-MiniLM-L6-v2 (numpy only);
- `minilm`: the full six-layer MiniLM as a numpy forward pass (the optional
  `papersift[semantic-large]` extra; its tokeniser comes from the `tokenizers` package);
- `wordpiece`: the BERT tokeniser in plain Python, shared by both.
"""

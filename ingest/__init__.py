"""Getting papers in: record parsers, the arXiv client, PDFs, the pipeline and the index build.

Knows arXiv and PDFs, not Flask.
"""

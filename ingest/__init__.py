"""Getting papers in: arXiv ids, record parsers, the arXiv client, PDFs and the pipeline.

Knows arXiv and PDFs, not Flask.
"""

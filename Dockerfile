# papersift: the web server, and with another command the scheduler or an RQ worker.
#   docker build -t papersift .
#   docker run -p 8000:8000 -v papersift-data:/data papersift
#   docker run -v papersift-data:/data papersift bootstrap     # load the sample corpus
# docker-compose.yml runs web, scheduler, worker, PostgreSQL and Redis together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAPERSIFT_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# dependencies first, so a code change does not reinstall them
COPY pyproject.toml README.md LICENSE ./
RUN mkdir -p cli domain ingest mcp_server recommend services store/migrations web \
    && touch app.py config.py logging_setup.py cli/__init__.py domain/__init__.py ingest/__init__.py mcp_server/__init__.py \
             recommend/__init__.py services/__init__.py store/__init__.py store/migrations/__init__.py web/__init__.py \
    && pip install --no-cache-dir -e ".[postgres]"

COPY app.py config.py logging_setup.py gunicorn.conf.py ./
COPY cli/ cli/
COPY domain/ domain/
COPY ingest/ ingest/
COPY mcp_server/ mcp_server/
COPY recommend/ recommend/
COPY services/ services/
COPY store/ store/
COPY web/ web/
COPY mcp_server/ mcp_server/
COPY templates/ templates/
COPY static/ static/
COPY data/sample/ data/sample/
COPY docker/entrypoint.sh /usr/local/bin/papersift-entrypoint

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home papersift \
    && mkdir -p /data \
    && chown papersift:papersift /data \
    && chmod 0755 /usr/local/bin/papersift-entrypoint

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

ENTRYPOINT ["papersift-entrypoint"]
CMD ["web"]

# Frontline server image: the locked dependencies and the embedding models, nothing else.
# Build:  docker build -t frontline .
# Run:    docker run -p 8000:8000 -e FRONTLINE_AUTH_SECRET=... frontline
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    FRONTLINE_HOST=0.0.0.0 \
    FRONTLINE_PORT=8000 \
    FRONTLINE_DATA_DIR=/var/lib/frontline \
    FRONTLINE_MODEL_DIR=/opt/frontline/models

RUN pip install --no-cache-dir uv && useradd --system --home /var/lib/frontline frontline
WORKDIR /opt/frontline/app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY connectors ./connectors
COPY knowledge ./knowledge
COPY guardrails ./guardrails
COPY demo ./demo
COPY public ./public
COPY .chainlit ./.chainlit
COPY chainlit.md ./
RUN uv sync --frozen --no-dev && .venv/bin/frontline setup \
    && mkdir -p /var/lib/frontline && chown frontline /var/lib/frontline

USER frontline
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s CMD \
    python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD [".venv/bin/frontline", "serve"]

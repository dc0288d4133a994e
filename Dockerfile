# syntax=docker/dockerfile:1
# Autofacts API image.
#   docker build -t autofacts .
#   docker run --rm -p 8000:8000 -v autofacts-data:/data autofacts
# The entrypoint is scripts/start.sh, the script `make run` uses: it migrates, loads the
# seed into an empty database, then execs `autofacts serve`. Every setting is an
# AUTOFACTS_* environment variable (see the README's "Configuration").

# ---- builder: a virtualenv with the locked dependencies, then the app ------------------
FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv

# Dependencies first, from the lock file alone: this layer is rebuilt only when
# requirements.lock changes, not on every change to the code.
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.lock

# Then the app. It is installed in place (editable) because it finds alembic.ini,
# migrations/ and seed/ beside its package, as in a checkout; --no-deps: everything it
# needs came from the lock file above.
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seed ./seed
COPY scripts ./scripts
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -e . \
    && chmod 0755 scripts/start.sh

# ---- runtime: the virtualenv and the app, run as a non-root user -----------------------
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="autofacts" \
      org.opencontainers.image.description="REST API of automotive-industry facts, each traced to a verbatim quote of its source."

RUN groupadd --system --gid 10001 autofacts \
    && useradd --system --uid 10001 --gid autofacts --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin autofacts \
    && install -d -m 0750 -o autofacts -g autofacts /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# Defaults for the container; override any of them with `docker run -e`.
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTOFACTS_BIN=/opt/venv/bin \
    AUTOFACTS_HOST=0.0.0.0 \
    AUTOFACTS_PORT=8000 \
    AUTOFACTS_WORKERS=1 \
    AUTOFACTS_DATABASE_URL=sqlite:////data/autofacts.db

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

# Liveness only (never touches the database); python, so the image needs no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('AUTOFACTS_PORT', '8000'), timeout=4)"]

# scripts/start.sh ends in `exec autofacts serve`, so the server is PID 1 and gets
# SIGTERM directly: in-flight requests finish (AUTOFACTS_GRACEFUL_SHUTDOWN_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/start.sh"]

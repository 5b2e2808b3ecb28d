# syntax=docker/dockerfile:1
# KRO's image: `kro serve` by default; the same image runs `kro worker` and `kro migrate`.
#
#   docker build -t kro:latest .
#   docker run --env-file .env -p 8000:8000 kro:latest            # serve
#   docker run --env-file .env kro:latest worker                   # a job worker
#
# Two stages: the builder installs the locked dependencies (uv.lock, no dev group) into a
# virtual environment and fetches the browser libraries; the runtime copies the result onto a
# slim Python without build tools, and runs as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# uv from PyPI (the version the lock file was written with or newer).
RUN pip install --no-cache-dir "uv==0.13.9"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# The dependencies alone first: this layer is reused until pyproject.toml or uv.lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project. It stays where it is (an editable install): `kro migrate` and `/readyz`
# find the migrations beside src/, as in a checkout.
COPY alembic.ini ./
COPY migrations ./migrations
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# The Socket.IO client of the pages, from the npm registry, checked against its pinned digest.
# Without network access this only warns: the pages then work without live updates.
RUN KRO_WEB_VENDOR_PATH=/app/web-vendor /app/.venv/bin/kro web-vendor

# ---- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/app/.venv/bin:$PATH \
    KRO_HOST=0.0.0.0 \
    KRO_PORT=8000 \
    KRO_WEB_VENDOR_PATH=/app/web-vendor \
    KRO_STORAGE_PATH=/var/lib/kro/files

RUN groupadd --system --gid 10001 kro \
    && useradd --system --uid 10001 --gid kro --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin kro \
    && mkdir -p /app/var /var/lib/kro/files \
    && chown kro:kro /app/var /var/lib/kro/files

WORKDIR /app
# The code and the environment belong to root: the app can write only ./var and its files.
COPY --from=builder /app /app

USER kro:kro
EXPOSE 8000

ENTRYPOINT ["kro"]
CMD ["serve"]

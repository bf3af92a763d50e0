# syntax=docker/dockerfile:1
# aim-migrate: the migration runner image (Helm hook Job, init container, docker run).
#
#   docker build -t aim-migrate .
#   docker run --rm -e DATABASE_URL=postgresql://user:pass@db:5432/app aim-migrate
#
# BASE_IMAGE must provide python3 with the venv module at the same path in both stages.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
# A self-contained virtual environment; pip and setuptools leave it once it is built.
# With a read-only root filesystem nothing can be cached at run time, so every module is
# compiled here; unchecked-hash .pyc files stay valid whatever the file times become.
RUN python3 -m venv /opt/aim-migrate \
 && /opt/aim-migrate/bin/pip install --no-cache-dir . \
 && /opt/aim-migrate/bin/pip uninstall --yes pip setuptools \
 && find /opt/aim-migrate -name '__pycache__' -type d -prune -exec rm -rf {} + \
 && python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/aim-migrate

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="aim-migrate" \
      org.opencontainers.image.description="Dual-track PostgreSQL migration runner for Kubernetes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="AIM"
COPY --from=build /opt/aim-migrate /opt/aim-migrate
# The shipped migrations; mount a directory over /app/migrations (or set
# AIM_MIGRATIONS_DIR) to run others.
COPY migrations /app/migrations
ENV PATH=/opt/aim-migrate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AIM_MIGRATIONS_DIR=/app/migrations \
    AIM_LOG_FORMAT=json
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["aim-migrate"]
CMD ["migrate"]

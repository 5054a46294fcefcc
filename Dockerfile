# syntax=docker/dockerfile:1
# jitmaker container. Docker Hub may be unreachable: the base image is a build argument, so a
# locally made Debian bookworm image works (see README "Docker"). Any image with Python 3.11
# and python3-venv at /usr/bin/python3 will do, e.g. python:3.11-slim-bookworm.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# Networks that intercept TLS need their CA to reach the package index: pass it (PEM text; a CA
# certificate is public) with --build-arg PIP_EXTRA_CA="$(cat my-ca.crt)". Build stage only.
ARG PIP_EXTRA_CA=""
# zstandard 0.18 (pinned by driftpy) has no wheel for every platform, and jitmaker's decoder
# accelerator (accounts/_speedups.c) is C: compile them here only.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev python3-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.lock requirements-build.lock ./
RUN set -e; \
    if [ -n "$PIP_EXTRA_CA" ]; then \
        printf '%s\n' "$PIP_EXTRA_CA" > /tmp/extra-ca.pem; \
        cat /etc/ssl/certs/ca-certificates.crt /tmp/extra-ca.pem > /tmp/ca-bundle.pem; \
        export PIP_CERT=/tmp/ca-bundle.pem; \
    fi; \
    python3 -m venv /opt/jitmaker; \
    /opt/jitmaker/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        -r requirements.lock -r requirements-build.lock; \
    rm -f /tmp/extra-ca.pem /tmp/ca-bundle.pem
COPY pyproject.toml setup.py README.md ./
COPY src ./src
RUN /opt/jitmaker/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps \
        --no-build-isolation . \
 && /opt/jitmaker/bin/pip uninstall -y -q setuptools wheel pip

FROM ${BASE_IMAGE}
RUN (getent passwd jitmaker || useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin jitmaker) \
 && mkdir -p /etc/jitmaker /var/lib/jitmaker && chown jitmaker:jitmaker /var/lib/jitmaker
COPY --from=build /opt/jitmaker /opt/jitmaker
ENV PATH=/opt/jitmaker/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /var/lib/jitmaker
# Mount the config read-only:  -v $PWD/jit-maker-config.yaml:/etc/jitmaker/config.yaml:ro
# Secrets: -e KEEPER_PRIVATE_KEY=... or a mounted file + KEEPER_PRIVATE_KEY_FILE=/run/secrets/keeper-key
EXPOSE 9464
# /readyz is the same freshness gate that permits sending (metricsHost defaults to 127.0.0.1,
# which is where this check runs).
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os,sys,urllib.request; port=os.environ.get('JITMAKER_HEALTH_PORT','9464'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["jitmaker"]
CMD ["--config-file=/etc/jitmaker/config.yaml"]

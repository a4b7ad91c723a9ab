# The GitHub App (`ai-review-bot serve`, or `worker` when scaled out): docs/container.md.
# Everything in the image comes from requirements/app.txt, hash-checked: what CI tested.
# tests/test_container.py lints this file and runs the builder's commands outside a container,
# so they refer to the venv as $VIRTUAL_ENV and to the sources by relative paths.

FROM python:3.11-slim-bookworm AS builder

ENV VIRTUAL_ENV=/opt/venv \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ENV PATH="$VIRTUAL_ENV/bin:$PATH"
WORKDIR /src

# The locked dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements/app.txt requirements/app.txt
RUN python -m venv "$VIRTUAL_ENV" \
    && pip install --require-hashes -r requirements/app.txt

# Then the project itself, built by the locked setuptools: nothing unpinned from the index.
# bot/checklists is a symlink to ../checklists; both are copied so the wheel holds the files.
COPY pyproject.toml README.md LICENSE ./
COPY checklists/ checklists/
COPY bot/ bot/
RUN pip install --no-deps --no-build-isolation .


FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="ai-review-bot" \
      org.opencontainers.image.description="GitHub App: architect-led review of AI-assisted pull requests" \
      org.opencontainers.image.source="https://github.com/ai-review-bot/ai-review-bot" \
      org.opencontainers.image.licenses="MIT"

# A fixed uid, so volumes and Kubernetes' runAsNonRoot can rely on it; /data holds the
# embedded SQLite store (DATABASE_URL) and is the one place the App writes.
RUN groupadd --system --gid 10001 ai-review \
    && useradd --system --uid 10001 --gid ai-review --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin ai-review \
    && install --directory --owner=ai-review --group=ai-review --mode=0750 /data

# The same path as in the builder: a venv's scripts name their interpreter by absolute path.
COPY --from=builder /opt/venv /opt/venv

ENV VIRTUAL_ENV=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/ai-review.sqlite3

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 3000

# slim has no curl: Python asks this container's /healthz on $PORT, bypassing any proxy the
# environment sets, and exits 1 unless it answers 200 within 3 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=3)"]

CMD ["ai-review-bot", "serve"]

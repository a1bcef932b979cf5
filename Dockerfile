# Production image. One image, three roles:
#   docker run IMAGE                      -> the API (2 processes)
#   docker run IMAGE loyalty worker        -> the background worker (jobs, schedules)
#   docker run IMAGE loyalty migrate       -> apply migrations (run once per release)
# Needs DATABASE_URL, REDIS_URL and the LOYALTY_* secrets (see README); LOYALTY_ENV=production
# refuses to start with a development default secret.
# BASE: any image with Python 3.11 and its venv module, e.g. a local Debian bookworm made with
# debootstrap where no registry is reachable (docs/docker.md).
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOYALTY_ENV=production \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY loyalty ./loyalty
COPY api ./api
COPY push ./push
COPY jobs ./jobs
COPY schemas ./schemas
COPY admin_ui ./admin_ui
RUN pip install --no-cache-dir . && useradd --system --uid 10001 loyalty \
    && mkdir .data && chown loyalty .data
USER loyalty
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
ENV LOYALTY_HOST=0.0.0.0
CMD ["loyalty", "api", "--workers", "2"]

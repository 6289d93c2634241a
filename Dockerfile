# One image for both Cloud Run shapes: the hourly Job (`jssync hourly`) and the HTTP service.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 LANDING_DIR=/tmp/landing
COPY pyproject.toml ./
COPY extract ./extract
COPY loaders ./loaders
COPY sync ./sync
COPY api ./api
COPY sandbox ./sandbox
COPY sql ./sql
RUN pip install --no-cache-dir -e . && useradd --create-home jssync
USER jssync
# Cloud Run Job: `jssync hourly` (exit code = outcome). Service: override with `jssync serve`.
CMD ["jssync", "hourly"]

# One image for both Cloud Run shapes: the hourly Job (`jssync hourly`) and the HTTP service.
# Stage 1 builds the wheel (the SQL ships inside it as package data); stage 2 installs only the
# wheel, so the image holds no source tree, tests or benchmarks.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 LANDING_DIR=/tmp/landing
COPY --from=build /dist/*.whl /tmp/
# The gcs extra: gcsfs for a gs:// LANDING_ARCHIVE_URL (use [gcs,s3] for an s3:// one).
RUN pip install --no-cache-dir "$(ls /tmp/*.whl)[gcs]" && rm /tmp/*.whl && useradd --create-home jssync
USER jssync
WORKDIR /home/jssync
# Cloud Run Job: `jssync hourly` (exit code = outcome). Service: override with `jssync serve`.
CMD ["jssync", "hourly"]

# The image the Helm chart runs: `followthrough web` by default; the chart
# starts `followthrough worker` and `followthrough scheduler` from it too.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connectors ./connectors
COPY workflows ./workflows
COPY service ./service
RUN python -m venv /opt/followthrough \
    && /opt/followthrough/bin/pip install '.[redis,rabbitmq,postgres]'

FROM python:3.11-slim
# A fixed, unprivileged uid/gid so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 followthrough \
    && useradd --system --uid 10001 --gid followthrough \
       --home-dir /home/followthrough --create-home followthrough
COPY --from=build /opt/followthrough /opt/followthrough
ENV PATH=/opt/followthrough/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FOLLOWTHROUGH_HTTP_HOST=0.0.0.0 \
    FOLLOWTHROUGH_LOG_FORMAT=json
WORKDIR /home/followthrough
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["followthrough"]
CMD ["web"]

# syntax=docker/dockerfile:1
# The auditor's image: `auditor serve` by default (docs/install.md, deploy/kustomize).
# Stage 1 builds the project's wheel and every dependency's wheel; stage 2 installs them into a
# slim Python with git and ssh (Git fetches), runs as a numeric non-root user and needs no
# writable root filesystem: HOME, TMPDIR and the Git cache are volumes in the pod.
# No build secrets: nothing is fetched with credentials, no ARG carries one.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
# Set by the build: `--build-arg SOURCE_URL=<repository URL> --build-arg REVISION=$(git rev-parse HEAD)`
ARG SOURCE_URL=""
ARG REVISION=""
LABEL org.opencontainers.image.title="policy-drift-auditor" \
      org.opencontainers.image.description="GitOps policy-drift auditor for Gateway API and service-mesh policy" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.documentation="docs/install.md"

# Debian stable's security updates move these versions; pinning them would pin old CVEs.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 auditor \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/auditor --no-create-home \
       --shell /usr/sbin/nologin auditor \
    && install -d -o 10001 -g 10001 -m 0750 /home/auditor /var/cache/auditor/git /var/lib/auditor

# The wheels come from the build stage through a bind mount: no wheel stays in a layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels "gitops-policy-auditor==${VERSION}"

ENV HOME=/home/auditor \
    TMPDIR=/tmp \
    AUDITOR_GIT_CACHE=/var/cache/auditor/git \
    AUDITOR_CONFIG=/etc/auditor/auditor.yaml \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /var/lib/auditor
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["auditor"]
CMD ["serve"]

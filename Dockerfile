# lstmcast serve in a container: CPU torch, a non-root user, the state on a volume.
#   docker build -t lstmcast .
#   docker run -p 127.0.0.1:8000:8000 -v $PWD/runs/air:/model:ro -v lstmcast-state:/state lstmcast
# The run folder is mounted read-only at /model; the series' history lives in /state.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# torch first, pinned as the Makefile pins it (a bare `torch` pulled in by the package would
# be a multi-GB CUDA build); give `--build-arg PIP_INDEX_URL=...` for an index of CPU wheels
ARG TORCH_SPEC=torch==2.13.0
ARG PIP_INDEX_URL
RUN pip install "$TORCH_SPEC"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[serve,postgres]" && rm -rf /src

RUN useradd --create-home --uid 10001 lstmcast && mkdir /state && chown lstmcast /state
USER lstmcast
WORKDIR /home/lstmcast
VOLUME ["/state"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
# 0.0.0.0 inside the container; publish the port on 127.0.0.1 or behind a TLS proxy
CMD ["lstmcast", "serve", "/model", "--host", "0.0.0.0", "--port", "8000", "--state", "/state"]

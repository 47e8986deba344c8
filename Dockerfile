# syntax=docker/dockerfile:1
# Build: a static binary, no cgo. VERSION is stamped into the binary
# (docker build --build-arg VERSION=$(git describe --tags --always)).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X newsbot/internal/app.Version=${VERSION}" \
      -o /out/newsbot ./cmd/newsbot \
 && mkdir -p /out/data

# Run: distroless (CA certificates, no shell), as a non-root user. The
# working directory is the volume, so the embedded store's state lands in
# /data even when DATA_DIR is a relative path such as ./data; an absolute
# DATA_DIR outside /data is the operator's explicit choice.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="newsbot" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/newsbot /newsbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV DATA_DIR=/data \
    HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
# No shell or curl in distroless: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/newsbot", "healthcheck"]
ENTRYPOINT ["/newsbot"]

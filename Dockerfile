# syntax=docker/dockerfile:1
# The image the fleet recipes run (docs/fleet.md): `assay` on a slim Debian, as a non-root user.
#   docker build -t assay:0.1 .
#   docker run --rm assay:0.1 scan --help

# Build: the toolchain this repository is tested with; Cargo.lock pins every crate.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the crate downloads and the compiled dependencies between builds; the
# binary is copied out because a cache mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin assay \
    && install -m 0755 target/release/assay /usr/local/bin/assay

# Run: glibc from the same Debian release as the build stage; CA certificates for HTTPS to S3.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 assay \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/assay --create-home \
       --shell /usr/sbin/nologin assay
COPY --from=build /usr/local/bin/assay /usr/local/bin/assay
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/assay
ENTRYPOINT ["assay"]
CMD ["--help"]

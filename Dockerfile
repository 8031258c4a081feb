# The ipledge image: the release binary, the deploy entrypoints and the shipped scenarios on
# Debian slim, run as a non-root user. From the repository root:
#
#   docker build -t registry.example.internal/ipledge:latest .
#
# What is inside and how the Kubernetes and Slurm files use it: deploy/README.md.
# The base images can be pointed at a mirror: --build-arg RUST_IMAGE=... RUNTIME_IMAGE=...
ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build: the release binary ----------------------------------------------------------
FROM ${RUST_IMAGE} AS build
WORKDIR /src
# The dependencies first, in their own layer, built against placeholder sources: editing the
# crate does not rebuild them. The manifest names the benches, so they are copied too. The
# bundled SQLite is compiled with the image's gcc; nothing else needs a system library.
COPY Cargo.toml Cargo.lock ./
COPY benches benches
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin ipledge \
 && rm -r src
# The crate, and what it embeds: models/, scenarios/schemes/ (presets), migrations/ (sqlx).
COPY src src
COPY models models
COPY scenarios scenarios
COPY migrations migrations
# `touch`: the copied sources may be older than the placeholder build.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin ipledge \
 && cp target/release/ipledge /usr/local/bin/ipledge

# ---- runtime: the binary, the entrypoints, the scenarios --------------------------------
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="ipledge" \
      org.opencontainers.image.description="IP pledge financing engine" \
      org.opencontainers.image.licenses="Apache-2.0"
# No ca-certificates: the binary makes no TLS connections. It links only glibc, libm and
# libgcc_s, which the base image has.
RUN groupadd --gid 10001 ipledge \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /work \
      --shell /usr/sbin/nologin ipledge \
 && mkdir /work /parts \
 && chown ipledge:ipledge /work /parts
COPY --from=build /usr/local/bin/ipledge /usr/local/bin/ipledge
# One entrypoint per step for every scheduler (deploy/README.md): the Kubernetes Jobs run
# these by name, the Slurm array runs the same files from the repository.
COPY deploy/shard.sh /usr/local/bin/ipledge-shard
COPY deploy/merge.sh /usr/local/bin/ipledge-merge
# The whole folder: scenarios name their scheme presets and loan files relative to themselves.
COPY scenarios /scenarios
RUN chmod 0755 /usr/local/bin/ipledge-shard /usr/local/bin/ipledge-merge \
 && ipledge --version
# ipledge (uid 10001), by number so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["ipledge"]
CMD ["--help"]

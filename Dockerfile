# syntax=docker/dockerfile:1
# Namaskah SMS: build the server and the client with cargo-leptos, run them on a slim image as a
# non-root user. `docker build -t namaskah .` then see docker-compose.prod.yml and
# docs/deployment.md.

FROM rust:1.96-bookworm AS build
WORKDIR /src
# The tools cargo-leptos needs, at the versions the project pins (scripts/setup does the same).
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
COPY rust-toolchain.toml ./
# The pinned toolchain, with the client's target and the standard library's sources (the
# client's standard library is rebuilt for size).
RUN rustup toolchain install "$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)" \
      --profile minimal --component rust-src --target wasm32-unknown-unknown
RUN CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version 0.3.11 --features no_downloads --locked
COPY Cargo.toml Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund
COPY . .
RUN scripts/release

FROM debian:bookworm-slim AS run
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin namaskah \
 && mkdir -p /app/data && chown namaskah:namaskah /app/data
WORKDIR /app
COPY --from=build /src/target/release/namaskah /app/namaskah
COPY --from=build /src/target/site /app/site
USER namaskah
# SQLite in /app/data (a volume) unless DATABASE_URL names PostgreSQL.
ENV DATABASE_URL=sqlite:///app/data/namaskah.db \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LOG_FORMAT=json
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:3000/health || exit 1
ENTRYPOINT ["/app/namaskah"]
CMD ["serve"]

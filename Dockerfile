# syntax=docker/dockerfile:1
# inferd container image: a static C++ server that serves a scikit-learn model.pkl.
#
#   docker build -t inferd .                                   # iris example model baked in
#   docker build --build-arg MODEL=models/model.pkl -t my-model-server .   # your model baked in
#   docker build --target server -t inferd-server .            # no model: mount one (volume or
#                                                              # Kubernetes image volume)
#   docker build --target model --build-arg MODEL=... -t my-model:1 .      # the model alone, as
#                                                              # an OCI image for an image volume
# Offline on this machine: buildah bud --isolation chroot --pull=never --format docker ...
# (scripts/container-tools.sh makes the debian:bookworm-slim base image locally).
#
# BUILD_IMAGE is a build argument so CI can pin the base by digest
# (--build-arg BUILD_IMAGE=docker.io/library/debian:bookworm-slim@sha256:...); the runtime stages
# are FROM scratch and have no base to pin.
ARG BUILD_IMAGE=docker.io/library/debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: compiles inferd with the Debian packages scripts/setup.sh installs (build deps only;
# protoc generates the gRPC messages here), CMake Release, no tests/benchmarks,
# stripped. It links statically (INFERD_STATIC=ON) when every dependency has a static archive;
# Debian ships some only as shared objects (libsimdjson), and then the link falls back to dynamic
# (libnghttp2 and protobuf-lite become shared libraries too).
# scripts/image/stage-runtime.sh then stages the binary and the shared libraries ldd lists
# (loader, libc, libstdc++, libnghttp2, ...) at their dpkg paths, with the owning packages' records
# as distroless writes them (/var/lib/dpkg/status.d/<package>, its .md5sums,
# /usr/share/doc/<package>/copyright), so scanners see what the image carries: the distroless-`cc`
# equivalent, still FROM scratch. The runtime gets exactly the files under /rootfs.
FROM ${BUILD_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost-dev libboost-system-dev libsimdjson-dev libfmt-dev libcli11-dev libyaml-cpp-dev \
      zlib1g-dev libbz2-dev liblzma-dev liblz4-dev \
      libnghttp2-dev libprotobuf-dev protobuf-compiler \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the server build needs: bench/ and tests/ are left out, so CMake skips them.
COPY CMakeLists.txt ./
COPY include/ include/
COPY src/ src/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DINFERD_STATIC=ON \
      -DINFERD_BUILD_TESTS=OFF -DINFERD_BUILD_BENCHMARKS=OFF \
 && { ninja -C /build inferd \
      || { echo "static link refused; linking dynamically and staging the shared libraries" \
           && cmake -S . -B /build -DINFERD_STATIC=OFF && ninja -C /build inferd; }; } \
 && strip --strip-all /build/bin/inferd
# Staging is a step of its own, after the compile, so changing it does not recompile inferd.
COPY scripts/image/ /opt/inferd-image/
RUN /opt/inferd-image/stage-runtime.sh /build/bin/inferd /rootfs

# ---------------------------------------------------------------------------------------------
# model: the model file alone, at /model.pkl, as its own OCI image. Mounted read-only into the
# pod with a Kubernetes image volume (>= 1.33), a new model ships without a new server image.
FROM scratch AS model
ARG MODEL=examples/iris/model.pkl
COPY ${MODEL} /model.pkl

# ---------------------------------------------------------------------------------------------
# server: the runtime without a model. scratch: no shell, no package manager, no libc beyond
# what the binary links. The model comes from a volume at INFERD_MODEL.
FROM scratch AS server
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/inferd/inferd
LABEL org.opencontainers.image.title="inferd" \
      org.opencontainers.image.description="Serves a scikit-learn model.pkl over HTTP (POST /predict) and gRPC without Python" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=build /rootfs/ /
# 12-factor configuration; every flag of `inferd serve` has an INFERD_* variable. HTTP on
# INFERD_PORT; gRPC (Open Inference Protocol, grpc.health.v1, reflection) on INFERD_GRPC_PORT,
# same host, 0 turns it off.
ENV INFERD_HOST=0.0.0.0 \
    INFERD_PORT=8080 \
    INFERD_GRPC_PORT=8081 \
    INFERD_MODEL=/models/model.pkl
EXPOSE 8080 8081
# Numeric, so runAsNonRoot can verify it without an /etc/passwd; matches the chart's runAsUser.
USER 65532:65532
# No shell or curl in the image: the binary probes itself. Docker-format images only (OCI
# images drop HEALTHCHECK); Kubernetes ignores it and uses the chart's probes.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["/usr/local/bin/inferd", "probe", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/inferd"]
CMD ["serve"]

# ---------------------------------------------------------------------------------------------
# baked (default): the server with the model copied in at build time (--build-arg MODEL=path),
# the reference tutorial's way. Last stage, so a plain `docker build` produces it.
FROM server AS baked
ARG MODEL=examples/iris/model.pkl
COPY --chown=0:0 --chmod=0444 ${MODEL} /models/model.pkl

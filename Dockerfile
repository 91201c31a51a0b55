# The tarscli base image. Service images start FROM it, put their files in /tars/bin and run
# `tarscli supervisor` (the default CMD). Build from the repository root:
#   docker build -t tarscli/tarscli:0.1.0 .

# Build stage: the Deno that the project pins (package.json, deno.json) compiles dist/tarscli.
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY . .
RUN deno task compile

# The supervisor runs the service's start script and check scripts with `sh`, which distroless has
# not: dash from Debian 12, the release distroless cc-debian12 is built from (dash needs only
# glibc). Also the TARS_PATH folders, made here because distroless has no mkdir.
FROM debian:12-slim AS rootfs
RUN mkdir -p /rootfs/bin /rootfs/tars/bin /rootfs/tars/conf /rootfs/tars/data /rootfs/tars/log \
 && cp /bin/dash /rootfs/bin/sh

# Final stage: glibc (a compiled Deno binary needs it), no package manager.
FROM gcr.io/distroless/cc-debian12
COPY --from=rootfs /rootfs/ /
COPY --from=build /src/dist/tarscli /usr/bin/tarscli
# DENO_USE_CGROUPS: V8's heap limit follows the container's memory limit.
ENV TARS_PATH=/tars \
    DENO_USE_CGROUPS=1
WORKDIR /tars
CMD ["tarscli", "supervisor"]

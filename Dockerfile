# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=v0.1.0 -t teamsync .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/teamsync ./cmd/teamsync

# distroless/static has CA certificates and tzdata and nothing else; the
# nonroot tag runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/teamsync /usr/local/bin/teamsync
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/teamsync"]
CMD ["serve"]

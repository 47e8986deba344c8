# The targets mirror CI (.ci/run runs `make test`).
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X newsbot/internal/app.Version=$(VERSION)

.PHONY: test lint build run bench fuzz check-redis

## test: every test with the race detector (needs redis-server in PATH)
test: check-redis
	$(GO) test -race -count=1 -p 1 ./...

## lint: gofmt, go vet and staticcheck (pinned as a tool in go.mod)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## build: a static binary in bin/newsbot
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/newsbot ./cmd/newsbot

## run: run the bot from source (set TELEGRAM_BOT_TOKEN first)
run:
	$(GO) run ./cmd/newsbot

## bench: the benchmarks whose figures are in docs/benchmarks.md
bench: check-redis
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: each fuzz target for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

check-redis:
	@command -v redis-server >/dev/null || { echo "redis-server is needed by the tests: apt-get install -y redis-server"; exit 1; }

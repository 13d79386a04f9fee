# gamedata: common tasks. `make test` is the test command (CI runs it too).

GO ?= go
# make test TESTARGS="-run TestX ./sqlite/..."
TESTARGS ?=
# make testenv-up ENGINES="cassandra redis"; default: cassandra opensearch redis mariadb s3
ENGINES ?=

.PHONY: test testenv-up testenv-down testenv-status build run vet fmt

test:
	scripts/test $(TESTARGS)

testenv-up:
	scripts/testenv/testenv up $(ENGINES)

testenv-down:
	scripts/testenv/testenv down $(ENGINES)

testenv-status:
	scripts/testenv/testenv status $(ENGINES)

build:
	$(GO) build -o bin/gamedata ./cmd/gamedata

run:
	$(GO) run ./cmd/gamedata serve

vet:
	$(GO) vet ./...

fmt:
	$(GO) fmt ./...

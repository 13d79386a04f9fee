// Package e2e holds the end-to-end tests of gamedata: the real API server
// (api.New) over a real store, behind httptest on loopback, driven through
// the Go client and raw HTTP. Every test runs once per registered backend
// (see backends in harness_test.go; sqlite_test.go registers the embedded
// store).
package e2e

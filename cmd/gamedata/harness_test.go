package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests below run the real binary, built once per test run.
var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/gamedata into a temporary folder (once) and returns its
// path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "gamedata-bin-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "gamedata"), ".").CombinedOutput()
		if err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "gamedata")
}

// cleanEnv is this process's environment without any GAMEDATA_ variable, so
// that the caller's shell cannot change what a test sees, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runCLI runs gamedata to completion in a clean environment plus env.
func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = cleanEnv(env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// mustCLI is runCLI that fails the test unless gamedata exits 0.
func mustCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, env, args...)
	if err != nil {
		t.Fatalf("gamedata %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running "gamedata serve".
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string
	admin   string // the admin listener's URL, once adminAddr found it
	stdout  syncBuffer
	logs    syncBuffer // standard error
	exited  chan struct{}
	err     error // of Wait, once exited is closed
	sigterm sync.Once
	// lines receives each log line as it is written.
	lines chan string
}

type serverOpts struct {
	dir  string   // working directory; a new temporary one when empty
	env  []string // on top of a clean environment
	args []string // after "serve"
}

// startServer starts gamedata serve and waits for the address it logs. It
// listens on 127.0.0.1:0 unless opts.args or the config chooses otherwise.
// The server is stopped (SIGTERM) when the test ends.
func startServer(t *testing.T, opts serverOpts) *server {
	t.Helper()
	if opts.dir == "" {
		opts.dir = t.TempDir()
	}
	s := &server{t: t, exited: make(chan struct{}), lines: make(chan string, 1024)}
	s.cmd = exec.Command(binary(t), append([]string{"serve"}, opts.args...)...)
	s.cmd.Dir = opts.dir
	s.cmd.Env = cleanEnv(opts.env...)
	s.cmd.Stdout = &s.stdout
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			if a, ok := listeningAddr(line); ok {
				addr <- a
			}
			select {
			case s.lines <- line:
			default: // nobody is watching this many lines
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop() })
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-s.exited:
		t.Fatalf("gamedata serve exited before listening: %v\nstdout:\n%s\nlogs:\n%s", s.err, s.stdout.String(), s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("gamedata serve did not log its address within 60s; logs:\n%s", s.logs.String())
	}
	return s
}

var textAddr = regexp.MustCompile(`\bmsg=listening\b.*\baddr=(\S+)`)

// listeningAddr finds the address in the "listening" log line, JSON or text.
func listeningAddr(line string) (string, bool) {
	if strings.HasPrefix(line, "{") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
			return rec.Addr, true
		}
		return "", false
	}
	if m := textAddr.FindStringSubmatch(line); m != nil {
		return m[1], true
	}
	return "", false
}

// stop sends SIGTERM and waits for the exit; it returns the error of Wait
// (nil for exit status 0).
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.err
	default:
	}
	s.terminate()
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("gamedata serve did not stop within 60s of SIGTERM; logs:\n%s", s.logs.String())
	}
	return s.err
}

// terminate sends SIGTERM, once: a second signal would kill the server at
// once, as it does for an impatient operator.
func (s *server) terminate() {
	s.sigterm.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			s.t.Errorf("SIGTERM: %v", err)
		}
	})
}

// mustStop stops the server and fails the test unless it exits 0.
func (s *server) mustStop() {
	s.t.Helper()
	if err := s.stop(); err != nil {
		s.t.Fatalf("gamedata serve exit: %v\nlogs:\n%s", err, s.logs.String())
	}
}

// waitLog waits for a log line holding want.
func (s *server) waitLog(want string) string {
	s.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-s.lines:
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			s.t.Fatalf("no log line with %q within 30s; logs:\n%s", want, s.logs.String())
		}
	}
}

// readAll reads a response body for an error message.
func readAll(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 4096))
	return string(b)
}

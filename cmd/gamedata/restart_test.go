package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// slowRequest is a request whose headers the server has, and whose body it
// is still waiting for: a request in flight, for as long as the test likes.
type slowRequest struct {
	body  string
	pw    *io.PipeWriter
	wrote chan struct{} // closed once the headers are on the wire
	done  chan slowResult
}

type slowResult struct {
	status int
	body   string
	err    error
}

// startSlow sends the headers of a request on a connection of its own and
// holds back the body until finish.
func startSlow(ctx context.Context, method, url, secret, body string) *slowRequest {
	r := &slowRequest{body: body, wrote: make(chan struct{}), done: make(chan slowResult, 1)}
	pr, pw := io.Pipe()
	r.pw = pw
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { close(r.wrote) }})
	req, err := http.NewRequestWithContext(ctx, method, url, pr)
	if err != nil {
		r.done <- slowResult{err: err}
		close(r.wrote)
		return r
	}
	// A known length and a body that is not in memory: the transport sends
	// the headers at once, then waits for the body.
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			r.done <- slowResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		r.done <- slowResult{status: resp.StatusCode, body: string(b), err: err}
	}()
	return r
}

// finish sends the body and returns the answer.
func (r *slowRequest) finish() slowResult {
	go func() {
		_, err := io.WriteString(r.pw, r.body)
		r.pw.CloseWithError(err)
	}()
	return <-r.done
}

// waitAccepted returns once the server holds the connections of reqs.
func waitAccepted(t *testing.T, s *server, reqs ...*slowRequest) {
	t.Helper()
	for _, r := range reqs {
		<-r.wrote
	}
	// The listener accepts connections in order: once a later connection is
	// answered, the server holds every one before it.
	fence := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fence.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// waitRefused waits until addr refuses new connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections 20s after SIGTERM", addr)
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func price(t *testing.T, s string) gamedata.Money {
	return must[gamedata.Money](t, "price")(gamedata.ParseMoney(s))
}

// Everything the server acknowledged is there after a restart, including
// the writes that were in flight when it got SIGTERM: those finish, with
// success, while the server already refuses new connections.
func TestRestartLosesNothingAcknowledged(t *testing.T) {
	ctx := t.Context()
	dataDir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}
	s := startServer(t, serverOpts{args: args})
	admin := readSecretFile(t, filepath.Join(dataDir, "admin.key"))
	c := must[*client.Client](t, "client")(client.New(s.URL, client.WithToken(admin)))

	// Acknowledged writes through the SDK.
	age := 31
	for _, p := range []client.NewPlayer{
		{Name: "Alice", Password: "correct-horse-battery", Age: &age},
		{Name: "bob", Password: "another-long-secret"},
	} {
		must[gamedata.Player](t, "create player")(c.CreatePlayer(ctx, p))
	}
	session := must[client.Session](t, "login")(c.Login(ctx, "alice", "correct-horse-battery"))
	var orders []gamedata.Order
	for i := range 3 {
		o, _, err := c.CreateOrder(ctx, "alice", client.NewOrder{Item: fmt.Sprintf("sword-%d", i), Amount: i + 1, Price: price(t, "4.99")})
		if err != nil {
			t.Fatalf("create order: %v", err)
		}
		orders = append(orders, o)
	}
	paid := must[gamedata.Order](t, "pay")(c.PayOrder(ctx, "alice", orders[1].ID))
	for i := range 3 {
		must[gamedata.Message](t, "send")(c.SendMessage(ctx, client.NewMessage{From: "alice", To: "bob", Text: fmt.Sprintf("hello %d", i)}))
	}
	var events []client.NewEvent
	for i := range 5 {
		events = append(events, client.NewEvent{Player: "alice", Type: "level_up", Data: json.RawMessage(fmt.Sprintf(`{"level":%d}`, i))})
	}
	if n, err := c.AppendEvents(ctx, events); err != nil || n != len(events) {
		t.Fatalf("append events: %d, %v", n, err)
	}
	catalog := map[string]any{"items": []any{map[string]any{"id": "sword", "price": "4.99"}}, "version": 3.0}
	if err := c.PutMeta(ctx, "catalog", catalog); err != nil {
		t.Fatalf("put meta: %v", err)
	}

	// A batch of writes of every kind, in flight when SIGTERM comes.
	const inFlight = 3
	var slow []*slowRequest
	for i := range inFlight {
		slow = append(slow,
			startSlow(ctx, http.MethodPost, s.URL+"/v1/messages", admin, fmt.Sprintf(`{"from":"bob","to":"alice","text":"in flight %d"}`, i)),
			startSlow(ctx, http.MethodPost, s.URL+"/v1/events", admin, fmt.Sprintf(`{"events":[{"player":"bob","type":"in_flight_%d"}]}`, i)),
			startSlow(ctx, http.MethodPut, s.URL+fmt.Sprintf("/v1/meta/in-flight-%d", i), admin, fmt.Sprintf(`{"n":%d}`, i)),
			startSlow(ctx, http.MethodPost, s.URL+"/v1/players/bob/orders", admin, fmt.Sprintf(`{"item":"in-flight-%d","amount":1,"price":"1.00"}`, i)),
		)
	}
	waitAccepted(t, s, slow...)

	s.terminate()
	s.waitLog("shutting down")
	waitRefused(t, strings.TrimPrefix(s.URL, "http://"))
	for i, r := range slow {
		res := r.finish()
		if res.err != nil || res.status/100 != 2 {
			t.Errorf("in-flight request %d: status %d, err %v: %s", i, res.status, res.err, res.body)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs.String())
	}
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no shutdown summary in the log:\n%s", s.logs.String())
	}

	// The same data dir, a new process: read everything back.
	s = startServer(t, serverOpts{args: args})
	if strings.Contains(s.stdout.String(), "gdk_") {
		t.Error("the restart created another admin key")
	}
	c = must[*client.Client](t, "client")(client.New(s.URL, client.WithToken(admin)))

	alice := must[gamedata.Player](t, "get alice")(c.WithToken(session.Token).GetPlayer(ctx, "alice"))
	if alice.Name != "Alice" || alice.Age == nil || *alice.Age != age {
		t.Errorf("alice after the restart, with her session of before: %+v", alice)
	}
	got := must[client.Page[gamedata.Order]](t, "list alice's orders")(c.ListOrders(ctx, "alice", client.PageOptions{}))
	if len(got.Items) != len(orders) {
		t.Fatalf("alice has %d orders after the restart, want %d", len(got.Items), len(orders))
	}
	for _, o := range got.Items {
		i := slices.IndexFunc(orders, func(x gamedata.Order) bool { return x.ID == o.ID })
		if i < 0 {
			t.Errorf("after the restart alice has an order she did not make: %+v", o)
			continue
		}
		want := orders[i]
		if o.ID == paid.ID {
			want = paid
		}
		if o.Item != want.Item || o.Amount != want.Amount || o.Status != want.Status || o.Price.String() != want.Price.String() {
			t.Errorf("order after the restart %+v, want %+v", o, want)
		}
	}
	bobOrders := must[client.Page[gamedata.Order]](t, "list bob's orders")(c.ListOrders(ctx, "bob", client.PageOptions{}))
	wantItems(t, "bob's orders", bobOrders.Items, func(o gamedata.Order) string { return o.Item }, "in-flight-%d", inFlight)

	inbox := must[client.Page[gamedata.Message]](t, "bob's inbox")(c.Inbox(ctx, "bob", client.PageOptions{}))
	wantItems(t, "bob's inbox", inbox.Items, func(m gamedata.Message) string { return m.Text }, "hello %d", 3)
	inbox = must[client.Page[gamedata.Message]](t, "alice's inbox")(c.Inbox(ctx, "alice", client.PageOptions{}))
	wantItems(t, "alice's inbox", inbox.Items, func(m gamedata.Message) string { return m.Text }, "in flight %d", inFlight)

	evs := must[client.Page[gamedata.Event]](t, "alice's events")(c.ListEvents(ctx, "alice", gamedata.EventRange{}, client.PageOptions{}))
	wantItems(t, "alice's events", evs.Items, func(e gamedata.Event) string { return string(e.Data) }, `{"level":%d}`, len(events))
	evs = must[client.Page[gamedata.Event]](t, "bob's events")(c.ListEvents(ctx, "bob", gamedata.EventRange{}, client.PageOptions{}))
	wantItems(t, "bob's events", evs.Items, func(e gamedata.Event) string { return e.Type }, "in_flight_%d", inFlight)

	var doc any
	if err := json.Unmarshal(must[json.RawMessage](t, "get meta")(c.GetMeta(ctx, "catalog")), &doc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, catalog) {
		t.Errorf("catalog after the restart: %v, want %v", doc, catalog)
	}
	for i := range inFlight {
		raw := must[json.RawMessage](t, "get in-flight meta")(c.GetMeta(ctx, fmt.Sprintf("in-flight-%d", i)))
		if want := fmt.Sprintf(`{"n":%d}`, i); string(raw) != want {
			t.Errorf("in-flight-%d after the restart: %s, want %s", i, raw, want)
		}
	}
}

// wantItems checks that items hold exactly the n values format makes with
// 0..n-1, in any order.
func wantItems[T any](t *testing.T, what string, items []T, field func(T) string, format string, n int) {
	t.Helper()
	var got, want []string
	for _, it := range items {
		got = append(got, field(it))
	}
	for i := range n {
		want = append(want, fmt.Sprintf(format, i))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s after the restart: %q, want %q", what, got, want)
	}
}

// A request that outlives --shutdown-timeout does not hold the server up:
// its connection is closed and the server exits.
func TestShutdownTimeoutClosesWhatIsLeft(t *testing.T) {
	const key = "shutdown-test-admin-key-01"
	s := startServer(t, serverOpts{
		env:  []string{"GAMEDATA_ADMIN_KEY=" + key},
		args: []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--shutdown-timeout", "300ms"},
	})
	stuck := startSlow(t.Context(), http.MethodPut, s.URL+"/v1/meta/stuck", key, `{"never":"sent"}`)
	waitAccepted(t, s, stuck)

	if err := s.stop(); err != nil {
		t.Fatalf("exit: %v\n%s", err, s.logs.String())
	}
	if !strings.Contains(s.logs.String(), "closing their connections") {
		t.Errorf("no word in the log of the request cut at --shutdown-timeout:\n%s", s.logs.String())
	}
	if res := stuck.finish(); res.err == nil {
		t.Errorf("the stuck request got an answer after its connection was closed: %d %s", res.status, res.body)
	}
}

// An operator who signals twice does not wait for the requests in flight.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	const key = "second-signal-admin-key-01"
	s := startServer(t, serverOpts{
		env:  []string{"GAMEDATA_ADMIN_KEY=" + key},
		args: []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--shutdown-timeout", "10m"},
	})
	stuck := startSlow(t.Context(), http.MethodPut, s.URL+"/v1/meta/stuck", key, `{"never":"sent"}`)
	waitAccepted(t, s, stuck)
	s.terminate()
	s.waitLog("shutting down")
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("a second signal did not stop the server")
	}
	stuck.finish()
}

// A server killed (SIGKILL) while 16 writers keep it busy, its writes
// committed in groups, loses none it acknowledged: each acknowledged
// document is there after a restart, with its value. With synchronous
// NORMAL (the default) a commit survives the process; only a power loss
// may take the last ones (--sqlite-synchronous full).
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	dataDir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir, "--rate-limit", "0"}
	s := startServer(t, serverOpts{args: args})
	admin := readSecretFile(t, filepath.Join(dataDir, "admin.key"))

	const writers, killAfter = 16, 300
	var mu sync.Mutex
	var acked []string // keys of the documents the server acknowledged
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second}
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%02d-%05d", w, i)
				req, _ := http.NewRequest(http.MethodPut, s.URL+"/v1/meta/"+key, strings.NewReader(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+admin)
				resp, err := hc.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("PUT %s: %d", key, resp.StatusCode)
					return
				}
				mu.Lock()
				acked = append(acked, key)
				if len(acked) == killAfter {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	<-enough
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	wg.Wait()

	s = startServer(t, serverOpts{args: args})
	c := must[*client.Client](t, "client")(client.New(s.URL, client.WithToken(admin)))
	mu.Lock()
	defer mu.Unlock()
	for _, key := range acked {
		var w, n int
		if _, err := fmt.Sscanf(key, "crash-%02d-%05d", &w, &n); err != nil {
			t.Fatal(err)
		}
		var doc struct{ Writer, N int }
		d, err := c.GetMeta(t.Context(), key)
		if err == nil {
			err = json.Unmarshal(d, &doc)
		}
		if err != nil || doc.Writer != w || doc.N != n {
			t.Errorf("acknowledged %s: after the crash %+v, %v", key, doc, err)
		}
	}
	t.Logf("%d acknowledged writes, all there after the crash", len(acked))
}

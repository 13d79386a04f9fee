package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// showProgress writes line() over the last one, a second at a time, to w
// until the returned func is called; with no w it does nothing.
func showProgress(w io.Writer, line func(now time.Time) string) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintln(w)
				return
			case now := <-t.C:
				fmt.Fprintf(w, "\r%s   ", line(now))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

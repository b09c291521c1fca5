package main

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows files, bytes and rate on stderr while a long scan runs.
// It is only drawn when stderr is a terminal and the output is not JSON or
// --quiet; otherwise every method is a cheap no-op, so callers need no
// checks. The bar is redrawn by a ticker, not per file, so that a scan of
// 200,000 tiny files does not spend its time drawing.
type progress struct {
	files atomic.Int64
	bytes atomic.Int64

	bar  *progressbar.ProgressBar
	stop chan struct{}
	done sync.WaitGroup
}

// progressDelay is how long a scan runs before the bar appears: short
// scans print nothing extra.
const progressDelay = 500 * time.Millisecond

// newProgress starts a progress display on w when enabled is true.
func newProgress(w io.Writer, enabled bool) *progress {
	p := &progress{}
	if !enabled {
		return p
	}
	p.stop = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		select {
		case <-p.stop:
			return
		case <-time.After(progressDelay):
		}
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14),
		)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			p.bar.Describe("scanning: " + humanCount(p.files.Load()) + " files, " + humanBytes(p.bytes.Load()))
			_ = p.bar.Set64(p.bytes.Load())
			select {
			case <-p.stop:
				_ = p.bar.Finish()
				_ = p.bar.Clear()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// add counts one finished file of n bytes.
func (p *progress) add(n int64) {
	p.files.Add(1)
	p.bytes.Add(n)
}

// finish removes the bar; it must be called before printing results.
func (p *progress) finish() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
	p.stop = nil
}
